// The history pages' pure helpers (static/js/lib/history.js): periods in Korea time, the equity chart's days.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  addDays,
  addMonths,
  equityDays,
  kstDate,
  lastValue,
  PERIODS,
  periodRange,
  rebased,
  total,
  withQuery,
} from "../../../static/js/lib/history.js";
import { isDigitLedStockCode, isStockCode } from "../../../static/js/lib/stock_code.js";

describe("days in Korea time", () => {
  it("names the day it is in Korea, whatever the machine's zone", () => {
    assert.equal(kstDate("2026-12-07T14:59:59Z"), "2026-12-07");
    assert.equal(kstDate("2026-12-07T15:00:00Z"), "2026-12-08"); // midnight in Seoul
  });

  it("moves days across months and years", () => {
    assert.equal(addDays("2026-12-31", 1), "2027-01-01");
    assert.equal(addDays("2026-03-01", -1), "2026-02-28");
  });

  it("moves months keeping the day where the month has it", () => {
    assert.equal(addMonths("2026-03-31", -1), "2026-02-28");
    assert.equal(addMonths("2028-03-31", -1), "2028-02-29");
    assert.equal(addMonths("2026-01-15", -1), "2025-12-15");
    assert.equal(addMonths("2026-12-07", -12), "2025-12-07");
  });
});

describe("periodRange", () => {
  const today = "2026-12-07";

  it("ends the rolling periods today, both ends counted", () => {
    assert.deepEqual(periodRange("today", today), { start: today, end: today });
    assert.deepEqual(periodRange("1W", today), { start: "2026-12-01", end: today });
    assert.deepEqual(periodRange("1M", today), { start: "2026-11-08", end: today });
    assert.deepEqual(periodRange("3M", today), { start: "2026-09-08", end: today });
    assert.deepEqual(periodRange("1Y", today), { start: "2025-12-08", end: today });
  });

  it("knows the calendar periods", () => {
    assert.deepEqual(periodRange("month", today), { start: "2026-12-01", end: today });
    assert.deepEqual(periodRange("last-month", today), { start: "2026-11-01", end: "2026-11-30" });
    assert.deepEqual(periodRange("last-month", "2026-01-20"), { start: "2025-12-01", end: "2025-12-31" });
    assert.deepEqual(periodRange("year", today), { start: "2026-01-01", end: today });
  });

  it("refuses a period it does not know", () => {
    assert.throws(() => periodRange("2W", today), RangeError);
    for (const period of PERIODS) assert.ok(periodRange(period, today).start <= today);
  });
});

describe("withQuery", () => {
  it("adds only the filters that have a value", () => {
    assert.equal(
      withQuery("/api/v1/kiwoom/history/fills", { start: "2026-11-01", stock_code: " 005930 ", side: "", x: null }),
      "/api/v1/kiwoom/history/fills?start=2026-11-01&stock_code=005930",
    );
    assert.equal(withQuery("/a", {}), "/a");
    assert.equal(withQuery("/a?page=2", { format: "csv" }), "/a?page=2&format=csv");
  });
});

describe("equityDays", () => {
  const answer = {
    points: [
      { time: "2026-11-02", estimated_assets: 10_000_000, deposit: 4_000_000, holdings_value: 6_000_000, net_flow: 0, cumulative_return: "0.00" },
      { time: "2026-11-03", estimated_assets: 11_100_000, deposit: 5_000_000, holdings_value: 6_100_000, net_flow: 1_000_000, cumulative_return: "1.00" },
      { time: "2026-11-05", estimated_assets: 10_900_000, deposit: 5_000_000, holdings_value: 5_900_000, net_flow: 0, cumulative_return: "-0.82" },
    ],
    gaps: ["2026-11-04"],
    benchmarks: {
      KOSPI: [
        { time: "2026-10-30", close: "2500.00", cumulative_return: null },
        { time: "2026-11-02", close: "2500.00", cumulative_return: "0.00" },
        { time: "2026-11-03", close: "2525.00", cumulative_return: "1.00" },
        { time: "2026-11-04", close: "2550.00", cumulative_return: "2.00" },
        { time: "2026-11-05", close: "2475.00", cumulative_return: "-1.00" },
      ],
      KOSDAQ: [
        { time: "2026-11-02", close: "800.00" },
        { time: "2026-11-05", close: "808.00" },
      ],
    },
  };

  it("puts every recorded day and every gap in order, a gap without values", () => {
    const { days, intraday } = equityDays(answer);
    assert.equal(intraday, false);
    assert.deepEqual(
      days.map((d) => [d.time, d.gap, d.assets]),
      [
        ["2026-11-02", false, 10_000_000],
        ["2026-11-03", false, 11_100_000],
        ["2026-11-04", true, null],
        ["2026-11-05", false, 10_900_000],
      ],
    );
    assert.equal(days[1].netFlow, 1_000_000);
    assert.equal(days[2].accountReturn, null);
  });

  it("gives each day the indices' close and return, the gap's day too (the market traded)", () => {
    const { days } = equityDays(answer);
    assert.deepEqual(days[2].kospi, { close: 2550, cumulativeReturn: 2 });
    assert.equal(days[2].kosdaq, null);
  });

  it("rebases an index the API sent without returns on its first close", () => {
    const { days } = equityDays(answer);
    assert.deepEqual(days[3].kosdaq, { close: 808, cumulativeReturn: 1 });
  });

  it("leaves out index days before the account's first record", () => {
    assert.equal(equityDays(answer).days[0].time, "2026-11-02");
  });

  it("keeps intraday points by time and does not place daily index closes on them", () => {
    const { days, intraday } = equityDays({
      points: [
        { time: "2026-12-07T09:00:00+09:00", estimated_assets: 1, cumulative_return: "0" },
        { time: "2026-12-07T09:10:00+09:00", estimated_assets: 2, cumulative_return: "100" },
      ],
      benchmarks: { KOSPI: [{ time: "2026-12-07", close: "2500.00", cumulative_return: "0.00" }] },
      gaps: [],
    });
    assert.equal(intraday, true);
    assert.deepEqual(
      days.map((d) => [d.time, d.kospi]),
      [
        ["2026-12-07T09:00:00+09:00", null],
        ["2026-12-07T09:10:00+09:00", null],
      ],
    );
  });

  it("answers no days for an account without history", () => {
    assert.deepEqual(equityDays({ points: [], gaps: [], benchmarks: {} }).days, []);
    assert.deepEqual(equityDays(null).days, []);
  });
});

describe("sums", () => {
  it("rebases closes on the first one, keeping holes", () => {
    assert.deepEqual(rebased([200, 250, null, "150"]), [0, 25, null, -25]);
  });

  it("finds the last value there is", () => {
    assert.equal(lastValue([{ v: 1 }, { v: 2 }, { v: null }], (d) => d.v), 2);
    assert.equal(lastValue([], (d) => d.v), null);
  });

  it("totals a column, null when no row has it", () => {
    assert.equal(total([{ tax: 10 }, { tax: "5" }, {}], "tax"), 15);
    assert.equal(total([{}], "tax"), null);
  });
});

describe("stock codes (static/js/lib/stock_code.js)", () => {
  it("are six digits or capital letters, as brokerage.kiwoom.STOCK_CODE_PATTERN says", () => {
    for (const code of ["005930", "0000J0", "Q50001", "ABCDEF"]) assert.equal(isStockCode(code), true, code);
    for (const text of ["00593", "0059300", "0000j0", " 005930", "", null, undefined, 5930])
      assert.equal(isStockCode(text), false, String(text));
  });

  it("jump from the header search only when digit-led, so a six-letter word stays a search", () => {
    assert.equal(isDigitLedStockCode("005930"), true);
    assert.equal(isDigitLedStockCode("0000J0"), true);
    assert.equal(isDigitLedStockCode("NAVERS"), false);
    assert.equal(isDigitLedStockCode("00593"), false);
  });
});
