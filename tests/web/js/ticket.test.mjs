// The stock page's order ticket logic (static/js/lib/ticket.js) and its candles (lib/candles.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { chartSeries, chartTime, crosshairFormatter, movingAverage, tickMarkFormatter } from "../../../static/js/lib/candles.js";
import { createMarket } from "../../../static/js/lib/market.js";
import {
  bookBars,
  buyableQuantity,
  costRule,
  estimate,
  maxBuyable,
  quantityAtPercent,
  stepPrice,
  ticketChecks,
  wholeNumber,
} from "../../../static/js/lib/ticket.js";

// What GET /api/v1/kiwoom/market/tick-grid answers (brokerage.kiwoom.market).
const market = createMarket([
  { from_price: 1, to_price: 2000, tick: 1 },
  { from_price: 2000, to_price: 5000, tick: 5 },
  { from_price: 5000, to_price: 20000, tick: 10 },
  { from_price: 20000, to_price: 50000, tick: 50 },
  { from_price: 50000, to_price: 200000, tick: 100 },
  { from_price: 200000, to_price: 500000, tick: 500 },
  { from_price: 500000, to_price: null, tick: 1000 },
]);

describe("wholeNumber", () => {
  it("takes digits only", () => {
    assert.equal(wholeNumber(" 42 "), 42);
    assert.equal(wholeNumber("1e5"), null);
    assert.equal(wholeNumber("1.5"), null);
    assert.equal(wholeNumber("-3"), null);
    assert.equal(wholeNumber(""), null);
  });
});

describe("stepPrice", () => {
  it("steps by the tick of the price's band", () => {
    assert.equal(stepPrice(70000, 1, market), 70100);
    assert.equal(stepPrice(70000, -2, market), 69800);
  });

  it("crosses band boundaries with each side's tick", () => {
    assert.equal(stepPrice(49950, 1, market), 50000);
    assert.equal(stepPrice(50000, 1, market), 50100);
    assert.equal(stepPrice(50000, -1, market), 49950);
    assert.equal(stepPrice(2000, -1, market), 1999);
    assert.equal(stepPrice(1999, 1, market), 2000);
  });

  it("snaps an off-grid price onto the grid in the step's direction", () => {
    assert.equal(stepPrice(70050, 1, market), 70100);
    assert.equal(stepPrice(70050, -1, market), 70000);
    assert.equal(stepPrice(70050, 2, market), 70200);
  });

  it("never goes below the lowest price", () => {
    assert.equal(stepPrice(1, -1, market), 1);
    assert.equal(stepPrice("", 1, market), 1);
    assert.equal(stepPrice("", -1, market), 0);
  });
});

describe("quantities", () => {
  it("takes a share of the maximum, rounded down, at least one", () => {
    assert.equal(quantityAtPercent(70, 10), 7);
    assert.equal(quantityAtPercent(70, 25), 17);
    assert.equal(quantityAtPercent(70, 100), 70);
    assert.equal(quantityAtPercent(3, 10), 1);
    assert.equal(quantityAtPercent(0, 50), 0);
  });

  it("buys as many shares as the cash pays for with the commission", () => {
    assert.equal(maxBuyable({ cash: 700_000, price: 70_000, commissionRate: 0 }), 10);
    assert.equal(maxBuyable({ cash: 700_000, price: 70_000, commissionRate: 0.00015 }), 9);
    assert.equal(maxBuyable({ cash: 700_100, price: 70_000, commissionRate: 0.00015, commissionUnit: 10 }), 10);
    assert.equal(maxBuyable({ cash: 0, price: 70_000 }), 0);
  });
});

describe("buyableQuantity", () => {
  // 모의투자's answer at 71,400: kt00011's 140 leaves out the 0.35% commission (140 shares cost 10,030,986원).
  const orderable = {
    max_quantity: 140,
    orderable_cash: 10_000_000,
    commission_rate: "0.003500",
    tax_rate: "0.000000",
    commission_unit: 1,
    commission_minimum: 0,
    tax_unit: 1,
  };

  it("holds the first answer's maximum to what the cash pays for with the commission", () => {
    assert.equal(estimate({ side: "buy", quantity: 140, price: 71_400, ...costRule(orderable) }).total, 10_030_986);
    assert.equal(buyableQuantity(orderable, 71_400), 139);
  });

  it("agrees with the figure after a price change, and never exceeds the server's maximum", () => {
    assert.equal(buyableQuantity(orderable, 71_500), maxBuyable({ cash: 10_000_000, price: 71_500, ...costRule(orderable) }));
    assert.equal(buyableQuantity({ ...orderable, max_quantity: 100 }, 71_400), 100);
  });

  it("takes the server's maximum without a price or cash, and nothing without an answer", () => {
    assert.equal(buyableQuantity(orderable, 0), 140);
    assert.equal(buyableQuantity({ max_quantity: 70 }, 70_000), 70);
    assert.equal(buyableQuantity(null, 70_000), null);
  });

  it("is what the checks before the confirmation count with", () => {
    const problems = ticketChecks({
      side: "buy",
      quantityText: "140",
      priceText: "71400",
      requiresPrice: true,
      unitPrice: 71_400,
      market,
      band: null,
      orderable,
      limits: null,
      rates: costRule(orderable),
    });
    assert.deepEqual(problems, [{ field: "quantity", code: "over_cash", values: { cost: 10_030_986, cash: 10_000_000, max: 139 } }]);
  });
});

describe("estimate", () => {
  // What GET stocks/{code}/orderable answers for a real account (brokerage.connections.costs).
  const rule = costRule({ commission_rate: "0.000150", tax_rate: "0.001800", commission_unit: 10, commission_minimum: 0, tax_unit: 1 });

  it("adds the commission to a buy, floored to the server's unit", () => {
    assert.deepEqual(estimate({ side: "buy", quantity: 10, price: 70_000, ...rule }), {
      amount: 700_000,
      commission: 100,
      tax: 0,
      total: 700_100,
    });
  });

  it("takes commission and tax from a sale, each floored to its unit", () => {
    assert.deepEqual(estimate({ side: "sell", quantity: 3, price: 41_250, ...rule }), {
      amount: 123_750,
      commission: 10,
      tax: 222,
      total: 123_518,
    });
  });

  it("follows whatever rule the server serves", () => {
    const perWon = costRule({ commission_rate: "0.000150", tax_rate: "0", commission_unit: 1, commission_minimum: 0, tax_unit: 1 });
    assert.equal(estimate({ side: "buy", quantity: 10, price: 70_000, ...perWon }).commission, 105);
    const withMinimum = { ...rule, commissionMinimum: 500 };
    assert.equal(estimate({ side: "buy", quantity: 1, price: 70_000, ...withMinimum }).commission, 500);
  });

  it("is nothing without a quantity and a price", () => {
    assert.equal(estimate({ side: "buy", quantity: 0, price: 70_000, ...rule }).total, 0);
    assert.equal(estimate({ side: "buy", quantity: 0, price: 70_000, ...rule, commissionMinimum: 500 }).commission, 0);
  });

  it("takes zero rates when the server has not answered", () => {
    assert.deepEqual(costRule(null), { commissionRate: 0, taxRate: 0, commissionUnit: 1, commissionMinimum: 0, taxUnit: 1 });
  });
});

describe("ticketChecks", () => {
  const base = {
    side: "buy",
    quantityText: "10",
    priceText: "70000",
    requiresPrice: true,
    unitPrice: 70_000,
    market,
    band: { lower: 49_000, upper: 91_000 },
    orderable: { max_quantity: 70, orderable_cash: 4_900_000, sellable_quantity: 0 },
    limits: { max_quantity: 10_000, max_value: 100_000_000 },
    rates: { commissionRate: 0 },
  };
  const codes = (input) => ticketChecks({ ...base, ...input }).map((problem) => problem.code);

  it("passes an order within every limit", () => {
    assert.deepEqual(codes({}), []);
  });

  it("refuses a quantity that is not a whole number", () => {
    assert.deepEqual(codes({ quantityText: "1e5" }), ["quantity_invalid"]);
    assert.deepEqual(codes({ quantityText: "0" }), ["quantity_invalid"]);
  });

  it("refuses a price off the grid with its neighbours", () => {
    const [problem] = ticketChecks({ ...base, priceText: "70050" });
    assert.deepEqual(problem, { field: "price", code: "price_off_tick", values: { tick: 100, below: 70000, above: 70100 } });
  });

  it("refuses a price outside the daily band", () => {
    assert.deepEqual(codes({ priceText: "95000" }), ["price_out_of_band"]);
    assert.deepEqual(codes({ priceText: "48000" }), ["price_out_of_band"]);
  });

  it("refuses more than the orderable cash pays for", () => {
    const problems = ticketChecks({ ...base, quantityText: "100000000" });
    assert.ok(problems.some((p) => p.code === "over_cash" && p.values.cash === 4_900_000 && p.values.max === 70));
  });

  it("refuses more than the maximum buyable", () => {
    assert.deepEqual(codes({ quantityText: "71", orderable: { max_quantity: 70 } }), ["over_max_buyable"]);
  });

  it("refuses a sale of more than the sellable quantity, or of nothing", () => {
    assert.deepEqual(codes({ side: "sell", quantityText: "6", orderable: { sellable_quantity: 5 } }), ["over_sellable"]);
    assert.deepEqual(codes({ side: "sell", orderable: { sellable_quantity: 0 } }), ["nothing_to_sell"]);
    assert.deepEqual(codes({ side: "sell", quantityText: "5", orderable: { sellable_quantity: 5 } }), []);
  });

  it("holds the user's per-order limits", () => {
    assert.deepEqual(codes({ quantityText: "11", limits: { max_quantity: 10, max_value: 1e12 }, orderable: null }), [
      "over_quantity_limit",
    ]);
    assert.deepEqual(codes({ quantityText: "10", limits: { max_quantity: 100, max_value: 500_000 }, orderable: null }), [
      "over_value_limit",
    ]);
  });

  it("checks a market order at the current price, without a price field", () => {
    assert.deepEqual(codes({ requiresPrice: false, priceText: "", unitPrice: 70_000, quantityText: "71" }), ["over_cash"]);
  });

  it("checks nothing it was not told", () => {
    assert.deepEqual(codes({ orderable: null, limits: null, band: null, quantityText: "100000000" }), []);
  });
});

describe("bookBars", () => {
  it("sizes every level against the largest", () => {
    const { asks, bids } = bookBars([{ price: 70100, quantity: 50 }], [{ price: 70000, quantity: 200 }]);
    assert.equal(asks[0].bar, 25);
    assert.equal(bids[0].bar, 100);
  });
});

describe("candles", () => {
  it("keeps dates as business days and shifts date-times to read Korea time", () => {
    assert.equal(chartTime("2026-12-07"), "2026-12-07");
    assert.equal(chartTime("2026-12-07T09:00:00+09:00"), Date.UTC(2026, 11, 7, 9, 0) / 1000);
  });

  it("averages closes over the period once there are enough", () => {
    const candles = [1, 2, 3, 4, 5].map((close, i) => ({ time: `2026-01-0${i + 1}`, close }));
    assert.deepEqual(movingAverage(candles, 3), [
      { time: "2026-01-03", value: 2 },
      { time: "2026-01-04", value: 3 },
      { time: "2026-01-05", value: 4 },
    ]);
    assert.deepEqual(movingAverage(candles, 6), []);
  });

  it("colours volume bars by the candle's direction", () => {
    const series = chartSeries(
      [
        { time: "2026-01-02", open: 10, high: 12, low: 9, close: 11, volume: 5 },
        { time: "2026-01-03", open: 11, high: 11, low: 8, close: 9, volume: 7 },
      ],
      { up: "red", down: "blue", periods: [2] },
    );
    assert.deepEqual(series.volume.map((bar) => bar.color), ["red", "blue"]);
    assert.deepEqual(series.averages[2], [{ time: "2026-01-03", value: 10 }]);
  });
});

describe("chart dates", () => {
  // 2026-12-07 12:32 KST as the chart holds it (chartTime shifts it so that the UTC axis reads Korea time).
  const minute = chartTime("2026-12-07T12:32:00+09:00");

  it("reads the crosshair's date in Korean, with the time only for a minute's candle", () => {
    const korean = crosshairFormatter("ko-KR");
    assert.equal(korean(minute), "2026년 12월 7일 (월) 12:32");
    assert.equal(korean("2026-12-07"), "2026년 12월 7일 (월)");
    assert.equal(korean({ year: 2026, month: 12, day: 7 }), "2026년 12월 7일 (월)");
    assert.equal(crosshairFormatter("en-US")("2026-12-07"), "Mon, December 7, 2026");
  });

  it("labels the time axis by year, month, day and time in the page's language", () => {
    const korean = tickMarkFormatter("ko-KR");
    assert.deepEqual([0, 1, 2, 3].map((type) => korean(minute, type)), ["2026년", "12월", "7일", "12:32"]);
    assert.equal(tickMarkFormatter("en-US")("2026-12-07", 1), "Dec");
  });
});
