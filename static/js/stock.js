/* A stock's page: the quote, the 10-level 호가, candles (lightweight-charts), the order ticket, the user's
   position in the stock, and the 관심종목 button. Quote and 호가 are polled within Kiwoom's limits (the server
   shares them between users for a few seconds) until the live stream sends `price` and `book` messages. */
import {
  CandlestickSeries,
  createChart,
  HistogramSeries,
  LineSeries,
} from "../vendor/lightweight-charts/lightweight-charts.standalone.production.mjs";
import { chartSeries, crosshairFormatter, RANGE_INTERVALS, tickMarkFormatter } from "./lib/candles.js";
import { placePending } from "./lib/place.js";
import { bookBars, buyableQuantity, costRule, estimate, quantityAtPercent, stepPrice, ticketChecks, wholeNumber } from "./lib/ticket.js";
import { live } from "./live.js";
import { Alpine, api, errorBox, format, gettext, interpolate, locale, market, newIdempotencyKey, readJson } from "./stocklab.js";

const GAIN = "#d32f2f";
const LOSS = "#1565c0";
const AVERAGE_COLOURS = { 5: "#c2410c", 20: "#0f766e", 60: "#6d28d9" };
// Polling: the server shares a quote (ka10001) and a 호가 (ka10004) for seconds; Kiwoom takes 1 call/s per TR.
const QUOTE_MS = 5000;
const BOOK_MS = 3000;
const POSITION_MS = 15000;
const ORDERABLE_DELAY_MS = 300;
const RECHECK_MS = 1500;
const PERCENTS = [10, 25, 50, 100];
// Empty bars at each end of the chart, as a share of the candles: room for the first and last time labels.
const CHART_EDGE_ROOM = 0.04;
// While the live stream delivers `price` and `book`, polling only refreshes the rest (high, low ...) now and then.
const POLLS_PER_LIVE_POLL = 6;

const tradeTypes = readJson("trade-types") ?? [];
const siteLimits = readJson("site-limits");
// The stock master's name, market and warnings (null for a code the master does not know).
const master = readJson("stock-master");
const charts = {}; // lightweight-charts objects stay outside Alpine's reactive proxies
const sideLabel = (side) => (side === "buy" ? gettext("Buy") : gettext("Sell"));
const STATUS_WORDS = {
  pending: gettext("Pending"),
  accepted: gettext("Accepted"),
  rejected: gettext("Rejected"),
  unresolved: gettext("Unresolved"),
  not_placed: gettext("Not placed"),
  partially_filled: gettext("Partially filled"),
  filled: gettext("Filled"),
  cancelled: gettext("Cancelled"),
  modified: gettext("Modified"),
};

/** A quote as the page reads it, whichever names the API gives (the contract's `price`, `open` ... or
    Kiwoom's `current_price`, `open_price` ...). */
export function readQuote(data) {
  const pick = (...names) => names.map((name) => data[name]).find((value) => value !== undefined && value !== null);
  return {
    ...data,
    price: pick("price", "current_price"),
    open: pick("open", "open_price"),
    high: pick("high", "high_price"),
    low: pick("low", "low_price"),
  };
}

/** The check's message, in the page's language. */
function checkMessage({ code, values }) {
  const won = (n) => format.won(n);
  switch (code) {
    case "quantity_invalid":
      return gettext("Enter a whole number of shares, 1 or more.");
    case "price_invalid":
      return gettext("Enter a price in whole won.");
    case "price_off_tick":
      return interpolate(
        gettext("Not on the price grid: at this price, prices move in steps of %(tick)s (for example %(below)s or %(above)s)."),
        { tick: won(values.tick), below: won(values.below), above: won(values.above) },
        true,
      );
    case "price_out_of_band":
      return interpolate(
        gettext("%(price)s is outside today's limits: %(lower)s to %(upper)s."),
        { price: won(values.price), lower: won(values.lower), upper: won(values.upper) },
        true,
      );
    case "over_quantity_limit":
      return interpolate(
        gettext("%(quantity)s is over your limit of %(limit)s per order."),
        { quantity: format.shares(values.quantity), limit: format.shares(values.limit) },
        true,
      );
    case "over_value_limit":
      return interpolate(
        gettext("The order is worth %(value)s, over your limit of %(limit)s per order."),
        { value: won(values.value), limit: won(values.limit) },
        true,
      );
    case "over_cash":
      return interpolate(
        gettext("This order needs %(cost)s with commission, more than your orderable cash of %(cash)s (at most %(max)s)."),
        { cost: won(values.cost), cash: won(values.cash), max: format.shares(values.max) },
        true,
      );
    case "over_max_buyable":
      return interpolate(gettext("You can buy at most %s at this price."), [format.shares(values.max)]);
    case "nothing_to_sell":
      return gettext("You have no sellable shares of this stock.");
    case "over_sellable":
      return interpolate(gettext("You can sell at most %s (sellable now)."), [format.shares(values.sellable)]);
    default:
      return code;
  }
}

Alpine.data("stockPage", () => ({
  format,
  percents: PERCENTS,
  tradeTypes,
  ranges: Object.keys(RANGE_INTERVALS),
  words: {
    attribution: gettext("Charts by TradingView Lightweight Charts™"),
    sending: gettext("Sending the order to Kiwoom…"),
    seeOrders: gettext("See my orders"),
    noBook: gettext("No 호가 yet."),
    noCandles: gettext("No candles for this range."),
  },
  code: "",
  quote: null,
  quoteError: null,
  notConnected: "",
  book: null,
  bookError: null,
  range: "3M",
  candlesLoading: false,
  candlesEmpty: false,
  candlesError: null,
  // The ticket
  side: "buy",
  tradeType: "0",
  price: "",
  quantity: "",
  orderable: null,
  orderableTimer: null,
  problems: [],
  ticketError: null,
  pending: null,
  submitting: false,
  refused: false,
  retryable: false,
  confirmError: null,
  result: null,
  // The user's position and 관심종목
  position: null,
  groups: null,
  groupId: "",
  watchError: null,
  live: false, // the live stream delivers price and book: polling stops
  timers: [],

  init() {
    this.code = this.$root.dataset.code;
    this.loadGroups();
    // Without connected keys every Kiwoom-backed call would be refused (409): the page says how to connect.
    this.notConnected = this.$root.dataset.notConnected ?? "";
    if (this.notConnected) return;
    this.$watch("side", () => this.ticketChanged(true));
    this.$watch("tradeType", () => this.ticketChanged(true));
    this.$watch("price", () => this.ticketChanged(true));
    this.$watch("quantity", () => this.ticketChanged(false));
    this.loadQuote();
    this.loadBook();
    this.loadPosition();
    this.$nextTick(() => this.drawCandles());
    this.poll(() => this.loadQuote(), QUOTE_MS);
    this.poll(() => this.loadBook(), BOOK_MS);
    this.poll(() => this.loadPosition(), POSITION_MS);
    this.listenLive();
  },

  api(part) {
    return `${this.$root.dataset.stockApiUrl}/${part}`;
  },

  /** Run `load` every `ms` while the page is in view; seldom while the live stream delivers. */
  poll(load, ms) {
    let ticks = 0;
    this.timers.push(
      window.setInterval(() => {
        ticks += 1;
        if (!document.hidden && (!this.live || ticks % POLLS_PER_LIVE_POLL === 0)) load();
      }, ms),
    );
  },

  // --- The live stream (static/js/live.js) ---------------------------------------------------------------
  /** `price` and `book` for this stock, and this stock's orders; after a reconnection, what was missed. */
  listenLive() {
    if (!live) return;
    live.subscribe([this.code]);
    live.onState((state) => {
      this.live = state === "live";
    });
    live.on("price", (message) => this.onLive(message));
    live.on("book", (message) => this.onLive(message));
    live.on("order", (order) => {
      if (order.stock_code === this.code) this.loadPosition();
    });
    live.on("reconnected", () => {
      this.loadQuote();
      this.loadBook();
      this.loadPosition();
    });
  },

  onLive(message) {
    if (!message || message.stock_code !== this.code) return;
    if (message.type === "price" && this.quote) {
      const { price, change, change_rate, volume } = message;
      // A tick's `time` is Kiwoom's HHMMSS without a date: the page stamps it when it arrives.
      this.quote = { ...this.quote, price, change, change_rate, volume, as_of: new Date().toISOString() };
    } else if (message.type === "book") {
      const level = ([price, quantity]) => ({ price, quantity });
      this.book = {
        ...this.book,
        asks: message.asks.map(level),
        bids: message.bids.map(level),
        as_of: new Date().toISOString(),
      };
    }
  },

  // --- Quote ---------------------------------------------------------------------------------------------
  async loadQuote() {
    let { ok, status, data } = await api.get(this.api("quote"));
    if (status === 404) {
      // Before stocks/{code}/quote: the stock's name and price from stocks/{code}.
      ({ ok, status, data } = await api.get(this.$root.dataset.stockApiUrl));
    }
    if (ok) {
      const first = !this.quote;
      data = readQuote(data);
      this.quote = data;
      this.quoteError = null;
      this.notConnected = "";
      if (first && !this.price && data.price) this.price = String(data.price);
      if (first && !master && data.name) document.title = document.title.replace(this.code, `${data.name} ${this.code}`);
    } else if (status === 409 && data.code === "kiwoom_not_connected") {
      this.notConnected = data.detail;
    } else if (!this.quote) {
      this.quoteError = errorBox(data, { title: gettext("The quote could not be loaded"), retry: true });
    }
  },

  get tone() {
    return this.quote ? format.signClass(this.quote.change) : "flat";
  },

  get priceText() {
    return this.quote ? format.won(this.quote.price) : "–";
  },

  get changeText() {
    if (!this.quote || this.quote.change === undefined) return "";
    const arrow = { gain: "▲", loss: "▼", flat: "" }[this.tone];
    return `${arrow} ${format.won(Math.abs(this.quote.change))} (${format.rate(this.quote.change_rate)})`;
  },

  get quoteFacts() {
    const q = this.quote;
    if (!q) return [];
    const tone = (value) => (q.base_price ? format.signClass(value - q.base_price) : "");
    const facts = [
      { label: gettext("Volume"), value: q.volume === undefined ? "–" : format.number(q.volume), tone: "" },
      { label: gettext("Open"), value: format.won(q.open), tone: tone(q.open) },
      { label: gettext("High"), value: format.won(q.high), tone: tone(q.high) },
      { label: gettext("Low"), value: format.won(q.low), tone: tone(q.low) },
      { label: gettext("Upper limit"), value: format.won(q.upper_limit), tone: "gain" },
      { label: gettext("Lower limit"), value: format.won(q.lower_limit), tone: "loss" },
      { label: gettext("Previous close"), value: format.won(q.base_price), tone: "" },
    ];
    return facts.map((fact, i) => ({ ...fact, key: i }));
  },

  get stockName() {
    return this.quote?.name || master?.name || "";
  },

  get stockMarket() {
    return this.quote?.market || master?.market || "";
  },

  get warnings() {
    return this.quote?.warnings ?? master?.warnings ?? [];
  },

  get asOf() {
    return this.quote?.as_of ? interpolate(gettext("As of %s"), [format.dateTime(this.quote.as_of)]) : "";
  },

  get band() {
    return this.quote ? { lower: this.quote.lower_limit, upper: this.quote.upper_limit } : null;
  },

  // --- 호가 ----------------------------------------------------------------------------------------------
  async loadBook() {
    if (this.notConnected) return;
    const { ok, data } = await api.get(this.api("orderbook"));
    if (ok) {
      this.book = data;
      this.bookError = null;
    } else if (!this.book && data.code !== "kiwoom_not_connected") {
      this.bookError = errorBox(data, { title: gettext("The 호가 could not be loaded") });
    }
  },

  /** Ten asks (highest first, the best just above the middle), then ten bids (best first), with bars. */
  get bookRows() {
    if (!this.book) return [];
    const { asks, bids } = bookBars(this.book.asks ?? [], this.book.bids ?? []);
    const base = this.quote?.base_price;
    const row = (side) => (level, i) => ({
      key: `${side}-${i}`,
      side,
      price: level.price,
      priceText: format.number(level.price),
      quantityText: format.number(level.quantity),
      width: `bar-${Math.min(100, Math.max(0, Math.round(level.bar / 5) * 5))}`,
      tone: base ? format.signClass(level.price - base) : "",
      current: this.quote?.price === level.price,
      label: interpolate(gettext("Use %s as the price"), [format.won(level.price)]),
    });
    return [...asks.map(row("ask")).reverse(), ...bids.map(row("bid"))];
  },

  get bookTotals() {
    if (!this.book) return null;
    return {
      asks: format.number(this.book.total_ask_quantity ?? this.book.asks?.reduce((sum, l) => sum + l.quantity, 0)),
      bids: format.number(this.book.total_bid_quantity ?? this.book.bids?.reduce((sum, l) => sum + l.quantity, 0)),
    };
  },

  /** A 호가 price clicked: a limit order at that price. */
  usePrice(price) {
    this.tradeType = tradeTypes.find((type) => type.requires_price)?.value ?? this.tradeType;
    this.price = String(price);
    this.$nextTick(() => this.$refs.price?.focus());
  },

  // --- Candles -------------------------------------------------------------------------------------------
  setRange(range) {
    this.range = range;
    this.drawCandles();
  },

  async drawCandles() {
    if (this.notConnected) return;
    const range = this.range;
    this.candlesLoading = true;
    this.$refs.chart.dataset.candles = ""; // set again once this range's candles are drawn
    const query = new URLSearchParams({ interval: RANGE_INTERVALS[range], range });
    const { ok, data } = await api.get(`${this.api("candles")}?${query}`);
    if (range !== this.range) return; // another range was chosen meanwhile
    this.candlesLoading = false;
    if (!ok) {
      this.candlesError = data.code === "kiwoom_not_connected" ? null : errorBox(data, { title: gettext("The chart could not be loaded") });
      return;
    }
    this.candlesError = null;
    this.candlesEmpty = data.candles.length === 0;
    const series = chartSeries(data.candles, { up: GAIN, down: LOSS });
    this.ensureChart();
    charts.candles.setData(series.candles);
    charts.volume.setData(series.volume);
    for (const [period, line] of Object.entries(charts.averages)) line.setData(series.averages[period] ?? []);
    this.fitCandles(series.candles.length);
    this.$refs.chart.dataset.candles = String(series.candles.length);
  },

  /** Every candle in view, with a little room at both ends so the first and last time labels are not cut. */
  fitCandles(count) {
    const timeScale = charts.chart.timeScale();
    if (count < 2) return timeScale.fitContent();
    const room = Math.max(1, Math.round(count * CHART_EDGE_ROOM));
    timeScale.setVisibleLogicalRange({ from: -room, to: count - 1 + room });
  },

  ensureChart() {
    if (charts.chart) return;
    const chart = createChart(this.$refs.chart, {
      autoSize: true,
      // The logo brings an inline <style> the site's CSP refuses: the page credits TradingView under the chart.
      layout: { attributionLogo: false, textColor: "#5d6470", background: { color: "#ffffff" } },
      grid: { vertLines: { color: "#f0f1f4" }, horzLines: { color: "#f0f1f4" } },
      // Prices above, volume in the bottom fifth: the bars stay clear of the candles and the price labels.
      rightPriceScale: { scaleMargins: { top: 0.1, bottom: 0.25 } },
      timeScale: {
        timeVisible: true,
        secondsVisible: false,
        // A narrower or wider window keeps the same candles in view (a phone turned, a window resized).
        lockVisibleTimeRangeOnResize: true,
        tickMarkFormatter: tickMarkFormatter(locale),
      },
      localization: {
        locale,
        priceFormatter: (price) => format.number(Math.round(price)),
        timeFormatter: crosshairFormatter(locale),
      },
    });
    charts.chart = chart;
    charts.candles = chart.addSeries(CandlestickSeries, {
      upColor: GAIN,
      downColor: LOSS,
      borderUpColor: GAIN,
      borderDownColor: LOSS,
      wickUpColor: GAIN,
      wickDownColor: LOSS,
      priceScaleId: "right",
    });
    charts.volume = chart.addSeries(HistogramSeries, {
      priceScaleId: "volume",
      priceFormat: { type: "volume" },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 }, visible: false });
    chart.priceScale("right").applyOptions({ scaleMargins: { top: 0.1, bottom: 0.25 } });
    charts.averages = {};
    for (const [period, color] of Object.entries(AVERAGE_COLOURS)) {
      charts.averages[period] = chart.addSeries(LineSeries, {
        color,
        lineWidth: 1,
        priceLineVisible: false,
        lastValueVisible: false,
        crosshairMarkerVisible: false,
      });
    }
  },

  rangePressed(range) {
    return range === this.range ? "true" : "false";
  },

  // --- The ticket ----------------------------------------------------------------------------------------
  get requiresPrice() {
    return Boolean(tradeTypes.find((type) => type.value === this.tradeType)?.requires_price);
  },

  /** The price the ticket counts with: the limit price, or the current price for a market order. */
  get unitPrice() {
    if (this.requiresPrice) return wholeNumber(this.price) ?? 0;
    return this.quote?.price ?? 0;
  },

  ticketChanged(askOrderable) {
    this.problems = [];
    this.ticketError = null;
    if (askOrderable) {
      window.clearTimeout(this.orderableTimer);
      this.orderableTimer = window.setTimeout(() => this.loadOrderable(), ORDERABLE_DELAY_MS);
    }
  },

  /** The most the user may buy at the price (or sell), with the commission and tax rates. */
  async loadOrderable() {
    if (this.notConnected) return;
    const price = this.unitPrice;
    const side = this.side;
    const query = new URLSearchParams({ side });
    if (price > 0) query.set("price", String(price));
    const { ok, data } = await api.get(`${this.api("orderable")}?${query}`);
    if (side !== this.side || price !== this.unitPrice) return;
    this.orderable = ok ? data : null;
  },

  step(ticks) {
    this.tradeType = this.requiresPrice ? this.tradeType : (tradeTypes.find((type) => type.requires_price)?.value ?? this.tradeType);
    const from = wholeNumber(this.price) || this.quote?.price || 0;
    this.price = String(stepPrice(from, ticks, market));
  },

  stepUp() {
    this.step(1);
  },

  stepDown() {
    this.step(-1);
  },

  get tickHint() {
    const price = wholeNumber(this.price);
    if (!this.requiresPrice || !price) return "";
    return interpolate(gettext("Tick size at this price: %s"), [format.won(market.tickSize(price))]);
  },

  get maxQuantity() {
    if (!this.orderable) return null;
    return this.side === "buy" ? buyableQuantity(this.orderable, this.unitPrice) : this.orderable.sellable_quantity;
  },

  get maxText() {
    if (this.maxQuantity === null || this.maxQuantity === undefined) return "";
    const label = this.side === "buy" ? gettext("Buyable: up to %s") : gettext("Sellable: %s");
    return interpolate(label, [format.shares(this.maxQuantity)]);
  },

  get cashText() {
    if (this.side !== "buy" || !this.orderable) return "";
    return interpolate(gettext("Orderable cash: %s"), [format.won(this.orderable.orderable_cash)]);
  },

  usePercent(percent) {
    const quantity = quantityAtPercent(this.maxQuantity ?? 0, percent);
    this.quantity = quantity > 0 ? String(quantity) : this.quantity;
  },

  percentLabel(percent) {
    return percent === 100 ? gettext("Max") : `${percent}%`;
  },

  get rates() {
    return costRule(this.orderable);
  },

  get estimateRows() {
    const quantity = wholeNumber(this.quantity) ?? 0;
    const cost = estimate({ side: this.side, quantity, price: this.unitPrice, ...this.rates });
    if (!cost.amount) return [];
    const rows = [
      { key: "amount", label: this.requiresPrice ? gettext("Order amount") : gettext("Amount at the current price"), value: format.won(cost.amount) },
      { key: "commission", label: gettext("Commission"), value: format.won(cost.commission) },
    ];
    if (this.side === "sell") rows.push({ key: "tax", label: gettext("Tax on the sale"), value: format.won(cost.tax) });
    rows.push({
      key: "total",
      label: this.side === "buy" ? gettext("Total to pay") : gettext("Total to receive"),
      value: format.won(cost.total),
    });
    return rows;
  },

  get limits() {
    return this.position?.limits ?? siteLimits;
  },

  problemsOf(field) {
    return this.problems.filter((problem) => problem.field === field).map(checkMessage);
  },

  get quantityErrors() {
    return this.problemsOf("quantity");
  },

  get priceErrors() {
    return this.problemsOf("price");
  },

  get quantityInvalid() {
    return this.quantityErrors.length > 0 ? "true" : "false";
  },

  get priceInvalid() {
    return this.priceErrors.length > 0 ? "true" : "false";
  },

  /** The checks against orderable cash, holdings, the band and the user's limits; then the confirmation. */
  async review() {
    if (!this.orderable) await this.loadOrderable();
    this.problems = ticketChecks({
      side: this.side,
      quantityText: this.quantity,
      priceText: this.price,
      requiresPrice: this.requiresPrice,
      unitPrice: this.unitPrice,
      market,
      band: this.band,
      orderable: this.orderable,
      limits: this.limits,
      rates: this.rates,
    });
    if (this.problems.length > 0) {
      this.$nextTick(() => this.$refs.ticket.querySelector('[aria-invalid="true"]')?.focus());
      return;
    }
    const order = { stock_code: this.code, quantity: wholeNumber(this.quantity), trade_type: this.tradeType };
    if (this.requiresPrice) order.price = wholeNumber(this.price);
    const fingerprint = JSON.stringify([this.side, order]);
    const key = this.pending?.fingerprint === fingerprint && this.retryable ? this.pending.key : newIdempotencyKey();
    this.pending = { side: this.side, order, key, fingerprint };
    this.confirmError = null;
    this.refused = this.retryable = false;
    this.$refs.confirm.showModal();
  },

  get confirmation() {
    if (!this.pending) return {};
    const { side, order } = this.pending;
    const name = this.quote?.name ?? order.stock_code;
    const type = tradeTypes.find((t) => t.value === order.trade_type)?.label ?? order.trade_type;
    const cost = estimate({ side, quantity: order.quantity, price: order.price ?? this.quote?.price ?? 0, ...this.rates });
    return {
      headline: interpolate(gettext("%(side)s %(name)s (%(code)s), %(quantity)s"), {
        side: sideLabel(side),
        name,
        code: order.stock_code,
        quantity: format.shares(order.quantity),
      }, true),
      tone: side === "buy" ? "gain" : "loss",
      type,
      price: order.price ? format.won(order.price) : interpolate(gettext("Decided by the market (now %s)"), [format.won(this.quote?.price)]),
      total: cost.amount ? format.won(cost.total) : "–",
      totalLabel: side === "buy" ? gettext("Total to pay (estimated)") : gettext("Total to receive (estimated)"),
      submit: this.retryable ? gettext("Try again (sent once at most)") : side === "buy" ? gettext("Place buy order") : gettext("Place sell order"),
      submitClass: `btn ${side === "buy" ? "btn--buy" : "btn--sell"}`,
    };
  },

  holdWhileSubmitting(event) {
    if (this.submitting) event.preventDefault();
  },

  async place() {
    const response = await placePending(this, (url, order, key) => api.post(url, order, { idempotencyKey: key }));
    if (!response) return;
    if (response.ok) {
      this.$refs.confirm.close("done");
      this.pending = null;
      this.showResult(response.data);
      this.loadPosition();
      this.loadOrderable();
      return;
    }
    const { status, data } = response;
    this.retryable = status === 0 || data.code === "idempotency_key_in_flight";
    this.refused = !this.retryable;
    const title = this.retryable ? gettext("The order's fate is not known yet") : gettext("The order was not placed");
    this.confirmError = errorBox(data, { title });
  },

  showResult(order) {
    if (["pending", "accepted", "partially_filled"].includes(order.status)) {
      window.setTimeout(() => this.loadPosition(), RECHECK_MS);
    }
    this.result = {
      title: interpolate(gettext("%(side)s order for %(name)s accepted by Kiwoom."), {
        side: sideLabel(order.side),
        name: order.stock_name || this.quote?.name || order.stock_code,
      }, true),
      number: order.order_number || "–",
    };
  },

  // --- The user's position -------------------------------------------------------------------------------
  async loadPosition() {
    if (this.notConnected) return;
    const { ok, data } = await api.get(this.api("position"));
    if (ok) this.position = data;
  },

  get holding() {
    const h = this.position?.holding;
    if (!h) return null;
    return [
      { key: "quantity", label: gettext("Shares held"), value: format.shares(h.quantity), tone: "" },
      { key: "sellable", label: gettext("Sellable"), value: format.shares(h.tradable_quantity), tone: "" },
      { key: "average", label: gettext("Average price"), value: format.won(h.average_price), tone: "" },
      { key: "value", label: gettext("Value"), value: format.won(h.evaluation_amount), tone: "" },
      {
        key: "pnl",
        label: gettext("Profit or loss"),
        value: `${format.signedWon(h.profit_loss)} (${format.rate(h.return_rate)})`,
        tone: format.signClass(h.profit_loss),
      },
    ];
  },

  get openOrders() {
    return (this.position?.open_orders ?? []).map((order) => ({
      key: order.id,
      side: sideLabel(order.side),
      tone: order.side === "buy" ? "gain" : "loss",
      quantity: format.shares(order.quantity),
      filled: format.shares(order.filled_quantity),
      price: order.price ? format.won(order.price) : gettext("Market"),
      status: STATUS_WORDS[order.status] ?? order.status,
      number: order.order_number || "–",
    }));
  },

  /** Today's fills at Kiwoom in this stock (ka10076: a row per order, with what has filled). */
  get fills() {
    const fills = (this.position?.fills ?? []).filter((fill) => fill.filled_quantity > 0);
    return fills.map((fill) => ({
      key: fill.order_number,
      side: sideLabel(fill.side),
      tone: fill.side === "buy" ? "gain" : "loss",
      quantity: format.shares(fill.filled_quantity),
      price: format.won(fill.fill_price),
      time: format.clock(fill.order_time),
    }));
  },

  // --- 관심종목 ------------------------------------------------------------------------------------------
  get watchlistsUrl() {
    const url = this.$root.dataset.stockApiUrl;
    return `${url.slice(0, url.lastIndexOf("stocks/"))}watchlists`;
  },

  async loadGroups() {
    const { ok, data } = await api.get(this.watchlistsUrl);
    if (!ok) return;
    this.groups = Array.isArray(data) ? data : (data.results ?? []);
    if (!this.groupId && this.groups.length) this.groupId = String((this.groups.find((g) => this.inGroup(g)) ?? this.groups[0]).id);
  },

  inGroup(group) {
    return (group.items ?? []).some((item) => (item.stock_code ?? item) === this.code);
  },

  get group() {
    return this.groups?.find((g) => String(g.id) === this.groupId) ?? null;
  },

  get watched() {
    return Boolean(this.group && this.inGroup(this.group));
  },

  get watchLabel() {
    return this.watched ? gettext("★ In 관심종목: remove") : gettext("☆ Add to 관심종목");
  },

  get watchPressed() {
    return this.watched ? "true" : "false";
  },

  get hasGroups() {
    return (this.groups?.length ?? 0) > 1;
  },

  async toggleWatch() {
    this.watchError = null;
    let group = this.group;
    if (!group) {
      // The first 관심종목 group, made on the first add.
      const made = await api.post(this.watchlistsUrl, { name: gettext("관심종목") });
      if (!made.ok) {
        this.watchError = errorBox(made.data);
        return;
      }
      group = made.data;
      this.groupId = String(group.id);
    }
    const url = `${this.watchlistsUrl}/${group.id}/items`;
    const response = this.watched ? await api.delete(`${url}/${this.code}`) : await api.post(url, { stock_code: this.code });
    if (!response.ok) this.watchError = errorBox(response.data);
    await this.loadGroups();
  },
}));
