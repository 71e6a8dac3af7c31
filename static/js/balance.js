/* 나의 잔고: summary cards, sortable holdings, allocation and P&L charts, auto-refresh; live prices and fills
   over the live socket, and the auto-refresh as the fallback while it is down. */
import { applyFill, applyPrice, newFill } from "./lib/live.js";
import { live } from "./live.js";
import { Alpine, api, errorBox, format, gettext, interpolate, locale } from "./stocklab.js";

const GAIN = "#d32f2f";
const LOSS = "#1565c0";
const FLAT = "#8a8f98";
const PALETTE = ["#5b21b6", "#0f766e", "#c2410c", "#be185d", "#4d7c0f", "#0369a1", "#a16207", "#6d28d9", "#b91c1c", "#475569"];
const TEXTUAL = ["stock_code", "name"];
const STORAGE_KEY = "stocklab.balance.refresh";
// The allocation legend goes under the doughnut on narrow screens.
const narrowScreen = window.matchMedia("(max-width: 640px)");
const charts = {}; // Chart.js instances stay outside Alpine's reactive proxies
// Fills and balance events come in bursts (a fill, then Kiwoom's balance event): one reload answers them all.
const RELOAD_DELAY_MS = 100;
const CHART_EVERY_MS = 1000;
// While the live socket is down, the page refreshes this often even with auto-refresh off.
const FALLBACK_SECONDS = "30";

Alpine.data("balance", () => ({
  format,
  balance: null, // the last successful answer
  loading: false,
  notConnected: null, // the API's detail, when no keys are connected
  notConnectedTitle: gettext("Kiwoom is not connected"),
  error: null,
  sort: { key: "weight", direction: "descending" },
  auto: false,
  interval: "30",
  timer: null,
  liveState: live ? live.state : "down",
  followed: [], // the codes whose prices this page follows (its holdings)

  init() {
    this.restorePreferences();
    this.applyAuto();
    this.goLive();
    narrowScreen.addEventListener("change", () => {
      if (!charts.allocation) return;
      charts.allocation.options.plugins.legend.position = narrowScreen.matches ? "bottom" : "right";
      charts.allocation.update("none");
    });
    this.load();
  },

  async load() {
    if (this.loading) return;
    this.loading = true;
    const { ok, status, data } = await api.get(this.$root.dataset.balanceUrl);
    this.loading = false;
    if (ok) {
      this.balance = data;
      this.error = null;
      this.follow(data.holdings.map((h) => h.stock_code));
      if (data.holdings.length > 0) this.$nextTick(() => this.drawCharts());
    } else if (status === 409 && data.code === "kiwoom_not_connected") {
      this.stopAuto();
      this.balance = null;
      this.notConnected = data.detail;
    } else {
      const title = this.balance
        ? gettext("Could not refresh; the figures below are from the last successful fetch.")
        : gettext("Could not load your balance");
      this.error = errorBox(data, { title, retry: true });
    }
  },

  get fetchedAt() {
    if (this.loading && this.balance) return gettext("Refreshing…");
    if (!this.balance) return gettext("Not fetched yet");
    return interpolate(gettext("Fetched at %s"), [format.dateTime(this.balance.fetched_at)]);
  },

  get summary() {
    if (!this.balance) return [];
    const s = this.balance.summary;
    return [
      [gettext("Estimated deposit assets"), format.won(s.estimated_deposit_asset), ""],
      [gettext("Total evaluation"), format.won(s.total_evaluation), ""],
      [gettext("Total P&L"), format.signedWon(s.total_profit_loss), format.signClass(s.total_profit_loss)],
      [gettext("Return"), format.rate(s.total_return_rate), format.signClass(s.total_return_rate)],
      [gettext("Deposit"), format.won(s.deposit), ""],
      [gettext("Orderable amount"), format.won(s.orderable_amount), ""],
      ...(typeof s.today_pnl === "number" ? [[gettext("Today's P&L"), format.signedWon(s.today_pnl), format.signClass(s.today_pnl)]] : []),
    ].map(([label, value, tone]) => ({ label, value, tone }));
  },

  get hasDayChange() {
    return Boolean(this.balance?.holdings.some((h) => h.previous_close !== undefined && h.previous_close !== null));
  },

  get hasHoldings() {
    return this.balance !== null && this.balance.holdings.length > 0;
  },

  get holdings() {
    if (!this.balance) return [];
    const { key, direction } = this.sort;
    const factor = direction === "ascending" ? 1 : -1;
    const collator = new Intl.Collator(locale);
    const order = (a, b) => (TEXTUAL.includes(key) ? collator.compare(a[key], b[key]) : Number(a[key]) - Number(b[key]));
    return [...this.balance.holdings].sort((a, b) => order(a, b) * factor || a.stock_code.localeCompare(b.stock_code));
  },

  sortBy(key) {
    if (this.sort.key === key) this.sort.direction = this.sort.direction === "ascending" ? "descending" : "ascending";
    else this.sort = { key, direction: TEXTUAL.includes(key) ? "ascending" : "descending" };
  },

  ariaSort(key) {
    return key === this.sort.key ? this.sort.direction : "none";
  },

  orderLink(side, holding) {
    return `${this.$root.dataset.orderUrl}?side=${side}&code=${holding.stock_code}`;
  },

  orderLabel(side, holding) {
    return interpolate(side === "buy" ? gettext("Buy %s") : gettext("Sell %s"), [holding.name]);
  },

  drawCharts() {
    if (typeof window.Chart !== "function") return;
    const holdings = [...this.balance.holdings].sort((a, b) => b.evaluation_amount - a.evaluation_amount);
    const labels = holdings.map((h) => h.name);
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    const total = holdings.reduce((sum, h) => sum + h.evaluation_amount, 0) || 1;
    const share = (value) => format.percent(((value / total) * 100).toFixed(2));
    const pnlColour = (h) => {
      if (h.profit_loss > 0) return GAIN;
      return h.profit_loss < 0 ? LOSS : FLAT;
    };

    draw("allocation", this.$refs.allocation, {
      type: "doughnut",
      data: {
        labels,
        datasets: [
          {
            data: holdings.map((h) => h.evaluation_amount),
            backgroundColor: holdings.map((_, i) => PALETTE[i % PALETTE.length]),
            borderWidth: 1,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { position: narrowScreen.matches ? "bottom" : "right", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (ctx) => `${ctx.label}: ${format.won(ctx.parsed)} (${share(ctx.parsed)})` } },
        },
      },
    });
    draw("pnl", this.$refs.pnl, {
      type: "bar",
      data: { labels, datasets: [{ data: holdings.map((h) => h.profit_loss), backgroundColor: holdings.map(pnlColour) }] },
      options: {
        animation: false,
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => format.signedWon(ctx.parsed.x) } } },
        scales: { x: { ticks: { callback: (value) => format.number(value) } } },
      },
    });
    const described = (list) => list.join(", ");
    this.$refs.allocation.setAttribute(
      "aria-label",
      `${gettext("Allocation by holding")}: ${described(holdings.map((h) => `${h.name} ${share(h.evaluation_amount)}`))}`,
    );
    this.$refs.pnl.setAttribute(
      "aria-label",
      `${gettext("Profit and loss by holding")}: ${described(holdings.map((h) => `${h.name} ${format.signedWon(h.profit_loss)}`))}`,
    );
  },

  // --- Refresh controls ----------------------------------------------------------------------------------
  restorePreferences() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      if (saved) {
        this.auto = Boolean(saved.auto);
        if ([...this.$refs.interval.options].some((o) => o.value === saved.interval)) this.interval = saved.interval;
      }
    } catch {
      // unreadable preferences are ignored
    }
  },

  preferencesChanged() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ auto: this.auto, interval: this.interval }));
    } catch {
      // private mode: preferences are simply not remembered
    }
    this.applyAuto();
  },

  stopAuto() {
    clearInterval(this.timer);
    this.timer = null;
  },

  applyAuto() {
    this.stopAuto();
    const fallback = this.liveState !== "live";
    if (!this.auto && !fallback) return;
    const seconds = this.auto ? Number(this.interval) : Number(FALLBACK_SECONDS);
    this.timer = setInterval(() => {
      if (!document.hidden) this.load();
    }, seconds * 1000);
  },

  get liveNote() {
    if (this.liveState === "live") return gettext("Prices and fills update live.");
    return gettext("Live updates are off: the page refreshes itself every 30 s.");
  },

  // --- Live updates --------------------------------------------------------------------------------------
  goLive() {
    if (!live) return;
    const seen = new Map();
    let reload = null;
    let drawn = 0;
    const reloadSoon = () => {
      clearTimeout(reload);
      reload = setTimeout(() => this.load(), RELOAD_DELAY_MS);
    };
    live.onState((state) => {
      this.liveState = state;
      this.applyAuto();
    });
    live.on("reconnected", () => this.load()); // what happened while it was down
    live.on("balance", reloadSoon);
    live.on("order", (order) => {
      const fill = newFill(order, seen);
      if (!fill) return;
      this.balance = applyFill(this.balance, order, fill); // at once; Kiwoom's own figures follow
      reloadSoon();
    });
    live.on("price", (tick) => {
      const before = this.balance;
      this.balance = applyPrice(this.balance, tick);
      if (this.balance === before || Date.now() - drawn < CHART_EVERY_MS) return;
      drawn = Date.now();
      this.$nextTick(() => this.drawCharts());
    });
  },

  /** Follow the prices of `codes` (the holdings), letting go of those no longer held. */
  follow(codes) {
    if (!live) return;
    const gone = this.followed.filter((code) => !codes.includes(code));
    const added = codes.filter((code) => !this.followed.includes(code));
    if (gone.length > 0) live.unsubscribe(gone);
    if (added.length > 0) live.subscribe(added);
    this.followed = [...codes];
  },
}));

function draw(name, canvas, config) {
  if (charts[name]) {
    charts[name].data = config.data;
    charts[name].update("none");
  } else {
    charts[name] = new window.Chart(canvas, config);
  }
}
