/* The page's one live socket (lib/live.js): the header's indicator, a toast on each fill, and `live` for
   the pages (balance, orders, order ticket) to follow orders, prices and the balance. */

import { createLive, liveUrl, newFill } from "./lib/live.js";
import { format, gettext, interpolate } from "./stocklab.js";

const indicator = document.getElementById("live-status");
const TOAST_MS = 6000;

/** The shared client; null on pages without the indicator (signed out). */
export const live = indicator
  ? createLive({ url: liveUrl(window.location, indicator.dataset.url), WebSocket: window.WebSocket })
  : null;

if (live) {
  live.onState((state) => {
    indicator.dataset.state = state;
    indicator.querySelector(".live-status__text").textContent = indicator.dataset[state];
  });
  const seen = new Map();
  live.on("order", (order) => {
    if (newFill(order, seen)) toast(fillText(order), order.side);
  });
  live.start();
}

function fillText(order) {
  const side = order.side === "buy" ? gettext("Buy") : gettext("Sell");
  const done = order.filled_quantity >= order.quantity;
  const text = done
    ? gettext("%(side)s %(name)s filled: %(filled)s at an average %(price)s")
    : gettext("%(side)s %(name)s partly filled: %(filled)s of %(quantity)s at an average %(price)s");
  return interpolate(
    text,
    {
      side,
      name: order.stock_name || order.stock_code,
      filled: format.shares(order.filled_quantity),
      quantity: format.shares(order.quantity),
      price: format.won(order.average_price),
    },
    true,
  );
}

function toast(text, side) {
  const box = document.getElementById("live-toasts");
  const item = document.createElement("p");
  item.className = `live-toast live-toast--${side === "buy" ? "buy" : "sell"}`;
  item.textContent = text;
  box.append(item);
  window.setTimeout(() => item.remove(), TOAST_MS);
}
