/* Candles for lightweight-charts, pure: the interval each range is drawn in, chart times, moving averages. */

/** The candle interval the API is asked for, per range (minutes for a day or a week, then days, weeks). */
export const RANGE_INTERVALS = { "1D": "1m", "1W": "5m", "1M": "day", "3M": "day", "1Y": "day", "5Y": "week" };

const KST_OFFSET_SECONDS = 9 * 3600;

/** The API's time (an ISO date, or a date-time in KST) as lightweight-charts takes it: a date stays a
    business day; a date-time becomes seconds, shifted so that the chart's UTC axis reads Korea time. */
export function chartTime(iso) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  return Math.floor(Date.parse(iso) / 1000) + KST_OFFSET_SECONDS;
}

/** The simple moving average of `period` closes, from the first candle that has enough before it. */
export function movingAverage(candles, period) {
  const points = [];
  let sum = 0;
  for (const [i, candle] of candles.entries()) {
    sum += candle.close;
    if (i >= period) sum -= candles[i - period].close;
    if (i >= period - 1) points.push({ time: candle.time, value: Math.round((sum / period) * 100) / 100 });
  }
  return points;
}

/** The API's candles as the chart's series: candles, volume bars (red up, blue down) and the averages. */
export function chartSeries(candles, { up, down, periods = [5, 20, 60] }) {
  const timed = candles.map((c) => ({ ...c, time: chartTime(c.time) }));
  return {
    candles: timed.map(({ time, open, high, low, close }) => ({ time, open, high, low, close })),
    volume: timed.map(({ time, open, close, volume }) => ({ time, value: volume, color: close >= open ? up : down })),
    averages: Object.fromEntries(periods.map((period) => [period, movingAverage(timed, period)])),
  };
}

/** A chart time (a business-day string or object, or seconds already shifted to Korea time) as a Date to
    read in UTC. */
export function chartDate(time) {
  if (typeof time === "number") return new Date(time * 1000);
  if (typeof time === "string") return new Date(`${time}T00:00:00Z`);
  return new Date(Date.UTC(time.year, time.month - 1, time.day));
}

const isIntraday = (time) => typeof time === "number" && time % 86400 !== 0;

/** The crosshair's date in the page's language ("2026년 12월 7일 (월) 09:05"; a day's candle, no time). */
export function crosshairFormatter(locale) {
  const options = { timeZone: "UTC" };
  const day = new Intl.DateTimeFormat(locale, { ...options, year: "numeric", month: "long", day: "numeric" });
  const weekday = new Intl.DateTimeFormat(locale, { ...options, weekday: "short" });
  const clock = new Intl.DateTimeFormat(locale, { ...options, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  // Korean writes the weekday after the date, in brackets: 2026년 12월 7일 (월).
  const korean = locale.toLowerCase().startsWith("ko");
  return (time) => {
    const date = chartDate(time);
    const text = korean ? `${day.format(date)} (${weekday.format(date)})` : `${weekday.format(date)}, ${day.format(date)}`;
    return isIntraday(time) ? `${text} ${clock.format(date)}` : text;
  };
}

// lightweight-charts' TickMarkType: Year, Month, DayOfMonth, Time, TimeWithSeconds.
const TICK_FORMATS = [
  { year: "numeric" },
  { month: "short" },
  { day: "numeric" },
  { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" },
];

/** The time axis's labels in the page's language ("2026년", "12월", "7일", "09:05"). */
export function tickMarkFormatter(locale) {
  const formats = TICK_FORMATS.map((options) => new Intl.DateTimeFormat(locale, { timeZone: "UTC", ...options }));
  return (time, type) => (formats[type] ?? formats[2]).format(chartDate(time));
}
