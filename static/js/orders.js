/* Orders: the ledger with filters and pages, today's fills, and modify or cancel for open orders; orders and
   fills live over the live socket, refreshed every 30 s while it is down. */
import { newFill } from "./lib/live.js";
import { isStockCode } from "./lib/stock_code.js";
import { live } from "./live.js";
import { Alpine, api, errorBox, fieldErrors, format, gettext, interpolate, market, newIdempotencyKey, readJson } from "./stocklab.js";

const labels = readJson("ledger-labels");
const NO_FILTERS = { status: "", side: "", stock_code: "", date_from: "", date_to: "" };
const label = (words, value) => words[value] || value;
const sideClass = (side) => (side === "buy" ? "gain" : "loss");
const isOpen = (order) => labels.open_statuses.includes(order.status) && order.kind !== "cancel";
// The words of the page's own buttons and notes, from the scripts' catalog (djangojs).
const words = { modify: gettext("Modify"), cancel: gettext("Cancel"), check: gettext("Check now"), sending: gettext("Sending to Kiwoom…") };
const now = () => format.dateTime(new Date().toISOString());
const FALLBACK_MS = 30000;

/** An order as the ledger shows it; `keys` is the connected keys' fingerprint suffix ("" without keys). */
function ledgerRow(order, keys) {
  // A cancellation only takes shares off its order: no type, price or fills of its own, and no side's colour
  // (it buys and sells nothing). Its status is the API's and the admin's ("accepted"), drawn as settled: once
  // Kiwoom accepted it there is nothing left to wait for.
  const cancellation = order.kind === "cancel";
  const done = cancellation && labels.open_statuses.includes(order.status);
  const changeable = isOpen(order) && order.remaining_quantity > 0;
  const explained = order.kiwoom_message && ["rejected", "unresolved", "not_placed"].includes(order.status);
  return {
    order,
    orderedAt: format.dayTime(order.ordered_at),
    orderedAtFull: format.dateTime(order.ordered_at),
    name: order.stock_name || order.stock_code,
    side: label(labels.sides, order.side),
    sideClass: cancellation ? "flat" : sideClass(order.side),
    kind: order.kind && order.kind !== "new" ? label(labels.kinds, order.kind) : "",
    type: cancellation ? "–" : label(labels.trade_types, order.trade_type),
    quantity: format.number(order.quantity),
    // What became of the order's shares besides fills: otherwise "0 / 2" hides that one was cancelled.
    quantityNotes: [
      order.cancelled_quantity && interpolate(gettext("%s cancelled"), [format.number(order.cancelled_quantity)]),
      order.modified_quantity && interpolate(gettext("%s modified"), [format.number(order.modified_quantity)]),
    ].filter(Boolean),
    price: cancellation ? "–" : order.price ? format.won(order.price) : gettext("Market"),
    filled: cancellation ? "–" : `${format.number(order.filled_quantity)} / ${format.number(order.quantity)}`,
    average:
      order.average_fill_price && !cancellation ? interpolate(gettext("avg. %s"), [format.won(order.average_fill_price)]) : "",
    badgeClass: `badge badge--status badge--${done ? "done" : order.status}`,
    statusText: label(labels.statuses, order.status),
    // Kiwoom's words are Korean: our sentence introduces them, in the page's language.
    statusNote:
      order.kiwoom_code || explained
        ? interpolate(gettext("Kiwoom said: %(message)s (code %(code)s)"), { message: order.kiwoom_message || "–", code: order.kiwoom_code || "–" }, true)
        : "",
    number: order.order_number || "–",
    // Only the keys that placed an order can change it: say why there are no buttons.
    changeable: changeable && order.key_fingerprint_suffix === keys,
    actionNote:
      changeable && order.key_fingerprint_suffix !== keys
        ? keys
          ? gettext("Placed with other keys")
          : gettext("Connect your keys to change it")
        : "",
    checkable: order.status === "unresolved" || order.status === "pending",
    modifyLabel: interpolate(gettext("Modify order %s"), [order.order_number]),
    cancelLabel: interpolate(gettext("Cancel order %s"), [order.order_number]),
  };
}

function fillRow(fill) {
  return {
    fill,
    time: format.clock(fill.order_time),
    side: label(labels.sides, fill.side),
    sideClass: sideClass(fill.side),
    price: format.won(fill.fill_price),
    filled: format.number(fill.filled_quantity),
    remaining: format.number(fill.remaining_quantity),
    charges: format.won(fill.fee + fill.tax),
  };
}

Alpine.data("orders", () => ({
  words,
  filters: { ...NO_FILTERS },
  page: null, // the ledger page on screen: the API's {count, next, previous, results}
  pageUrl: null, // its address (the API's own next/previous links keep the filters)
  loading: false,
  loads: 0, // loads asked for: only the last one's answer is shown
  fetchedAt: "",
  listError: null, // the list's own messages, renewed by each load
  notice: null, // the last change's outcome ({className, text}), kept across loads
  noticeError: null,
  checking: null, // the order being checked with Kiwoom now
  fills: [],
  fillsNote: "", // why there are no fills to show (no keys)
  fillsError: null,
  // The change under way: one idempotency key per dialog opening, kept while a retry must not be a new change.
  change: { order: null, key: null, busy: false, price: "", quantity: "", errors: {}, error: null },

  init() {
    // The address's filters and page first (a reload or a shared link), then those chosen before this ran.
    this.readAddress({ typed: true });
    this.load(this.filteredUrl(this.addressPage()), { history: "replace" });
    this.loadFills();
    // Back and Forward walk through the filters and pages the user went through, on this page.
    window.addEventListener("popstate", () => {
      this.readAddress();
      this.load(this.filteredUrl(this.addressPage()), { history: null });
    });
    this.goLive();
  },

  // --- Live updates --------------------------------------------------------------------------------------
  goLive() {
    let poll = null;
    const fallback = (state) => {
      clearInterval(poll);
      poll = null;
      if (state !== "live") {
        poll = setInterval(() => {
          if (!document.hidden) this.refresh();
        }, FALLBACK_MS);
      }
    };
    if (!live) return fallback("down");
    const seen = new Map();
    live.onState(fallback);
    live.on("reconnected", () => this.refresh());
    live.on("order", (order) => {
      const filled = newFill(order, seen);
      this.liveOrder(order);
      if (filled) this.loadFills();
    });
  },

  /** An order from the live socket: its row, or, for one the page has not shown yet, the first page again. */
  liveOrder(order) {
    const { type: _type, ord_no: _number, average_price: _average, ...row } = order;
    if (this.page?.results.some((o) => o.id === row.id)) this.orderChanged(row);
    else if (this.page && !this.page.previous && !this.filtered) this.load();
  },

  /** The filters of the page's address; with `typed`, a filter the address lacks keeps what was typed. */
  readAddress({ typed = false } = {}) {
    const query = new URLSearchParams(window.location.search);
    const fields = this.$root.querySelector("#order-filters").elements;
    for (const name of Object.keys(NO_FILTERS)) this.filters[name] = query.get(name) ?? (typed ? fields[name].value : "");
  },

  addressPage() {
    return new URLSearchParams(window.location.search).get("page") || "";
  },

  /** Put the ledger's query (filters and page) in the page's own address: `push` a step, or `replace` it. */
  remember(apiUrl, how) {
    if (!how) return;
    const query = new URL(apiUrl, window.location.origin).searchParams;
    const search = query.toString() ? `?${query}` : "";
    if (search === window.location.search) return;
    const address = `${window.location.pathname}${search}`;
    if (how === "push") window.history.pushState(null, "", address);
    else window.history.replaceState(null, "", address);
  },

  get filtered() {
    return Object.values(this.filters).some((value) => value.trim());
  },

  // --- The ledger ----------------------------------------------------------------------------------------
  get rows() {
    return this.page ? this.page.results.map((order) => ledgerRow(order, this.$root.dataset.keysSuffix)) : [];
  },

  get range() {
    if (!this.page?.count) return "";
    const page = Number(new URL(this.pageUrl, window.location.origin).searchParams.get("page") || 1);
    return interpolate(gettext("%(count)s entries · page %(page)s"), { count: format.number(this.page.count), page }, true);
  },

  get hasPrevious() {
    return Boolean(this.page?.previous);
  },

  get hasNext() {
    return Boolean(this.page?.next);
  },

  filteredUrl(page = "") {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(this.filters)) if (value.trim()) params.set(name, value.trim());
    if (page && page !== "1") params.set("page", page);
    const query = params.toString();
    return query ? `${this.$root.dataset.ordersUrl}?${query}` : this.$root.dataset.ordersUrl;
  },

  async load(url = this.pageUrl, { history = null } = {}) {
    this.pageUrl = url;
    this.loading = true;
    this.remember(url, history);
    const asked = ++this.loads;
    const { ok, status, data } = await api.get(url);
    if (asked !== this.loads) return; // a later load (or a refused filter) has the screen now
    this.loading = false;
    if (ok) {
      this.page = data;
      this.listError = null;
      this.fetchedAt = interpolate(gettext("Fetched at %s"), [now()]);
      return;
    }
    // The orders on screen no longer answer the filters asked for: none are shown rather than the wrong ones.
    this.page = null;
    if (status === 409 && data.code === "kiwoom_not_connected") {
      this.listError = errorBox(data, { link: { href: this.$root.dataset.homeUrl, text: gettext("Connect your brokerage") } });
    } else {
      // A refused filter: its messages, without the API's field names.
      const detail = data.code === "invalid_input" ? Object.values(data.errors || {}).flat().join(" ") || data.detail : data.detail;
      this.listError = errorBox({ ...data, detail }, { title: gettext("Could not load your orders") });
    }
  },

  applyFilters() {
    const { stock_code: code, date_from: from, date_to: to } = this.filters;
    let detail = "";
    if (code.trim() && !isStockCode(code.trim())) detail = gettext("A stock code is six letters or digits, such as 005930.");
    else if (from && to && from > to) detail = gettext("The last day comes before the first day.");
    if (detail) {
      this.loads += 1; // a load still under way answers other filters
      this.loading = false;
      this.page = null; // the list on screen does not answer these filters
      this.listError = errorBox({ detail });
    } else this.load(this.filteredUrl(), { history: "push" });
  },

  clearFilters() {
    this.filters = { ...NO_FILTERS };
    this.load(this.filteredUrl(), { history: "push" });
  },

  previousPage() {
    if (this.page?.previous) this.load(this.page.previous, { history: "push" });
  },

  nextPage() {
    if (this.page?.next) this.load(this.page.next, { history: "push" });
  },

  /** An order as the server now has it (a change's answer, or a live update): its row shows it. */
  orderChanged(order) {
    if (!this.page) return;
    const index = this.page.results.findIndex((o) => o.id === order.id);
    if (index >= 0) this.page.results[index] = order;
  },

  // --- Today's fills -------------------------------------------------------------------------------------
  get fillRows() {
    return this.fills.map(fillRow);
  },

  async loadFills() {
    const { ok, status, data } = await api.get(this.$root.dataset.fillsUrl);
    this.fills = ok ? data.fills : [];
    this.fillsNote = !ok && status === 409 ? data.detail : "";
    this.fillsError = ok || status === 409 ? null : errorBox(data);
  },

  refresh() {
    this.load();
    this.loadFills();
  },

  async check(order) {
    this.checking = order.id;
    this.notice = this.noticeError = null;
    const { ok, data } = await api.post(`${this.$root.dataset.ordersUrl}/${order.id}/reconcile`);
    this.checking = null;
    if (!ok) this.noticeError = errorBox(data);
    else if (data.status === "unresolved") {
      const text = gettext("Checked with Kiwoom at %s: its orders do not settle this one yet. It is checked again automatically.");
      this.notice = { className: "notice", text: interpolate(text, [now()]) };
    } else {
      const text = gettext("Checked with Kiwoom at %(time)s: the order is now %(status)s.");
      this.notice = { className: "notice", text: interpolate(text, { time: now(), status: label(labels.statuses, data.status) }, true) };
    }
    this.load();
  },

  // --- Modify and cancel ---------------------------------------------------------------------------------
  get headline() {
    const order = this.change.order;
    if (!order) return "";
    return interpolate(gettext("%(side)s %(name)s, order %(number)s: %(remaining)s still open"), {
      side: label(labels.sides, order.side),
      name: order.stock_name || order.stock_code,
      number: order.order_number,
      remaining: format.shares(order.remaining_quantity),
    }, true);
  },

  get remaining() {
    return this.change.order?.remaining_quantity ?? 1;
  },

  get tick() {
    const price = Number(this.change.price);
    return price > 0 ? market.tickSize(price) : 1;
  },

  get priceHint() {
    return Number(this.change.price) > 0 ? interpolate(gettext("Tick size at this price: %s"), [format.won(this.tick)]) : "";
  },

  get modifyQuantityHint() {
    return interpolate(gettext("Up to %s."), [format.shares(this.remaining)]);
  },

  get cancelQuantityHint() {
    return interpolate(gettext("All %s by default; a smaller number cancels part of the order."), [format.shares(this.remaining)]);
  },

  open(dialog, order, price = "") {
    this.change = { order, key: newIdempotencyKey(), busy: false, price, quantity: String(order.remaining_quantity), errors: {}, error: null };
    this.notice = this.noticeError = null; // a new change: the last one's outcome is no longer the news
    this.$refs[dialog].showModal();
  },

  openModify(order) {
    this.open("modifyDialog", order, order.price ? String(order.price) : "");
    this.$refs.modifyPrice.focus();
  },

  openCancel(order) {
    this.open("cancelDialog", order);
  },

  /** Escape does not close a dialog while its change is under way. */
  holdWhileBusy(event) {
    if (this.change.busy) event.preventDefault();
  },

  quantityErrors() {
    const quantity = Number(this.change.quantity);
    if (!this.change.quantity || (Number.isInteger(quantity) && quantity >= 1 && quantity <= this.remaining)) return {};
    return { quantity: [interpolate(gettext("Enter 1 to %s."), [format.number(this.remaining)])] };
  },

  /** The request's body: the shares only when fewer than all that are still open. */
  withQuantity(body) {
    const quantity = Number(this.change.quantity);
    return this.change.quantity && quantity !== this.remaining ? { ...body, quantity } : body;
  },

  submitModify() {
    const price = Number(this.change.price);
    const errors = this.quantityErrors();
    if (!Number.isInteger(price) || price < 1) errors.price = [gettext("Enter a price in whole won.")];
    else if (!market.isOnTick(price)) {
      errors.price = [interpolate(gettext("The price must be a multiple of %s at this level."), [format.won(market.tickSize(price))])];
    } else if (price === this.change.order.price) {
      errors.price = [gettext("That is the order's price already: a modification would change nothing.")];
    }
    this.change.errors = errors;
    if (Object.keys(errors).length === 0) this.send("modify", this.withQuantity({ price }));
  },

  submitCancel() {
    this.change.errors = this.quantityErrors();
    if (Object.keys(this.change.errors).length === 0) this.send("cancel", this.withQuantity({}));
  },

  async send(kind, body) {
    const change = this.change;
    if (change.busy) return;
    change.busy = true;
    change.error = null;
    const url = `${this.$root.dataset.ordersUrl}/${change.order.id}/${kind}`;
    const { ok, status, data } = await api.post(url, body, { idempotencyKey: change.key });
    change.busy = false;
    if (ok) {
      this.$refs[`${kind}Dialog`].close("done");
      const text = kind === "cancel" ? gettext("Cancellation accepted by Kiwoom.") : gettext("Modification accepted by Kiwoom.");
      this.notice = { className: "notice notice--success", text };
      this.refresh();
      return;
    }
    // Sent, but Kiwoom's answer was lost: the server reconciles the change and never sends it again.
    const unresolved = data.order_status === "unresolved";
    const errors = fieldErrors(data, ["price", "quantity"]);
    if (errors) change.errors = errors;
    else if (unresolved) {
      const title =
        kind === "cancel"
          ? gettext("The cancellation may have reached Kiwoom: it is being checked")
          : gettext("The modification may have reached Kiwoom: it is being checked");
      change.error = errorBox(data, { title });
      this.refresh(); // the list shows it, with a way to check it now
    } else {
      change.error = errorBox(data);
    }
    // Retrying with the same key is safe: the server answers a repeat with the first result. After a lost
    // answer only the same key is: a new one would be a second change.
    const keepKey = status === 0 || data.code === "idempotency_key_in_flight" || unresolved;
    if (!keepKey) change.key = newIdempotencyKey();
  },
}));
