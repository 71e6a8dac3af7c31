/* 매매일지: each day's buys, sells, realized P&L, commission and tax over a period; the period's realized
   trades; P&L before or after costs, the rates used, and where the figures come from. */

import { kstDate, numeric, periodRange, total, withQuery } from "./lib/history.js";
import { Alpine, api, errorBox, format, gettext, interpolate, locale, readJson } from "./stocklab.js";

const urls = readJson("history-api");
const percent = new Intl.NumberFormat(locale, { maximumFractionDigits: 4 });
const PRESETS = ["month", "last-month", "1M", "3M", "year"];
const SOURCES = { kiwoom: gettext("Kiwoom"), ledger: gettext("StockLab's ledger") };
const sourceName = (source) => SOURCES[source] ?? source ?? "–";
// The API's rates are fractions of the amount ("0.000150"): shown as percentages (0.015%).
const percentOf = (rate) => (numeric(rate) === null ? "–" : `${percent.format(numeric(rate) * 100)}%`);

Alpine.data("journal", () => ({
  format,
  presets: PRESETS,
  period: { start: "", end: "" },
  preset: "month",
  afterCosts: true,
  days: [], // the journal's days, newest first
  journalAnswer: null,
  realized: null, // GET history/realized for the period, at the chosen costs
  costs: null,
  loading: false,
  loads: 0, // journal loads asked for: only the last one's answer is shown
  realizedLoads: 0,
  error: null,
  realizedError: null,
  fieldError: "",
  notConnected: "", // the API's detail when it answers kiwoom_not_connected
  needsKeys: false, // no keys and no history (the page says so in data-needs-keys)
  notConnectedTitle: gettext("Kiwoom is not connected"),
  connectHint: gettext("Connect your Kiwoom keys to see your orders, fills and trade journal here."),

  init() {
    this.needsKeys = this.$root.dataset.needsKeys === "true";
    const query = new URLSearchParams(window.location.search);
    const range = periodRange("month", kstDate());
    this.period = { start: query.get("start") || range.start, end: query.get("end") || range.end };
    this.afterCosts = query.get("costs") !== "before";
    this.preset = query.has("start") ? "" : "month";
    this.loadCosts();
    this.load();
  },

  get csvUrl() {
    return withQuery(urls.journal, { start: this.period.start, end: this.period.end, format: "csv" });
  },

  get costsParam() {
    return this.afterCosts ? "after" : "before";
  },

  presetLabel(preset) {
    return {
      month: gettext("This month"),
      "last-month": gettext("Last month"),
      "1M": gettext("1 month"),
      "3M": gettext("3 months"),
      year: gettext("This year"),
    }[preset];
  },

  presetPressed(preset) {
    return preset === this.preset ? "true" : "false";
  },

  choosePreset(event) {
    this.preset = event.currentTarget.dataset.preset;
    this.period = periodRange(this.preset, kstDate());
    this.load();
  },

  applyPeriod() {
    this.preset = "";
    this.load();
  },

  costsChanged() {
    this.loadRealized();
    this.remember();
  },

  remember() {
    const query = withQuery("", { start: this.period.start, end: this.period.end, costs: this.afterCosts ? "" : "before" });
    window.history.replaceState(null, "", `${window.location.pathname}${query}`);
  },

  async loadCosts() {
    const { ok, data } = await api.get(urls.costs);
    this.costs = ok ? data : null;
  },

  async load() {
    const { start, end } = this.period;
    this.fieldError = !start || !end ? gettext("Choose the first and the last day.") : start > end ? gettext("The last day comes before the first day.") : "";
    if (this.fieldError) return;
    this.remember();
    const asked = ++this.loads;
    this.loading = true;
    const journal = api.get(withQuery(urls.journal, { start, end }));
    this.loadRealized();
    const { ok, status, data } = await journal;
    if (asked !== this.loads) return; // a later period has the screen
    this.loading = false;
    this.noticeNotConnected(status, data);
    this.journalAnswer = ok ? data : null;
    this.days = ok ? data.days : [];
    this.error = ok ? null : errorBox(data, { title: gettext("Could not load the journal"), retry: true });
  },

  async loadRealized() {
    const asked = ++this.realizedLoads;
    const { start, end } = this.period;
    const { ok, status, data } = await api.get(withQuery(urls.realized, { start, end, costs: this.costsParam }));
    if (asked !== this.realizedLoads) return; // a later period or basis has the screen
    this.noticeNotConnected(status, data);
    this.realized = ok ? data : null;
    this.realizedError = ok ? null : errorBox(data, { title: gettext("Could not load the realized P&L") });
  },

  noticeNotConnected(status, data) {
    if (status === 409 && data?.code === "kiwoom_not_connected") this.notConnected = data.detail;
  },

  // --- What the page shows -------------------------------------------------------------------------------
  /** A day's realized P&L at the chosen basis (the journal answers both). */
  dayPnl(day) {
    return numeric(this.afterCosts ? day.realized_pnl : day.realized_pnl_before_costs);
  },

  get rows() {
    return this.days.map((day) => {
      const realized = this.dayPnl(day);
      return {
        date: day.day,
        buys: format.won(numeric(day.buy_amount)),
        buysNote: day.buy_quantity ? format.shares(day.buy_quantity) : "",
        sells: format.won(numeric(day.sell_amount)),
        sellsNote: day.sell_quantity ? format.shares(day.sell_quantity) : "",
        realized: format.signedWon(realized),
        realizedTone: format.signClass(realized),
        commission: format.won(numeric(day.commission)),
        tax: format.won(numeric(day.tax)),
      };
    });
  },

  get realizedTotal() {
    return this.days.length ? this.days.reduce((sum, day) => sum + (this.dayPnl(day) ?? 0), 0) : null;
  },

  get summary() {
    const realized = this.realizedTotal;
    return [
      {
        key: "realized",
        label: this.afterCosts ? gettext("Realized P&L after costs") : gettext("Realized P&L before costs"),
        value: format.signedWon(realized),
        tone: format.signClass(realized),
      },
      { key: "buys", label: gettext("Bought"), value: format.won(total(this.days, "buy_amount")), tone: "" },
      { key: "sells", label: gettext("Sold"), value: format.won(total(this.days, "sell_amount")), tone: "" },
      { key: "commission", label: gettext("Commission"), value: format.won(total(this.days, "commission")), tone: "" },
      { key: "tax", label: gettext("Tax"), value: format.won(total(this.days, "tax")), tone: "" },
    ];
  },

  get totalsRow() {
    const realized = this.realizedTotal;
    return {
      buys: format.won(total(this.days, "buy_amount")),
      sells: format.won(total(this.days, "sell_amount")),
      realized: format.signedWon(realized),
      realizedTone: format.signClass(realized),
      commission: format.won(total(this.days, "commission")),
      tax: format.won(total(this.days, "tax")),
    };
  },

  get tradeRows() {
    return (this.realized?.trades ?? []).map((trade, i) => {
      const pnl = numeric(trade.pnl);
      const cost = numeric(trade.average_cost);
      const invested = cost === null ? null : cost * trade.quantity;
      const rate = pnl !== null && invested ? ((pnl / invested) * 100).toFixed(2) : null;
      return {
        key: `${trade.order_id ?? ""}-${trade.day}-${trade.stock_code}-${i}`,
        date: trade.day,
        name: trade.stock_name || trade.stock_code,
        code: trade.stock_code,
        quantity: format.number(trade.quantity),
        price: format.won(trade.sell_price),
        cost: trade.cost_known === false ? gettext("unknown") : format.won(cost === null ? null : Math.round(cost)),
        costNote: trade.cost_known === false ? gettext("bought outside StockLab: counted at the sale price") : "",
        pnl: format.signedWon(pnl),
        tone: format.signClass(pnl),
        rate: rate === null ? "–" : format.rate(rate),
        source: sourceName(trade.source),
      };
    });
  },

  /** Where the days' figures come from (the journal is StockLab's ledger's) and where the trades' do
      (Kiwoom's realized-P&L answer where the mode has it, else the ledger). */
  get journalSource() {
    return this.journalAnswer ? interpolate(gettext("Source: %s"), [sourceName(this.journalAnswer.source)]) : "";
  },

  get realizedSourceCode() {
    return this.realized?.source ?? "";
  },

  get realizedSource() {
    return this.realized ? interpolate(gettext("Source: %s"), [sourceName(this.realized.source)]) : "";
  },

  sourceNote(source) {
    return source === "ledger"
      ? gettext("Computed from your fills in StockLab's ledger, by moving-average cost with commission and the sell tax, as Korean brokerages do.")
      : gettext("Kiwoom's own realized P&L for the period (its commission and tax).");
  },

  get journalSourceNote() {
    return this.journalAnswer ? this.sourceNote(this.journalAnswer.source) : "";
  },

  get realizedSourceNote() {
    return this.realized ? this.sourceNote(this.realized.source) : "";
  },

  /** The commission and tax rates the figures use, by mode (GET history/costs). */
  get rates() {
    const modes = { mock: gettext("Mock investing"), real: gettext("Real trading") };
    return (this.costs?.rates ?? []).map((rates) => ({
      mode: rates.mode,
      label: modes[rates.mode] ?? rates.mode,
      text: interpolate(
        gettext("commission %(commission)s per order, tax %(tax)s on sales"),
        { commission: percentOf(rates.commission_rate), tax: percentOf(rates.sell_tax_rate) },
        true,
      ),
    }));
  },

  get costsNote() {
    return this.costs?.note ?? "";
  },

  get empty() {
    return !this.loading && !this.error && this.days.length === 0;
  },
}));
