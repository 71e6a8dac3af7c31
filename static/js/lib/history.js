/* The account's history as the pages draw it: periods in Korea time, the equity chart's days, the journal's
   rows. Pure: no DOM, no Alpine, no translations (the pages word what these return). */

const KST = "Asia/Seoul";
// en-CA writes dates as YYYY-MM-DD, the API's (and <input type="date">'s) form.
const isoDay = new Intl.DateTimeFormat("en-CA", { timeZone: KST, year: "numeric", month: "2-digit", day: "2-digit" });

/** The day `date` (a Date, or anything Date takes) is in Korea, as YYYY-MM-DD. */
export function kstDate(date = new Date()) {
  return isoDay.format(new Date(date));
}

/** YYYY-MM-DD moved by `days` (calendar days; negative goes back). */
export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** YYYY-MM-DD moved by `months`, the day kept where the month has it (03-31 less a month is 02-28/29). */
export function addMonths(day, months) {
  const [year, month, date] = day.split("-").map(Number);
  const first = new Date(Date.UTC(year, month - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(date, last));
  return first.toISOString().slice(0, 10);
}

export const PERIODS = ["today", "1W", "1M", "3M", "1Y", "month", "last-month", "year"];

/** The first and last day of a named period ending `today` (YYYY-MM-DD, Korea's): {start, end}. */
export function periodRange(period, today) {
  const firstOfMonth = `${today.slice(0, 8)}01`;
  switch (period) {
    case "today":
      return { start: today, end: today };
    case "1W":
      return { start: addDays(today, -6), end: today };
    case "1M":
      return { start: addDays(addMonths(today, -1), 1), end: today };
    case "3M":
      return { start: addDays(addMonths(today, -3), 1), end: today };
    case "1Y":
      return { start: addDays(addMonths(today, -12), 1), end: today };
    case "month":
      return { start: firstOfMonth, end: today };
    case "last-month":
      return { start: addMonths(firstOfMonth, -1), end: addDays(firstOfMonth, -1) };
    case "year":
      return { start: `${today.slice(0, 4)}-01-01`, end: today };
    default:
      throw new RangeError(`unknown period: ${period}`);
  }
}

/** `base` with the non-empty `params` as its query (in their order). */
export function withQuery(base, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && String(value).trim() !== "") query.set(name, String(value).trim());
  }
  const text = query.toString();
  if (!text) return base;
  return `${base}${base.includes("?") ? "&" : "?"}${text}`;
}

/** A number the API sends as a number or a decimal string; null when missing or not a number. */
export function numeric(value) {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** The cumulative returns (percent) of `closes`, from the first one: [100, 110, null, 99] -> [0, 10, null, -1]. */
export function rebased(closes) {
  const base = closes.map(numeric).find((n) => n !== null && n !== 0);
  return closes.map((close) => {
    const n = numeric(close);
    return n === null || base === undefined ? null : ((n - base) / base) * 100;
  });
}

const isIntraday = (time) => String(time).includes("T");

/**
 * The equity chart's days from GET history/equity: every recorded point and every gap, oldest first, each with
 * the indices' values of its day. A gap is a day the account has no record of: its account values are null
 * (the line breaks there), never filled in. The indices are daily: on an intraday range (1D) their close of
 * the points' day is not placed on the points' times (`intraday` says so; the page leaves them out).
 *
 * -> {intraday, days: [{time, gap, assets, deposit, holdings, netFlow, accountReturn, kospi, kosdaq}]}, with
 *    kospi/kosdaq {close, cumulativeReturn} or null.
 */
export function equityDays(answer) {
  const points = answer?.points ?? [];
  const intraday = points.some((point) => isIntraday(point.time));
  const keyOf = (time) => (intraday ? String(time) : String(time).slice(0, 10));
  const byKey = new Map();
  const day = (time) => {
    const key = keyOf(time);
    if (!byKey.has(key)) {
      byKey.set(key, {
        time: key,
        gap: false,
        assets: null,
        deposit: null,
        holdings: null,
        netFlow: null,
        accountReturn: null,
        kospi: null,
        kosdaq: null,
      });
    }
    return byKey.get(key);
  };
  for (const point of points) {
    Object.assign(day(point.time), {
      assets: numeric(point.estimated_assets),
      deposit: numeric(point.deposit),
      holdings: numeric(point.holdings_value),
      netFlow: numeric(point.net_flow),
      accountReturn: numeric(point.cumulative_return),
    });
  }
  // A gap's day stays a gap even if the API also sent it a point without values.
  for (const gap of answer?.gaps ?? []) {
    const entry = day(intraday ? `${gap}T00:00:00` : gap);
    if (entry.assets === null) entry.gap = true;
  }
  for (const [name, key] of [
    ["KOSPI", "kospi"],
    ["KOSDAQ", "kosdaq"],
  ]) {
    const series = answer?.benchmarks?.[name] ?? [];
    const returns = series.some((entry) => numeric(entry.cumulative_return) !== null)
      ? series.map((entry) => numeric(entry.cumulative_return))
      : rebased(series.map((entry) => entry.close));
    series.forEach((entry, i) => {
      const time = keyOf(entry.time);
      // Intraday: the daily close has no time of day to sit at; a daily range: every trading day has a column.
      if (intraday && !byKey.has(time)) return;
      day(entry.time)[key] = { close: numeric(entry.close), cumulativeReturn: returns[i] };
    });
  }
  const days = [...byKey.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  // On a daily range, days before the account's first record (the indices go further back) are not its gaps.
  const first = days.findIndex((entry) => entry.assets !== null || entry.gap);
  return { intraday, days: first > 0 ? days.slice(first) : days };
}

/** The last value of `key` (a function of a day) among `days`, or null. */
export function lastValue(days, key) {
  for (let i = days.length - 1; i >= 0; i -= 1) {
    const value = key(days[i]);
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

/** The sum of `key` over `rows`; null when no row has it. */
export function total(rows, key) {
  let sum = null;
  for (const row of rows) {
    const value = numeric(row[key]);
    if (value !== null) sum = (sum ?? 0) + value;
  }
  return sum;
}
