// The stock search combobox's keys and texts (static/js/lib/search.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createLatest, highlight, keyIntent, nextIndex } from "../../../static/js/lib/search.js";

describe("nextIndex", () => {
  it("starts at the first option going down and the last going up", () => {
    assert.equal(nextIndex(-1, 1, 5), 0);
    assert.equal(nextIndex(-1, -1, 5), 4);
  });

  it("wraps around both ends", () => {
    assert.equal(nextIndex(4, 1, 5), 0);
    assert.equal(nextIndex(0, -1, 5), 4);
    assert.equal(nextIndex(2, 1, 5), 3);
  });

  it("has nothing to move to without options", () => {
    assert.equal(nextIndex(-1, 1, 0), -1);
  });
});

describe("keyIntent", () => {
  const open = { open: true, count: 3, active: 1 };

  it("moves with the arrows, and ArrowDown opens a closed list", () => {
    assert.equal(keyIntent("ArrowDown", open), "next");
    assert.equal(keyIntent("ArrowUp", open), "previous");
    assert.equal(keyIntent("ArrowDown", { ...open, open: false }), "next");
    assert.equal(keyIntent("ArrowUp", { ...open, open: false }), null);
    assert.equal(keyIntent("ArrowDown", { open: true, count: 0, active: -1 }), null);
  });

  it("picks with Enter only from an open list with results", () => {
    assert.equal(keyIntent("Enter", open), "pick");
    assert.equal(keyIntent("Enter", { ...open, open: false }), null); // the form's own Enter
    assert.equal(keyIntent("Enter", { open: true, count: 0, active: -1 }), null);
  });

  it("closes with Escape, then clears", () => {
    assert.equal(keyIntent("Escape", open), "close");
    assert.equal(keyIntent("Escape", { ...open, open: false }), "clear");
  });

  it("jumps with Home and End only while an option is active", () => {
    assert.equal(keyIntent("Home", open), "first");
    assert.equal(keyIntent("End", open), "last");
    assert.equal(keyIntent("Home", { ...open, active: -1 }), null); // the caret's own Home
  });

  it("leaves typing to the input", () => {
    assert.equal(keyIntent("a", open), null);
    assert.equal(keyIntent("Tab", open), null);
  });
});

describe("highlight", () => {
  it("marks the first occurrence of the query, in any case", () => {
    assert.deepEqual(highlight("삼성전자", "성전"), [
      { text: "삼", match: false },
      { text: "성전", match: true },
      { text: "자", match: false },
    ]);
    assert.deepEqual(highlight("NAVER", "nav"), [
      { text: "NAV", match: true },
      { text: "ER", match: false },
    ]);
  });

  it("leaves a name found by its 초성 whole", () => {
    assert.deepEqual(highlight("삼성전자", "ㅅㅅㅈㅈ"), [{ text: "삼성전자", match: false }]);
    assert.deepEqual(highlight("삼성전자", "  "), [{ text: "삼성전자", match: false }]);
  });
});

describe("createLatest", () => {
  it("drops an answer overtaken by a later request", () => {
    const latest = createLatest();
    const first = latest.next();
    const second = latest.next();
    assert.equal(latest.isLatest(first), false);
    assert.equal(latest.isLatest(second), true);
  });
});
