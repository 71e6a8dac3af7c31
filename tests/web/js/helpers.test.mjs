// The pages' pure helpers under node's own test runner (`node --test tests/web/js/`): formatting and the grid.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createFormat } from "../../../static/js/lib/format.js";
import { createMarket } from "../../../static/js/lib/market.js";

// Django's JavaScript catalog, as its Korean translations would make it (the ones these helpers use).
const KOREAN = { "₩%s": "%s원", "%s share": "%s주", "%s shares": "%s주" };
const catalog = (messages) => ({
  gettext: (text) => messages[text] ?? text,
  ngettext: (one, many, n) => messages[n === 1 ? one : many] ?? (n === 1 ? one : many),
  interpolate: (text, values) => text.replace(/%s/g, () => String(values.shift())),
});

// What GET /api/v1/kiwoom/market/tick-grid answers (brokerage.kiwoom.market).
const GRID = [
  { from_price: 1, to_price: 2000, tick: 1 },
  { from_price: 2000, to_price: 5000, tick: 5 },
  { from_price: 5000, to_price: 20000, tick: 10 },
  { from_price: 20000, to_price: 50000, tick: 50 },
  { from_price: 50000, to_price: 200000, tick: 100 },
  { from_price: 200000, to_price: 500000, tick: 500 },
  { from_price: 500000, to_price: null, tick: 1000 },
];

describe("format", () => {
  const ko = createFormat({ locale: "ko-KR", ...catalog(KOREAN) });
  const en = createFormat({ locale: "en-US", ...catalog({}) });

  it("writes won with separators and the unit of the page's language", () => {
    assert.equal(ko.won(1234000), "1,234,000원");
    assert.equal(en.won(1234000), "₩1,234,000");
    assert.equal(ko.won(-4500), "-4,500원");
    assert.equal(ko.won(null), "–");
  });

  it("signs gains, not losses twice", () => {
    assert.equal(ko.signedWon(12300), "+12,300원");
    assert.equal(ko.signedWon(-4500), "-4,500원");
    assert.equal(ko.signedWon(0), "0원");
  });

  it("reads the API's decimal strings as rates and percentages", () => {
    assert.equal(ko.rate("-2.70"), "-2.70%");
    assert.equal(ko.rate("3.1"), "+3.10%");
    assert.equal(ko.rate("x"), "–");
    assert.equal(en.percent("12.345"), "12.35%");
  });

  it("counts shares in the page's language", () => {
    assert.equal(ko.shares(1200), "1,200주");
    assert.equal(en.shares(1), "1 share");
    assert.equal(en.shares(2), "2 shares");
  });

  it("shows times in Korea time, whatever the machine's zone", () => {
    assert.equal(en.dateTime("2025-01-02T00:30:00Z"), "01/02/2025, 09:30:00 KST");
    assert.equal(ko.clock("093005"), "09:30:05");
  });

  it("colours gains red and losses blue (Korean convention)", () => {
    assert.deepEqual([ko.signClass(5), ko.signClass("-0.1"), ko.signClass(0)], ["gain", "loss", "flat"]);
  });
});

describe("market", () => {
  const market = createMarket(GRID);

  it("finds the tick of each band, its lower edge included", () => {
    const ticks = [1, 1999, 2000, 4999, 5000, 19999, 20000, 49999, 50000, 199999, 200000, 499999, 500000, 1012000];
    assert.deepEqual(
      ticks.map((price) => market.tickSize(price)),
      [1, 1, 5, 5, 10, 10, 50, 50, 100, 100, 500, 500, 1000, 1000],
    );
  });

  it("knows the prices on the grid", () => {
    assert.equal(market.isOnTick(68900), true);
    assert.equal(market.isOnTick(68950), false);
    assert.equal(market.isOnTick(0), false);
  });

  it("rounds a price off the grid to its neighbours on it", () => {
    assert.deepEqual(market.neighbours(68950), [68900, 69000]);
    assert.deepEqual(market.neighbours(499800), [499500, 500000]);
    assert.deepEqual(market.neighbours(70000), [70000, 70000]);
  });
});
