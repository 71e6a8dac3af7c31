/* The equity chart on the balance page: the account's estimated assets and cumulative return over a period,
   beside KOSPI and KOSDAQ; days without a record drawn as gaps, deposits and withdrawals not counted as returns. */

import { equityDays, lastValue, withQuery } from "./lib/history.js";
import { Alpine, api, errorBox, format, gettext, interpolate, locale } from "./stocklab.js";

const RANGES = ["1D", "1W", "1M", "3M", "1Y", "ALL"];
const COLOURS = { account: "#5b21b6", KOSPI: "#0f766e", KOSDAQ: "#c2410c", gap: "rgba(93, 100, 112, 0.12)" };
const indexPoints = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const compactWon = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
const shortDay = new Intl.DateTimeFormat(locale, { month: "2-digit", day: "2-digit", timeZone: "UTC" });
const longDay = new Intl.DateTimeFormat(locale, { year: "numeric", month: "2-digit", day: "2-digit", weekday: "short", timeZone: "UTC" });
const yearDay = new Intl.DateTimeFormat(locale, { year: "2-digit", month: "2-digit", day: "2-digit", timeZone: "UTC" });
const clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "Asia/Seoul" });
// Chart.js and the answers stay outside Alpine's reactive proxies (a proxied chart redraws on every read).
const state = { chart: null, answers: {} };

/** A day's time as the axis shows it (intraday: the time in Korea; long ranges: with the year). */
function axisLabel(time, range) {
  if (time.includes("T")) return clock.format(new Date(time));
  const date = new Date(`${time}T00:00:00Z`);
  return range === "1Y" || range === "ALL" ? yearDay.format(date) : shortDay.format(date);
}

function fullLabel(time) {
  if (time.includes("T")) return format.dateTime(time);
  return longDay.format(new Date(`${time}T00:00:00Z`));
}

// format.rate reads null as 0: a day without a value must say so, not claim a flat day.
const rate = (value) => (value === null || value === undefined ? "–" : format.rate(value));
const indexValue = (entry) => (entry ? `${rate(entry.cumulativeReturn)} (${indexPoints.format(entry.close ?? Number.NaN)})` : "–");

/** Gaps in the account's record, shaded over their whole column: a broken line alone is easy to miss. */
const gapShading = {
  id: "stocklabGaps",
  beforeDatasetsDraw(chart, _args, options) {
    const gaps = options.indexes ?? [];
    if (gaps.length === 0) return;
    const { ctx, chartArea, scales } = chart;
    const step = scales.x.width / Math.max(chart.data.labels.length, 1);
    ctx.save();
    ctx.fillStyle = COLOURS.gap;
    for (const index of gaps) {
      const x = scales.x.getPixelForValue(index);
      ctx.fillRect(x - step / 2, chartArea.top, step, chartArea.bottom - chartArea.top);
    }
    ctx.restore();
  },
};

Alpine.data("equityChart", () => ({
  ranges: RANGES,
  range: "1M",
  view: "return", // "return" (the account against the indices) or "assets" (estimated assets in won)
  days: [],
  intraday: false,
  loading: false,
  loaded: false,
  error: null,
  hovered: null, // the index of the day under the pointer; the last day otherwise

  init() {
    this.load();
  },

  async load() {
    const range = this.range;
    this.loading = true;
    this.error = null;
    let answer = state.answers[range];
    if (!answer) {
      const { ok, data } = await api.get(withQuery(this.$root.dataset.equityUrl, { range }));
      if (range !== this.range) return; // another period was chosen meanwhile: its load has the screen
      if (!ok) {
        this.loading = false;
        this.error = errorBox(data, { title: gettext("Could not load your account's history"), retry: true });
        return;
      }
      answer = state.answers[range] = data;
    }
    const { days, intraday } = equityDays(answer);
    this.days = days;
    this.intraday = intraday;
    this.hovered = null;
    this.loading = false;
    this.loaded = true;
    this.$nextTick(() => this.draw());
  },

  reload() {
    delete state.answers[this.range];
    this.load();
  },

  // --- Controls ------------------------------------------------------------------------------------------
  choose(event) {
    const range = event.currentTarget.dataset.range;
    if (range === this.range && this.loaded) return;
    this.range = range;
    this.load();
  },

  pressed(range) {
    return range === this.range ? "true" : "false";
  },

  showReturns() {
    this.view = "return";
    this.$nextTick(() => this.draw());
  },

  showAssets() {
    this.view = "assets";
    this.$nextTick(() => this.draw());
  },

  get returnsPressed() {
    return this.view === "return" ? "true" : "false";
  },

  get assetsPressed() {
    return this.view === "assets" ? "true" : "false";
  },

  // --- What the chart says -------------------------------------------------------------------------------
  get empty() {
    return this.loaded && !this.error && this.days.every((day) => day.assets === null);
  },

  get hasChart() {
    return this.loaded && !this.error && !this.empty;
  },

  get gapDays() {
    return this.days.filter((day) => day.gap);
  },

  get gapNote() {
    const gaps = this.gapDays;
    if (gaps.length === 0) return "";
    const list = gaps.map((day) => axisLabel(day.time, this.range)).join(", ");
    if (gaps.length === 1) return interpolate(gettext("No record for %s: the line is broken there, not filled in."), [list]);
    const text = gettext("No record for %(count)s days (%(days)s): the line is broken there, not filled in.");
    return interpolate(text, { count: gaps.length, days: list }, true);
  },

  get indexNote() {
    return this.intraday ? gettext("KOSPI and KOSDAQ are daily closes: they are drawn from the 1W view on.") : "";
  },

  /** The period's outcome: the account's return beside the indices', each at its last value. */
  get totals() {
    const account = lastValue(this.days, (day) => day.accountReturn);
    return [
      { key: "account", label: gettext("My account"), value: rate(account), tone: format.signClass(account) },
      ...["kospi", "kosdaq"].map((key) => {
        const value = this.intraday ? null : lastValue(this.days, (day) => day[key]?.cumulativeReturn);
        return { key, label: key.toUpperCase(), value: rate(value), tone: format.signClass(value) };
      }),
    ];
  },

  get selected() {
    if (this.days.length === 0) return null;
    const index = this.hovered ?? this.days.length - 1;
    return this.days[Math.min(index, this.days.length - 1)];
  },

  get selectedTitle() {
    const day = this.selected;
    return day ? fullLabel(day.time) : "";
  },

  /** The selected day's values (the last day's, until the pointer is over another). */
  get readout() {
    const day = this.selected;
    if (!day) return [];
    if (day.gap) return [{ label: gettext("Estimated assets"), value: gettext("No record for this day"), tone: "flat" }];
    const rows = [
      { label: gettext("Estimated assets"), value: format.won(day.assets), tone: "" },
      { label: gettext("Cumulative return"), value: rate(day.accountReturn), tone: format.signClass(day.accountReturn) },
      { label: gettext("Deposits and withdrawals"), value: day.netFlow ? format.signedWon(day.netFlow) : "–", tone: "" },
    ];
    if (!this.intraday) {
      rows.push(
        { label: "KOSPI", value: indexValue(day.kospi), tone: format.signClass(day.kospi?.cumulativeReturn) },
        { label: "KOSDAQ", value: indexValue(day.kosdaq), tone: format.signClass(day.kosdaq?.cumulativeReturn) },
      );
    }
    return rows;
  },

  /** Every day as a table row, for those who cannot see the chart (and to read exact figures). */
  get tableRows() {
    return this.days.map((day) => ({
      time: day.time,
      label: fullLabel(day.time),
      gap: day.gap,
      assets: day.gap ? gettext("No record") : format.won(day.assets),
      netFlow: day.netFlow ? format.signedWon(day.netFlow) : "–",
      accountReturn: rate(day.accountReturn),
      returnTone: format.signClass(day.accountReturn),
      kospi: indexValue(day.kospi),
      kosdaq: indexValue(day.kosdaq),
    }));
  },

  get chartLabel() {
    const [account, kospi, kosdaq] = this.totals;
    const text = gettext("Cumulative return over the period: my account %(account)s, KOSPI %(kospi)s, KOSDAQ %(kosdaq)s.");
    return interpolate(text, { account: account.value, kospi: kospi.value, kosdaq: kosdaq.value }, true);
  },

  // --- Drawing -------------------------------------------------------------------------------------------
  draw() {
    if (typeof window.Chart !== "function" || !this.hasChart) return;
    const canvas = this.$refs.canvas;
    state.chart?.destroy();
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    const days = this.days;
    const labels = days.map((day) => axisLabel(day.time, this.range));
    const gaps = days.flatMap((day, i) => (day.gap ? [i] : []));
    const datasets = this.view === "return" ? this.returnDatasets(days) : this.assetDatasets(days);
    state.chart = new window.Chart(canvas, {
      type: "line",
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        onHover: (event, _elements, chart) => this.hover(chart.scales.x.getValueForPixel(event.x)),
        plugins: {
          stocklabGaps: { indexes: gaps },
          legend: { position: "bottom", labels: { boxWidth: 14, boxHeight: 2 } },
          tooltip: { callbacks: this.tooltipCallbacks(days) },
        },
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false } },
          y:
            this.view === "return"
              ? { ticks: { callback: (value) => rate(value) } }
              : { ticks: { callback: (value) => compactWon.format(value) } },
        },
      },
      plugins: [gapShading],
    });
    canvas.addEventListener("mouseleave", () => this.hover(null), { once: true });
  },

  returnDatasets(days) {
    const line = (label, colour, values, extra = {}) => ({
      label,
      data: values,
      borderColor: colour,
      backgroundColor: colour,
      borderWidth: 2,
      pointRadius: days.length > 40 ? 0 : 2,
      pointHoverRadius: 4,
      ...extra,
    });
    const datasets = [
      // spanGaps off: a day without a record is a break, never a straight line over it.
      line(gettext("My account"), COLOURS.account, days.map((day) => day.accountReturn), { borderWidth: 2.5, spanGaps: false }),
    ];
    if (!this.intraday) {
      for (const [name, key] of [
        ["KOSPI", "kospi"],
        ["KOSDAQ", "kosdaq"],
      ]) {
        datasets.push(line(name, COLOURS[name], days.map((day) => day[key]?.cumulativeReturn ?? null), { borderDash: [5, 3], spanGaps: true }));
      }
    }
    return datasets;
  },

  assetDatasets(days) {
    // Days with money moved in or out are marked: the assets' step there is not a gain or a loss.
    const moved = days.map((day) => Boolean(day.netFlow));
    return [
      {
        label: gettext("Estimated assets"),
        data: days.map((day) => day.assets),
        borderColor: COLOURS.account,
        backgroundColor: "rgba(91, 33, 182, 0.08)",
        fill: "origin",
        borderWidth: 2.5,
        spanGaps: false,
        pointRadius: moved.map((flag) => (flag ? 5 : days.length > 40 ? 0 : 2)),
        pointStyle: moved.map((flag) => (flag ? "triangle" : "circle")),
      },
    ];
  },

  tooltipCallbacks(days) {
    return {
      title: (items) => (items.length ? fullLabel(days[items[0].dataIndex].time) : ""),
      label: (item) => {
        const day = days[item.dataIndex];
        if (this.view === "assets") return `${item.dataset.label}: ${format.won(item.parsed.y)}`;
        const index = item.datasetIndex === 0 ? null : item.datasetIndex === 1 ? day.kospi : day.kosdaq;
        return index ? `${item.dataset.label}: ${indexValue(index)}` : `${item.dataset.label}: ${rate(item.parsed.y)}`;
      },
      footer: (items) => {
        if (!items.length) return "";
        const day = days[items[0].dataIndex];
        const lines = [];
        if (this.view === "return" && day.assets !== null) lines.push(`${gettext("Estimated assets")}: ${format.won(day.assets)}`);
        if (day.netFlow) lines.push(`${gettext("Deposits and withdrawals")}: ${format.signedWon(day.netFlow)}`);
        return lines;
      },
    };
  },

  hover(index) {
    const valid = Number.isInteger(index) && index >= 0 && index < this.days.length;
    this.hovered = valid ? index : null;
  },
}));
