/* The live channel's client (/ws/v1/live, README "Live updates"): one socket per page, reconnecting with
   backoff, price subscriptions counted per code, messages dispatched by type. Pure: the socket class and the
   timers are given, so that node's test runner drives it with fakes. */

/** What the page shows and how it behaves: "live" (socket open, Kiwoom stream live), "idle" (no Kiwoom keys
    connected: nothing to stream, not an outage), "reconnecting" or "down" (the pages poll instead). */
export function connectionState({ socket, stream, failures, refused }) {
  if (refused) return "down";
  if (socket === "open") {
    if (stream === "live" || stream === "idle") return stream;
    return stream === "down" ? "down" : "reconnecting";
  }
  // A socket that keeps failing is down for the user (it is still retried, less and less often).
  return failures >= DOWN_AFTER_FAILURES ? "down" : "reconnecting";
}

export const DOWN_AFTER_FAILURES = 3;
// Close codes after which reconnecting cannot help: the session or token is not accepted (brokerage/live/auth.py).
const FINAL_CLOSE_CODES = new Set([4401, 4403]);

/** The wait (ms) before reconnection attempt `attempt` (0 first): doubling from `first` up to `max`, with
    jitter so that a restarted server is not met by every page at once. */
export function backoffDelay(attempt, { first = 500, max = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(max, first * 2 ** attempt);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** The /ws/v1/live address for a page at `location` (ws over http, wss over https). */
export function liveUrl(location, path = "/ws/v1/live") {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
}

export function createLive({ url, WebSocket, timers = globalThis, random = Math.random, first = 500, max = 30000 }) {
  const handlers = new Map(); // type -> Set of functions
  const stateHandlers = new Set();
  const counts = new Map(); // code -> how many parts of the page follow it
  const over = new Set(); // codes the server refused (too_many_codes): not sent again on each reconnection
  const status = { socket: "closed", stream: null, failures: 0, refused: false };
  let socket = null;
  let retry = null;
  let stopped = true;
  let opened = false; // once open: a later open is a reconnection, after which the page reloads what it missed
  let shown = connectionState(status);

  function emit(type, message) {
    for (const handler of handlers.get(type) ?? []) handler(message);
  }

  function changed() {
    const state = connectionState(status);
    if (state === shown) return;
    shown = state;
    for (const handler of stateHandlers) handler(state);
  }

  function send(message) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(message));
  }

  function followed() {
    return [...counts.keys()].filter((code) => !over.has(code)).sort();
  }

  function connect() {
    retry = null;
    status.socket = "connecting";
    socket = new WebSocket(url);
    socket.onopen = () => {
      status.socket = "open";
      status.failures = 0;
      const codes = followed();
      if (codes.length > 0) send({ type: "subscribe", codes });
      if (opened) emit("reconnected", {});
      opened = true;
      changed();
    };
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!message || typeof message.type !== "string") return;
      if (message.type === "status") status.stream = message.state;
      if (message.type === "error" && message.code === "too_many_codes" && Array.isArray(message.codes)) {
        for (const code of message.codes) if (counts.has(code)) over.add(code);
      }
      emit(message.type, message);
      if (message.type === "status") changed();
    };
    socket.onclose = (event) => {
      socket = null;
      status.socket = "closed";
      status.stream = null;
      if (FINAL_CLOSE_CODES.has(event.code)) status.refused = true;
      else status.failures += 1;
      changed();
      if (!stopped && !status.refused) {
        retry = timers.setTimeout(connect, backoffDelay(status.failures - 1, { first, max, random }));
      }
    };
  }

  return {
    /** Handle messages of `type` (order, balance, price, book, status, error, subscribed, reconnected). */
    on(type, handler) {
      if (!handlers.has(type)) handlers.set(type, new Set());
      handlers.get(type).add(handler);
      return () => handlers.get(type).delete(handler);
    },
    /** Be told the connection's state now and whenever it changes. */
    onState(handler) {
      stateHandlers.add(handler);
      handler(connectionState(status));
      return () => stateHandlers.delete(handler);
    },
    get state() {
      return connectionState(status);
    },
    /** Follow prices of `codes`; each part of the page that follows a code counts, until it lets go. */
    subscribe(codes) {
      const added = [];
      for (const code of codes) {
        counts.set(code, (counts.get(code) ?? 0) + 1);
        if (counts.get(code) === 1) added.push(code);
      }
      if (added.length > 0) send({ type: "subscribe", codes: added });
    },
    unsubscribe(codes) {
      const removed = [];
      for (const code of codes) {
        const count = counts.get(code) ?? 0;
        if (count <= 1) {
          if (counts.delete(code) && !over.delete(code)) removed.push(code);
        } else counts.set(code, count - 1);
      }
      if (removed.length > 0) send({ type: "unsubscribe", codes: removed });
    },
    get codes() {
      return followed();
    },
    /** The codes the server refused for being over its limit (shown to the user, not resent). */
    get refusedCodes() {
      return [...over].sort();
    },
    start() {
      if (!stopped) return;
      stopped = false;
      connect();
      changed();
    },
    stop() {
      stopped = true;
      if (retry !== null) timers.clearTimeout(retry);
      retry = null;
      if (socket) socket.close(1000);
    },
  };
}

/** The balance (the API's answer) with a price tick applied to the holding of its code: value, P&L and
    return, the day's change when the API gave it, and the totals. A new object; the same one if nothing moved. */
export function applyPrice(balance, tick) {
  if (!balance || !tick || !Number.isFinite(Number(tick.price))) return balance;
  const price = Number(tick.price);
  const index = balance.holdings.findIndex((h) => h.stock_code === tick.stock_code);
  if (index < 0 || balance.holdings[index].current_price === price) return balance;
  const old = balance.holdings[index];
  const evaluation = price * old.quantity;
  const holding = {
    ...old,
    current_price: price,
    evaluation_amount: evaluation,
    profit_loss: evaluation - old.purchase_amount,
    return_rate: rate(evaluation - old.purchase_amount, old.purchase_amount),
  };
  const moved = (price - old.current_price) * old.quantity;
  if (old.previous_close !== undefined && old.previous_close !== null) {
    holding.day_change = price - old.previous_close;
    holding.day_change_rate = rate(price - old.previous_close, old.previous_close);
  }
  if (typeof old.today_pnl === "number") holding.today_pnl = old.today_pnl + moved;
  const holdings = balance.holdings.map((h, i) => (i === index ? holding : h));
  const summary = { ...balance.summary };
  summary.total_evaluation += evaluation - old.evaluation_amount;
  summary.total_profit_loss += holding.profit_loss - old.profit_loss;
  summary.total_return_rate = rate(summary.total_profit_loss, summary.total_purchase);
  summary.estimated_deposit_asset += evaluation - old.evaluation_amount;
  if (typeof summary.today_pnl === "number") summary.today_pnl += moved;
  return { ...balance, holdings, summary };
}

/** A percentage as the API writes it: a decimal string with two places ("-2.70"). */
function rate(part, whole) {
  return whole ? ((part / whole) * 100).toFixed(2) : "0.00";
}

/** The shares and amount an `order` message adds to the fills seen so far (id -> {filled, amount}), which it
    updates; null when it brings no new fill. An order seen for the first time counts when it was updated
    within `recentMs` (a page opened long after a fill does not announce it). */
export function newFill(order, seen, { now = Date.now(), recentMs = 60000 } = {}) {
  const before = seen.get(order.id);
  const filled = Number(order.filled_quantity) || 0;
  const amount = filled * (Number(order.average_price ?? order.average_fill_price) || 0);
  seen.set(order.id, { filled, amount });
  if (before === undefined && !(now - Date.parse(order.updated_at) < recentMs)) return null;
  const quantity = filled - (before?.filled ?? 0);
  if (quantity <= 0) return null;
  return { quantity, price: Math.round((amount - (before?.amount ?? 0)) / quantity) };
}

/** The balance with a fill applied at once (the page reloads Kiwoom's own figures right after): a buy adds
    shares at the fill's price, a sell takes them off at the average price. */
export function applyFill(balance, order, fill) {
  if (!balance || !fill) return balance;
  const index = balance.holdings.findIndex((h) => h.stock_code === order.stock_code);
  const old = index >= 0 ? balance.holdings[index] : null;
  if (order.side !== "buy" && !old) return balance;
  const summary = { ...balance.summary };
  let holding;
  if (order.side === "buy") {
    const base = old ?? {
      stock_code: order.stock_code,
      name: order.stock_name || order.stock_code,
      quantity: 0,
      tradable_quantity: 0,
      current_price: fill.price,
      purchase_amount: 0,
      evaluation_amount: 0,
      profit_loss: 0,
      weight: "0.00",
    };
    const quantity = base.quantity + fill.quantity;
    const purchase = base.purchase_amount + fill.quantity * fill.price;
    holding = { ...base, quantity, purchase_amount: purchase, average_price: Math.round(purchase / quantity) };
  } else {
    const quantity = Math.max(0, old.quantity - fill.quantity);
    const purchase = quantity * old.average_price;
    holding = { ...old, quantity, tradable_quantity: Math.max(0, old.tradable_quantity - fill.quantity), purchase_amount: purchase };
  }
  holding.evaluation_amount = holding.current_price * holding.quantity;
  holding.profit_loss = holding.evaluation_amount - holding.purchase_amount;
  holding.return_rate = rate(holding.profit_loss, holding.purchase_amount);
  summary.total_purchase += holding.purchase_amount - (old?.purchase_amount ?? 0);
  summary.total_evaluation += holding.evaluation_amount - (old?.evaluation_amount ?? 0);
  summary.total_profit_loss += holding.profit_loss - (old?.profit_loss ?? 0);
  summary.total_return_rate = rate(summary.total_profit_loss, summary.total_purchase);
  let holdings;
  if (holding.quantity === 0) holdings = balance.holdings.filter((_, i) => i !== index);
  else if (old) holdings = balance.holdings.map((h, i) => (i === index ? holding : h));
  else holdings = [...balance.holdings, holding];
  return { ...balance, holdings, summary };
}
