/* History: the orders and fills of any day or period (StockLab's ledger), filtered by stock and side, a page at
   a time, and their CSV exports with the same filters. */

import { kstDate, numeric, periodRange, withQuery } from "./lib/history.js";
import { isStockCode } from "./lib/stock_code.js";
import { Alpine, api, errorBox, format, gettext, interpolate, locale, readJson } from "./stocklab.js";

const urls = readJson("history-api");
const labels = readJson("ledger-labels");
const FILTERS = ["start", "end", "stock_code", "side"];
const PRESETS = ["today", "1W", "1M", "3M", "1Y"];
const label = (words, value) => words[value] || value || "–";
const percent = new Intl.NumberFormat(locale, { maximumFractionDigits: 4 });
// The API's rates are fractions of the amount ("0.000150"): shown as percentages (0.015%).
const percentOf = (rate) => (numeric(rate) === null ? "–" : `${percent.format(numeric(rate) * 100)}%`);
const sideClass = (side) => (side === "buy" ? "gain" : "loss");

function orderRow(order) {
  const cancellation = order.kind === "cancel";
  return {
    id: order.id,
    orderedAt: format.dateTime(order.ordered_at),
    name: order.stock_name || order.stock_code,
    code: order.stock_code,
    side: label(labels.sides, order.side),
    sideClass: cancellation ? "flat" : sideClass(order.side),
    kind: order.kind && order.kind !== "new" ? label(labels.kinds, order.kind) : "",
    type: cancellation ? "–" : label(labels.trade_types, order.trade_type),
    quantity: format.number(order.quantity),
    price: cancellation ? "–" : order.price ? format.won(order.price) : gettext("Market"),
    filled: cancellation ? "–" : `${format.number(order.filled_quantity)} / ${format.number(order.quantity)}`,
    average: order.average_fill_price && !cancellation ? interpolate(gettext("avg. %s"), [format.won(order.average_fill_price)]) : "",
    badgeClass: `badge badge--status badge--${order.status}`,
    status: label(labels.statuses, order.status),
    number: order.order_number || "–",
  };
}

/** One ledger entry's fills taken together (the API's row), as the table shows it. */
function fillRow(fill) {
  return {
    key: fill.order_id,
    filledAt: format.dateTime(fill.last_filled_at),
    name: fill.stock_name || fill.stock_code,
    code: fill.stock_code,
    side: label(labels.sides, fill.side),
    sideClass: sideClass(fill.side),
    quantity: format.number(fill.quantity),
    price: format.won(fill.price),
    amount: format.won(fill.amount),
    commission: format.won(fill.commission),
    tax: format.won(fill.tax),
    number: fill.order_number || "–",
  };
}

/** One paginated list (orders or fills): the API's {count, next, previous, results} and its address. */
function list(name) {
  return { name, page: null, url: "", loading: false, loads: 0, error: null };
}

Alpine.data("history", () => ({
  presets: PRESETS,
  preset: "1M",
  filters: { start: "", end: "", stock_code: "", side: "" },
  fieldError: "",
  orders: list("orders"),
  fills: list("fills"),
  costs: null, // GET history/costs: the rates behind the fills' estimated commission and tax
  notConnected: "", // the API's detail when it answers kiwoom_not_connected
  needsKeys: false, // no keys and no history (the page says so in data-needs-keys)
  notConnectedTitle: gettext("Kiwoom is not connected"),
  connectHint: gettext("Connect your Kiwoom keys to see your orders, fills and trade journal here."),

  init() {
    this.needsKeys = this.$root.dataset.needsKeys === "true";
    this.readAddress();
    this.loadBoth();
    this.loadCosts();
    window.addEventListener("popstate", () => {
      this.readAddress();
      this.loadBoth({ remember: false });
    });
  },

  readAddress() {
    const query = new URLSearchParams(window.location.search);
    const range = periodRange("1M", kstDate());
    this.filters = {
      start: query.get("start") || range.start,
      end: query.get("end") || range.end,
      stock_code: query.get("stock_code") || "",
      side: query.get("side") || "",
    };
    this.preset = query.has("start") || query.has("end") ? "" : "1M";
  },

  get query() {
    return Object.fromEntries(FILTERS.map((name) => [name, this.filters[name]]));
  },

  get ordersCsv() {
    return withQuery(urls.orders, { ...this.query, format: "csv" });
  },

  get fillsCsv() {
    return withQuery(urls.fills, { ...this.query, format: "csv" });
  },

  presetLabel(preset) {
    return { today: gettext("Today"), "1W": gettext("1 week"), "1M": gettext("1 month"), "3M": gettext("3 months"), "1Y": gettext("1 year") }[preset];
  },

  presetPressed(preset) {
    return preset === this.preset ? "true" : "false";
  },

  choosePreset(event) {
    this.preset = event.currentTarget.dataset.preset;
    Object.assign(this.filters, periodRange(this.preset, kstDate()));
    this.loadBoth();
  },

  applyFilters() {
    this.preset = "";
    this.loadBoth();
  },

  clearFilters() {
    this.preset = "1M";
    this.filters = { ...periodRange("1M", kstDate()), stock_code: "", side: "" };
    this.loadBoth();
  },

  validate() {
    const { start, end, stock_code: code } = this.filters;
    if (code.trim() && !isStockCode(code.trim())) return gettext("A stock code is six letters or digits, such as 005930.");
    if (start && end && start > end) return gettext("The last day comes before the first day.");
    return "";
  },

  loadBoth({ remember = true } = {}) {
    this.fieldError = this.validate();
    if (this.fieldError) {
      // The lists on screen do not answer these filters: none are shown rather than the wrong ones.
      for (const target of [this.orders, this.fills]) {
        target.loads += 1; // a load still under way answers other filters
        Object.assign(target, { page: null, loading: false, error: null });
      }
      return;
    }
    if (remember) {
      const address = `${window.location.pathname}${withQuery("", this.query)}`;
      if (address !== `${window.location.pathname}${window.location.search}`) window.history.pushState(null, "", address);
    }
    this.load(this.orders, withQuery(urls.orders, this.query));
    this.load(this.fills, withQuery(urls.fills, this.query));
  },

  async load(target, url) {
    target.url = url;
    target.loading = true;
    const asked = ++target.loads;
    const { ok, status, data } = await api.get(url);
    if (asked !== target.loads) return; // a later filter or page has the screen
    if (status === 409 && data?.code === "kiwoom_not_connected") this.notConnected = data.detail;
    target.loading = false;
    target.page = ok ? data : null;
    const title = target.name === "orders" ? gettext("Could not load the orders") : gettext("Could not load the fills");
    target.error = ok ? null : errorBox(data, { title });
  },

  async loadCosts() {
    const { ok, data } = await api.get(urls.costs);
    this.costs = ok ? data : null;
  },

  /** The rates the fills' commission and tax are estimated at, one line a mode. */
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

  // --- The two lists -------------------------------------------------------------------------------------
  get orderRows() {
    return (this.orders.page?.results ?? []).map(orderRow);
  },

  get fillRows() {
    return (this.fills.page?.results ?? []).map(fillRow);
  },

  range(target) {
    if (!target.page?.count) return "";
    const page = Number(new URL(target.url, window.location.origin).searchParams.get("page") || 1);
    return interpolate(gettext("%(count)s entries · page %(page)s"), { count: format.number(target.page.count), page }, true);
  },

  get ordersRange() {
    return this.range(this.orders);
  },

  get fillsRange() {
    return this.range(this.fills);
  },

  get ordersEmpty() {
    return Boolean(this.orders.page) && this.orderRows.length === 0;
  },

  get fillsEmpty() {
    return Boolean(this.fills.page) && this.fillRows.length === 0;
  },

  get ordersHasPrevious() {
    return Boolean(this.orders.page?.previous);
  },

  get ordersHasNext() {
    return Boolean(this.orders.page?.next);
  },

  get fillsHasPrevious() {
    return Boolean(this.fills.page?.previous);
  },

  get fillsHasNext() {
    return Boolean(this.fills.page?.next);
  },

  ordersPrevious() {
    if (this.orders.page?.previous) this.load(this.orders, this.orders.page.previous);
  },

  ordersNext() {
    if (this.orders.page?.next) this.load(this.orders, this.orders.page.next);
  },

  fillsPrevious() {
    if (this.fills.page?.previous) this.load(this.fills, this.fills.page.previous);
  },

  fillsNext() {
    if (this.fills.page?.next) this.load(this.fills, this.fills.page.next);
  },
}));
