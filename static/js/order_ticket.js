/* The order ticket: buy or sell, name lookup, tick grid, a confirmation step, one idempotency key per order. */
import { searchWords, stockSearch } from "./header_search.js";
import { placePending } from "./lib/place.js";
import { attachCombobox } from "./lib/search.js";
import { isStockCode } from "./lib/stock_code.js";
import { live } from "./live.js";
import { Alpine, api, errorBox, format, gettext, interpolate, loginUrl, market, newIdempotencyKey, readJson } from "./stocklab.js";

const labels = readJson("ledger-labels");
const tradeTypes = Object.fromEntries((readJson("trade-types") ?? []).map((type) => [type.value, type]));
// How long after an order's answer the ticket asks for it again: a market order often fills at once.
const RECHECK_MS = 1500;
const sideLabel = (side) => (side === "buy" ? gettext("Buy") : gettext("Sell"));
// The words of the page's own notes and links, from the scripts' catalog (djangojs).
const words = {
  offGrid: gettext("Not on the price grid. Use:"),
  amount: gettext("Order amount"),
  estimate: gettext("Estimated amount"),
  sending: gettext("Sending the order to Kiwoom…"),
  seeOrders: gettext("See my orders"),
};

Alpine.data("ticket", () => ({
  words,
  format,
  side: "buy",
  code: "",
  quantity: "",
  tradeType: "3",
  price: "",
  // Names the ticket has seen: the account's holdings, and each code typed in full (asked of the server).
  names: {},
  asked: {},
  holdings: {},
  holdingsKnown: false, // only once the account's holdings are in may the ticket say a stock is not held
  notConnected: "", // the API's detail, when no keys are connected
  errors: {},
  ticketError: null,
  // The order under confirmation, with the idempotency key that every submission of it carries.
  pending: null,
  submitting: false,
  retryable: false, // the last submission's fate is unknown: the same order may be sent again, with its key
  refused: false, // the last submission was answered: it is not sent again from this confirmation
  confirmError: null,
  // An order whose answer never arrived keeps its key: reviewing the same order again must not place it twice.
  unanswered: null,
  result: null,

  init() {
    // Start from the form as it stands: the address's side and code, and whatever was typed before this ran.
    const fields = this.$root.querySelector("#ticket").elements;
    Object.assign(this, {
      side: fields.side.value,
      code: fields.stock_code.value,
      quantity: fields.quantity.value,
      tradeType: fields.trade_type.value,
      price: fields.price.value,
    });
    this.$watch("code", (code) => {
      this.fieldChanged("stock_code");
      this.codeTyped(code);
    });
    this.$watch("tradeType", () => {
      this.fieldChanged("trade_type");
      this.fieldChanged("price");
      this.typeChanged();
    });
    this.$watch("quantity", () => this.fieldChanged("quantity"));
    this.$watch("price", () => this.fieldChanged("price"));
    this.lookUpName();
    this.loadHoldings();
    // The stock field searches every listed stock (code, name, 초성); a choice fills in its code.
    attachCombobox({
      input: this.$refs.stockSearch,
      listbox: this.$refs.stockResults,
      search: stockSearch(this.$root.dataset.stockUrl),
      words: searchWords,
      onPick: (stock) => {
        this.names[stock.stock_code] = stock.name;
        this.code = stock.stock_code;
      },
    });
    // The result card follows its order as Kiwoom fills it (the recheck stays, for when the socket is down).
    live?.on("order", (order) => {
      if (this.result?.id === order.id) this.resultChanged(order);
    });
  },

  /** A field changed since its error was told: the error was about what it held before. */
  fieldChanged(field) {
    if (!this.errors[field]) return;
    const { [field]: _old, ...rest } = this.errors;
    this.errors = rest;
  },

  // --- Holdings and names (best effort: the ticket works without them) ------------------------------------
  async loadHoldings() {
    const { ok, status, data } = await api.get(this.$root.dataset.balanceUrl);
    if (ok) {
      this.holdings = Object.fromEntries(data.holdings.map((h) => [h.stock_code, h]));
      this.holdingsKnown = true;
      for (const h of data.holdings) this.names[h.stock_code] = h.name;
      this.notConnected = "";
    } else if (status === 409 && data.code === "kiwoom_not_connected") {
      this.notConnected = data.detail;
    }
  },

  /** A name typed in full (or picked by name from the list) becomes its code. */
  codeTyped(typed) {
    const match = Object.entries(this.names).find(([, name]) => name.toLowerCase() === typed.trim().toLowerCase());
    if (match) this.code = match[0];
    else this.lookUpName();
  },

  /** The stock's name from Kiwoom (ka10001 through the server), once per code; unknown codes stay unnamed. */
  async lookUpName() {
    const code = this.code.trim();
    if (!isStockCode(code) || this.names[code] || this.asked[code]) return;
    this.asked[code] = true;
    const { ok, data } = await api.get(this.$root.dataset.stockUrl.replace("000000", code));
    if (ok) this.names[code] = data.name;
  },

  get holding() {
    return this.holdings[this.code.trim()];
  },

  get lookup() {
    const code = this.code.trim();
    if (!isStockCode(code)) {
      return { text: code ? gettext("Type the six-digit code, or pick a stock from the list.") : "", known: false };
    }
    const name = this.names[code];
    return { text: name || (this.asked[code] ? gettext("Not in StockLab's list; Kiwoom will check the code.") : ""), known: Boolean(name) };
  },

  get quantityHint() {
    const holding = this.holding;
    if (holding) {
      return interpolate(gettext("You hold %(quantity)s, %(tradable)s sellable; current price %(price)s."), {
        quantity: format.shares(holding.quantity),
        tradable: format.shares(holding.tradable_quantity),
        price: format.won(holding.current_price),
      }, true);
    }
    return this.side === "sell" && isStockCode(this.code.trim()) ? gettext("You do not hold this stock.") : "";
  },

  // --- Price and the tick grid -----------------------------------------------------------------------------
  get requiresPrice() {
    return Boolean(tradeTypes[this.tradeType]?.requires_price);
  },

  /** A type that takes a price starts from the current price of a stock held. */
  typeChanged() {
    if (this.requiresPrice && !this.price && this.holding) this.price = String(this.holding.current_price);
  },

  /** The price typed, when it is a whole number of won (0 otherwise). */
  get priceTyped() {
    const price = Number(this.price);
    return this.requiresPrice && Number.isInteger(price) && price > 0 ? price : 0;
  },

  get tick() {
    return this.priceTyped ? market.tickSize(this.priceTyped) : 1;
  },

  get priceHint() {
    if (!this.priceTyped) return gettext("Limit prices follow the KRX tick grid: the step depends on the price.");
    return interpolate(gettext("Tick size at this price: %s"), [format.won(this.tick)]);
  },

  /** The prices on the grid either side of one that is off it. */
  get gridPrices() {
    if (!this.priceTyped || market.isOnTick(this.priceTyped)) return [];
    return market.neighbours(this.priceTyped).filter((p) => p > 0);
  },

  pickPrice(price) {
    this.price = String(price);
    this.$refs.price.focus();
  },

  get estimate() {
    const quantity = Number(this.quantity);
    const price = this.requiresPrice ? Number(this.price) : this.holding?.current_price;
    if (!(quantity > 0 && price > 0)) return "";
    const label = this.requiresPrice ? gettext("Order amount: %s") : gettext("Estimated amount at the current price: %s");
    return interpolate(label, [format.won(quantity * price)]);
  },

  // --- Review: check the ticket, then restate it in the confirmation dialog -------------------------------
  review() {
    this.ticketError = null;
    const errors = {};
    const code = this.code.trim();
    const order = { stock_code: code, quantity: Number(this.quantity), trade_type: this.tradeType };
    if (!isStockCode(code)) errors.stock_code = [gettext("A stock code is six letters or digits, such as 005930.")];
    else if (this.side === "sell" && this.holdingsKnown && !this.holdings[code]) errors.stock_code = [gettext("You do not hold this stock.")];
    // Digits only: the number field would also take "1e5" (100,000 shares).
    if (!/^\d+$/.test(this.quantity.trim()) || order.quantity < 1) errors.quantity = [gettext("Enter a whole number of shares, 1 or more.")];
    if (this.requiresPrice) {
      const price = Number(this.price);
      if (!this.price || !Number.isInteger(price) || price < 1) errors.price = [gettext("Enter a price in whole won.")];
      else if (!market.isOnTick(price)) {
        errors.price = [interpolate(gettext("The price must be a multiple of %s at this level."), [format.won(market.tickSize(price))])];
      } else order.price = price;
    }
    this.errors = errors;
    if (Object.keys(errors).length > 0) {
      this.$nextTick(() => this.$refs.ticket.querySelector('[aria-invalid="true"]')?.focus());
      return;
    }
    const fingerprint = JSON.stringify([this.side, order]);
    const key = this.unanswered?.fingerprint === fingerprint ? this.unanswered.key : newIdempotencyKey();
    const typeLabel = tradeTypes[order.trade_type]?.label ?? order.trade_type;
    this.pending = { side: this.side, order, key, fingerprint, typeLabel, quote: null };
    this.confirmError = null;
    this.retryable = this.refused = false;
    this.$refs.confirm.showModal();
    if (!order.price) this.quote(this.pending);
  },

  /** A price-less order's confirmation shows the current price (Kiwoom's, through the server) and what the
      order would cost at it. */
  async quote(pending) {
    const held = this.holdings[pending.order.stock_code];
    if (held) pending.quote = held.current_price;
    const { ok, data } = await api.get(this.$root.dataset.stockUrl.replace("000000", pending.order.stock_code));
    if (ok && this.pending === pending) {
      this.pending = { ...pending, quote: data.current_price };
      this.names[data.stock_code] = data.name;
    }
  },

  get confirmation() {
    if (!this.pending) return {};
    const { side, order, typeLabel, quote } = this.pending;
    const name = this.names[order.stock_code] || order.stock_code;
    let submit = side === "buy" ? gettext("Place buy order") : gettext("Place sell order");
    if (this.retryable) submit = gettext("Try again (sent once at most)");
    return {
      headline: interpolate(gettext("%(side)s %(name)s (%(code)s), %(quantity)s"), {
        side: sideLabel(side),
        name,
        code: order.stock_code,
        quantity: format.shares(order.quantity),
      }, true),
      tone: side === "buy" ? "gain" : "loss",
      side: sideLabel(side),
      stock: `${name} (${order.stock_code})`,
      quantity: format.shares(order.quantity),
      type: typeLabel,
      price: order.price ? format.won(order.price) : this.marketPrice(quote),
      amountLabel: order.price ? words.amount : words.estimate,
      amount: order.price || quote ? format.won((order.price || quote) * order.quantity) : "",
      submit,
      submitClass: `btn ${side === "buy" ? "btn--buy" : "btn--sell"}`,
    };
  },

  marketPrice(quote) {
    if (!quote) return gettext("Decided by the market");
    return interpolate(gettext("Decided by the market (now %s)"), [format.won(quote)]);
  },

  /** Escape does not close the confirmation while its order is on its way. */
  holdWhileSubmitting(event) {
    if (this.submitting) event.preventDefault();
  },

  async place() {
    // A second click while the first is in flight does nothing; a retry reuses the same key.
    const response = await placePending(this, (url, order, key) => api.post(url, order, { idempotencyKey: key, keepPage: true }));
    if (!response) return;
    if (response.ok) {
      this.$refs.confirm.close("done");
      this.showResult(response.data);
      this.pending = this.unanswered = null;
      this.loadHoldings();
    } else {
      this.showFailure(response);
    }
  },

  showFailure({ status, data }) {
    if (status === 401) {
      // Nothing was sent. The ticket comes back as it is after the new login (its values ride in `next`).
      this.refused = true;
      this.retryable = false;
      this.confirmError = errorBox(
        { detail: gettext("Your session has expired, so the order was not sent. Log in again: this ticket will be filled in as it is now.") },
        { title: gettext("Session expired"), link: { href: loginUrl(this.ticketAddress()), text: gettext("Log in again") } },
      );
      return;
    }
    // Retrying is safe only with the same key: the server answers a repeat with the first result.
    this.retryable = status === 0 || data.code === "idempotency_key_in_flight";
    this.refused = !this.retryable;
    // Sent, but Kiwoom's answer was lost: the server reconciles it and never sends it again. The key is kept,
    // so that submitting the same order again replays this answer instead of placing a second order.
    const unresolved = data.order_status === "unresolved";
    this.unanswered = this.retryable || unresolved ? { fingerprint: this.pending.fingerprint, key: this.pending.key } : null;
    if (data.code === "invalid_input" && data.errors) {
      this.$refs.confirm.close("cancel");
      this.errors = data.errors;
      this.ticketError = errorBox(data);
      this.pending = null;
      return;
    }
    let title = gettext("The order was not placed");
    if (this.retryable) title = gettext("The order's fate is not known yet");
    else if (unresolved) title = gettext("The order may have reached Kiwoom: it is being checked");
    const link =
      data.code === "kiwoom_unavailable" && data.order_id
        ? { href: this.$root.dataset.ordersUrl, text: gettext("See it in your orders") }
        : null;
    this.confirmError = errorBox(data, { title, link });
  },

  /** This page's address with the ticket's values, to come back to it as it is. */
  ticketAddress() {
    const query = new URLSearchParams({ side: this.side, code: this.code.trim(), quantity: this.quantity.trim(), trade_type: this.tradeType });
    if (this.requiresPrice && this.price) query.set("price", this.price);
    return `${window.location.pathname}?${query}`;
  },

  showResult(order) {
    const name = order.stock_name || this.names[order.stock_code] || order.stock_code;
    // Kiwoom's answer is an acceptance; a market order has often filled by the time it is read: ask again.
    if (["pending", "accepted", "partially_filled"].includes(order.status)) {
      window.setTimeout(() => this.recheck(order), RECHECK_MS);
    }
    this.result = {
      id: order.id,
      statusCode: order.status,
      title: interpolate(gettext("%(side)s order for %(name)s accepted by Kiwoom."), { side: sideLabel(order.side), name }, true),
      number: order.order_number || "–",
      status: labels.statuses[order.status] || order.status,
      quantity: format.shares(order.quantity),
      price: order.price ? format.won(order.price) : gettext("Market"),
      orderedAt: format.dateTime(order.ordered_at),
      filled: filledText(order),
    };
    this.$nextTick(() => this.$refs.result.focus());
  },

  /** The result card's order as it now stands (a recheck's answer, or the live socket's). */
  resultChanged(order) {
    this.result = { ...this.result, status: labels.statuses[order.status] || order.status, statusCode: order.status, filled: filledText(order) };
  },

  async recheck(order) {
    const { ok, data } = await api.get(`${this.$root.dataset.orderListUrl}/${order.id}`);
    if (!ok || this.result?.id !== order.id) return;
    this.resultChanged(data);
  },
}));

/** "3 of 10 shares, average ₩70,100", or "" before any fill. */
function filledText(order) {
  if (!order.filled_quantity) return "";
  const values = {
    filled: format.number(order.filled_quantity),
    quantity: format.shares(order.quantity),
    price: format.won(order.average_fill_price ?? order.average_price),
  };
  return interpolate(gettext("%(filled)s of %(quantity)s, average %(price)s"), values, true);
}
