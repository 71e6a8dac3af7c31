// The confirmation's send step shared by the stock page and the order ticket (static/js/lib/place.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { placePending } from "../../../static/js/lib/place.js";

const ticket = (pending) => ({
  submitting: false,
  refused: false,
  confirmError: { old: true },
  pending,
  $root: { dataset: { buyUrl: "/buy", sellUrl: "/sell" } },
});

describe("placePending", () => {
  it("sends the pending order to its side's URL with its key, submitting meanwhile", async () => {
    const sell = ticket({ side: "sell", order: { quantity: 1 }, key: "k1" });
    const sent = [];
    const response = await placePending(sell, async (url, order, key) => {
      sent.push([url, order, key, sell.submitting, sell.confirmError]);
      return { ok: true };
    });

    assert.deepEqual(response, { ok: true });
    assert.deepEqual(sent, [["/sell", { quantity: 1 }, "k1", true, null]]);
    assert.equal(sell.submitting, false);
  });

  it("sends nothing while a send is on its way, after a refusal, or without an order", async () => {
    const post = () => assert.fail("nothing is sent");
    assert.equal(await placePending({ ...ticket({ side: "buy" }), submitting: true }, post), null);
    assert.equal(await placePending({ ...ticket({ side: "buy" }), refused: true }, post), null);
    assert.equal(await placePending(ticket(null), post), null);
  });

  it("is no longer submitting when the send fails", async () => {
    const buy = ticket({ side: "buy", order: {}, key: "k" });
    await assert.rejects(placePending(buy, async () => { throw new Error("offline"); }));
    assert.equal(buy.submitting, false);
  });
});
