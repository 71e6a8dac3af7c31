/* StockLab's shared module: Alpine (started once every page script has registered its components), the JSON
   API with the session, formatting, the price grid the server sent, and the pieces every page shares. */
import Alpine from "../vendor/alpinejs/alpine-csp.esm.min.js";
import { createFormat } from "./lib/format.js";
import { createMarket } from "./lib/market.js";

const { gettext, ngettext, interpolate } = window;
const lang = (document.documentElement.lang || "ko").toLowerCase();
export const locale = lang.startsWith("en") ? "en-US" : "ko-KR";
export const format = createFormat({ locale, gettext, ngettext, interpolate });

/** Server data a template passed with `json_script`. */
export function readJson(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

/** The KRX grid from brokerage.kiwoom.market, on the pages that need it (`tick_grid|json_script`). */
export const market = createMarket(readJson("tick-grid")?.bands ?? []);

function meta(name) {
  return document.querySelector(`meta[name="${name}"]`)?.content ?? "";
}

/** Call the API; resolves to {ok, status, data}, never throws. Errors are always {code, detail, ...}. */
async function request(method, url, { body, idempotencyKey, keepPage = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = meta("csrf-token");
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    const detail = gettext("StockLab could not be reached. Check your connection and try again.");
    return { ok: false, status: 0, data: { code: "network_error", detail } };
  }
  let data = null;
  if (response.status !== 204) data = await response.json().catch(() => null);
  if (!response.ok && !data?.code) {
    const detail = interpolate(gettext("The server answered with an error (HTTP %s)."), [response.status]);
    data = { code: `http_${response.status}`, detail };
  }
  if (response.status === 401) {
    data = { ...data, code: "session_expired", detail: gettext("Your session has expired: log in again.") };
    // The session ended (logged out in another tab, or expired): back to the login page, then here; unless
    // the page keeps what the user typed and offers the way back itself (`keepPage`).
    if (!keepPage) window.location.assign(loginUrl(window.location.pathname + window.location.search));
  }
  return { ok: response.ok, status: response.status, data };
}

/** The login page, coming back to `next` (a path with its query) once logged in. */
export function loginUrl(next) {
  return `${meta("login-url")}?next=${encodeURIComponent(next)}`;
}

export const api = {
  get: (url) => request("GET", url),
  post: (url, body, options = {}) => request("POST", url, { body, ...options }),
  delete: (url) => request("DELETE", url),
};

/** A fresh idempotency key (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newIdempotencyKey() {
  if (typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An API error as templates/_error_box.html shows it: a title, the detail, Kiwoom's words, and optionally a
    note (what to do), a link ({href, text}) or a "Try again" button (`retry`: the page calls its own method). */
export function errorBox(error, { title = "", note = "", link = null, retry = false } = {}) {
  // Kiwoom's own words, unless the detail already quotes them; its code helps support.
  const quoted = error.kiwoom_message && String(error.detail).includes(error.kiwoom_message);
  let kiwoom = "";
  if (error.kiwoom_message && !quoted) {
    kiwoom = interpolate(
      gettext("Kiwoom said: %(message)s (code %(code)s)"),
      { message: error.kiwoom_message, code: error.kiwoom_code || "–" },
      true,
    );
  } else if (error.kiwoom_code) {
    kiwoom = interpolate(gettext("Kiwoom's code: %s"), [error.kiwoom_code]);
  }
  return { title, detail: error.detail, kiwoom, note, link, retry: retry ? gettext("Try again") : "" };
}

/** The messages of an `invalid_input` answer for the form's own `fields` ({field: [message]}), or null. */
export function fieldErrors(data, fields) {
  if (data.code !== "invalid_input") return null;
  const errors = Object.fromEntries(Object.entries(data.errors || {}).filter(([field]) => fields.includes(field)));
  return Object.keys(errors).length > 0 ? errors : null;
}

/** Close buttons (`data-close`) of every dialog; the backdrop click closes too. */
function wireDialogs() {
  for (const dialog of document.querySelectorAll("dialog")) {
    for (const button of dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => dialog.close("cancel"));
    }
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close("cancel");
    });
  }
}

/** Each body cell of a card table gets its column's name (data-label), which phones show beside it. */
function labelCells(table) {
  const names = [...table.tHead.rows[0].cells].map((cell) => cell.textContent.trim());
  for (const row of table.tBodies[0].rows) {
    for (const [i, cell] of [...row.cells].entries()) if (names[i]) cell.dataset.label = names[i];
  }
}

// Module scripts run before DOMContentLoaded, in order: by then every page has registered its components.
document.addEventListener("DOMContentLoaded", () => {
  wireDialogs();
  for (const table of document.querySelectorAll("table.data-table--cards")) {
    new MutationObserver(() => labelCells(table)).observe(table.tBodies[0], { childList: true });
  }
  Alpine.start();
});

export { Alpine, gettext, interpolate };
