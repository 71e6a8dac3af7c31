// The live channel's client (static/js/lib/live.js) with a fake WebSocket and fake timers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { applyFill, applyPrice, backoffDelay, connectionState, createLive, liveUrl, newFill } from "../../../static/js/lib/live.js";

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  // The server's side
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message) {
    this.onmessage?.({ data: typeof message === "string" ? message : JSON.stringify(message) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function fakeTimers() {
  const pending = [];
  return {
    pending,
    setTimeout: (fn, ms) => pending.push({ fn, ms }) && pending.length,
    clearTimeout: (id) => {
      if (pending[id - 1]) pending[id - 1].fn = () => {};
    },
    runNext() {
      const next = pending.shift();
      next.fn();
      return next.ms;
    },
  };
}

function setUp() {
  FakeSocket.all = [];
  const timers = fakeTimers();
  const live = createLive({ url: "ws://site/ws/v1/live", WebSocket: FakeSocket, timers, random: () => 1, first: 500, max: 4000 });
  const states = [];
  live.onState((state) => states.push(state));
  live.start();
  return { live, timers, states, socket: () => FakeSocket.all.at(-1) };
}

describe("connectionState", () => {
  it("is live only with the socket open and the stream live", () => {
    assert.equal(connectionState({ socket: "open", stream: "live", failures: 0 }), "live");
    assert.equal(connectionState({ socket: "open", stream: "reconnecting", failures: 0 }), "reconnecting");
    assert.equal(connectionState({ socket: "open", stream: null, failures: 0 }), "reconnecting");
    assert.equal(connectionState({ socket: "open", stream: "down", failures: 0 }), "down");
  });
  it("is idle, not down, when the user has no Kiwoom keys", () => {
    assert.equal(connectionState({ socket: "open", stream: "idle", failures: 0 }), "idle");
  });
  it("is down after three failed attempts, or at once when refused", () => {
    assert.equal(connectionState({ socket: "closed", stream: null, failures: 2 }), "reconnecting");
    assert.equal(connectionState({ socket: "closed", stream: null, failures: 3 }), "down");
    assert.equal(connectionState({ socket: "closed", stream: null, failures: 0, refused: true }), "down");
  });
});

describe("backoffDelay", () => {
  it("doubles up to the most, with jitter in the upper half", () => {
    const top = { first: 500, max: 4000, random: () => 1 };
    assert.deepEqual([0, 1, 2, 3, 4, 9].map((n) => backoffDelay(n, top)), [500, 1000, 2000, 4000, 4000, 4000]);
    assert.equal(backoffDelay(2, { first: 500, max: 4000, random: () => 0 }), 1000);
  });
});

describe("liveUrl", () => {
  it("uses ws over http and wss over https, at the page's host", () => {
    assert.equal(liveUrl({ protocol: "http:", host: "127.0.0.1:8000" }), "ws://127.0.0.1:8000/ws/v1/live");
    assert.equal(liveUrl({ protocol: "https:", host: "stocklab.example" }), "wss://stocklab.example/ws/v1/live");
  });
});

describe("createLive", () => {
  it("dispatches messages by type and follows the stream's state", () => {
    const { live, states, socket } = setUp();
    const orders = [];
    live.on("order", (order) => orders.push(order.id));
    socket().open();
    socket().receive({ type: "status", state: "live", reason: "" });
    socket().receive({ type: "order", id: 7 });
    socket().receive("not json");
    assert.deepEqual(orders, [7]);
    assert.deepEqual(states, ["reconnecting", "live"]);
    socket().receive({ type: "status", state: "reconnecting", reason: "token renewal" });
    assert.equal(live.state, "reconnecting");
  });

  it("counts subscriptions per code and sends only the changes", () => {
    const { live, socket } = setUp();
    socket().open();
    live.subscribe(["005930", "000660"]);
    live.subscribe(["005930"]);
    live.unsubscribe(["005930"]);
    live.unsubscribe(["005930", "000660"]);
    assert.deepEqual(socket().sent, [
      { type: "subscribe", codes: ["005930", "000660"] },
      { type: "unsubscribe", codes: ["005930", "000660"] },
    ]);
    assert.deepEqual(live.codes, []);
  });

  it("reconnects with growing waits, subscribes again and tells the page to catch up", () => {
    const { live, timers, states, socket } = setUp();
    const caughtUp = [];
    live.on("reconnected", () => caughtUp.push(true));
    live.subscribe(["005930"]); // before the socket is open: sent once it opens
    socket().open();
    socket().receive({ type: "status", state: "live" });
    assert.deepEqual(socket().sent, [{ type: "subscribe", codes: ["005930"] }]);

    socket().drop();
    assert.equal(timers.runNext(), 500);
    socket().drop();
    assert.equal(timers.runNext(), 1000);
    socket().drop();
    assert.equal(live.state, "down"); // three failures: the pages poll
    assert.equal(timers.runNext(), 2000);
    socket().open();
    socket().receive({ type: "status", state: "live" });
    assert.deepEqual(socket().sent, [{ type: "subscribe", codes: ["005930"] }]);
    assert.deepEqual(caughtUp, [true]);
    assert.deepEqual(states, ["reconnecting", "live", "reconnecting", "down", "reconnecting", "live"]);
  });

  it("does not retry a refused session or token (4401)", () => {
    const { live, timers, socket } = setUp();
    socket().open();
    socket().receive({ type: "error", code: "not_authenticated" });
    socket().drop(4401);
    assert.equal(live.state, "down");
    assert.equal(timers.pending.length, 0);
  });

  it("does not resend codes refused over the limit on each reconnection, and shows the error", () => {
    const { live, timers, socket } = setUp();
    const errors = [];
    live.on("error", (message) => errors.push(message.code));
    socket().open();
    live.subscribe(["000001", "000002", "000003"]);
    socket().receive({ type: "error", code: "too_many_codes", detail: "...", codes: ["000003"] });
    assert.deepEqual(errors, ["too_many_codes"]);
    assert.deepEqual(live.refusedCodes, ["000003"]);
    socket().drop();
    timers.runNext();
    socket().open();
    assert.deepEqual(socket().sent, [{ type: "subscribe", codes: ["000001", "000002"] }]);
    live.unsubscribe(["000003"]); // the server never followed it: nothing to send
    assert.deepEqual(socket().sent, [{ type: "subscribe", codes: ["000001", "000002"] }]);
    assert.deepEqual(live.refusedCodes, []);
  });

  it("stops for good when stopped", () => {
    const { live, timers, socket } = setUp();
    socket().open();
    live.stop();
    assert.equal(timers.pending.length, 0);
    assert.equal(FakeSocket.all.length, 1);
  });
});

const BALANCE = {
  summary: {
    total_purchase: 1000000,
    total_evaluation: 1100000,
    total_profit_loss: 100000,
    total_return_rate: "10.00",
    estimated_deposit_asset: 5100000,
    deposit: 4000000,
    orderable_amount: 4000000,
    today_pnl: 20000,
  },
  holdings: [
    {
      stock_code: "005930",
      name: "삼성전자",
      quantity: 10,
      tradable_quantity: 10,
      average_price: 100000,
      current_price: 110000,
      purchase_amount: 1000000,
      evaluation_amount: 1100000,
      profit_loss: 100000,
      return_rate: "10.00",
      weight: "100.00",
      previous_close: 108000,
      day_change: 2000,
      day_change_rate: "1.85",
      today_pnl: 20000,
    },
  ],
  fetched_at: "2026-12-07T09:00:00+09:00",
};

describe("applyPrice", () => {
  it("moves the holding's value, P&L, day change and the totals", () => {
    const next = applyPrice(BALANCE, { stock_code: "005930", price: 111000 });
    const h = next.holdings[0];
    assert.deepEqual([h.current_price, h.evaluation_amount, h.profit_loss, h.return_rate], [111000, 1110000, 110000, "11.00"]);
    assert.deepEqual([h.day_change, h.day_change_rate, h.today_pnl], [3000, "2.78", 30000]);
    const s = next.summary;
    assert.deepEqual([s.total_evaluation, s.total_profit_loss, s.total_return_rate], [1110000, 110000, "11.00"]);
    assert.deepEqual([s.estimated_deposit_asset, s.today_pnl], [5110000, 30000]);
    assert.equal(BALANCE.holdings[0].current_price, 110000); // the answer itself is left as it was
  });
  it("leaves the balance alone for another code or the same price", () => {
    assert.equal(applyPrice(BALANCE, { stock_code: "000660", price: 1 }), BALANCE);
    assert.equal(applyPrice(BALANCE, { stock_code: "005930", price: 110000 }), BALANCE);
    assert.equal(applyPrice(null, { stock_code: "005930", price: 1 }), null);
  });
});

describe("newFill and applyFill", () => {
  const now = Date.parse("2026-12-07T00:00:30Z");
  const at = "2026-12-07T00:00:10Z";
  it("finds the new shares and their price between messages", () => {
    const seen = new Map();
    assert.equal(newFill({ id: 1, filled_quantity: 0, updated_at: at }, seen, { now }), null);
    assert.deepEqual(newFill({ id: 1, filled_quantity: 2, average_price: 100, updated_at: at }, seen, { now }), { quantity: 2, price: 100 });
    assert.deepEqual(newFill({ id: 1, filled_quantity: 3, average_price: 110, updated_at: at }, seen, { now }), { quantity: 1, price: 130 });
    assert.equal(newFill({ id: 1, filled_quantity: 3, average_price: 110, updated_at: at }, seen, { now }), null);
  });
  it("announces an order first seen filled only if it changed lately", () => {
    const seen = new Map();
    assert.equal(newFill({ id: 2, filled_quantity: 1, average_price: 5, updated_at: "2026-12-06T00:00:00Z" }, seen, { now }), null);
    assert.deepEqual(newFill({ id: 3, filled_quantity: 1, average_price: 5, updated_at: at }, seen, { now }), { quantity: 1, price: 5 });
  });
  it("adds a bought holding, and takes sold shares off", () => {
    const bought = applyFill(BALANCE, { stock_code: "005930", side: "buy" }, { quantity: 10, price: 120000 });
    assert.deepEqual([bought.holdings[0].quantity, bought.holdings[0].average_price], [20, 110000]);
    assert.equal(bought.summary.total_purchase, 2200000);
    const added = applyFill(BALANCE, { stock_code: "000660", stock_name: "SK하이닉스", side: "buy" }, { quantity: 1, price: 200000 });
    assert.deepEqual(added.holdings.map((h) => [h.stock_code, h.quantity]), [["005930", 10], ["000660", 1]]);
    const sold = applyFill(BALANCE, { stock_code: "005930", side: "sell" }, { quantity: 10, price: 110000 });
    assert.deepEqual(sold.holdings, []);
    assert.equal(sold.summary.total_purchase, 0);
  });
});
