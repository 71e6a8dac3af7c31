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
