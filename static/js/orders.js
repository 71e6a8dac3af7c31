/* Orders: the ledger with filters and pages, today's fills, and modify or cancel for open orders. */
import { api, el, errorAlert, format, gettext, interpolate, market, newIdempotencyKey, readJson, showFieldErrors } from "./stocklab.js";

document.addEventListener("DOMContentLoaded", () => {

  const labels = readJson("ledger-labels");
  const root = document.getElementById("orders-root");
  const filters = document.getElementById("order-filters");
  const statusBox = document.getElementById("orders-status"); // the list's own messages, renewed by each load
  const notice = document.getElementById("orders-notice"); // the last change's outcome, kept across loads
  const tbody = document.getElementById("orders-body");
  const emptyNote = document.getElementById("orders-empty");
  const previous = document.getElementById("orders-previous");
  const next = document.getElementById("orders-next");
  const range = document.getElementById("orders-range");
  const fetchedAt = document.getElementById("orders-fetched-at");
  const fillsBody = document.getElementById("fills-body");
  const fillsEmpty = document.getElementById("fills-empty");
  const fillsStatus = document.getElementById("fills-status");

  let pageUrl = null; // the ledger page on screen (the API's own next/previous links)
  let pageLinks = { next: null, previous: null };
  let rows = new Map();

  const sideText = (side) => labels.sides[side] || side;
  const isOpen = (order) => labels.open_statuses.includes(order.status) && order.kind !== "cancel";
  const note = (text) => el("span", { class: "cell-note", text });

  // --- The ledger ----------------------------------------------------------------------------------------
  function filteredUrl() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(filters)) if (String(value).trim()) params.set(name, String(value).trim());
    const query = params.toString();
    return query ? `${root.dataset.ordersUrl}?${query}` : root.dataset.ordersUrl;
  }

  async function loadOrders(url = pageUrl || filteredUrl()) {
    pageUrl = url;
    tbody.closest("section").setAttribute("aria-busy", "true");
    const { ok, status, data } = await api.get(url);
    tbody.closest("section").setAttribute("aria-busy", "false");
    if (!ok) {
      if (status === 409 && data.code === "kiwoom_not_connected") {
        statusBox.replaceChildren(
          errorAlert(data, { extra: el("p", {}, el("a", { href: root.dataset.homeUrl, text: gettext("Connect your brokerage") })) }),
        );
      } else {
        // A refused filter: its messages, without the API's field names.
        const detail = data.code === "invalid_input" ? Object.values(data.errors || {}).flat().join(" ") || data.detail : data.detail;
        statusBox.replaceChildren(errorAlert({ ...data, detail }, { title: gettext("Could not load your orders") }));
      }
      return;
    }
    statusBox.replaceChildren();
    fetchedAt.textContent = interpolate(gettext("Fetched at %s"), [format.dateTime(new Date().toISOString())]);
    renderOrders(data);
  }

  function renderOrders(page) {
    rows = new Map(page.results.map((order) => [String(order.id), order]));
    tbody.replaceChildren(...page.results.map(orderRow));
    emptyNote.hidden = page.results.length > 0;
    pageLinks = { next: page.next, previous: page.previous };
    previous.disabled = !page.previous;
    next.disabled = !page.next;
    const pageNumber = Number(new URL(pageUrl, window.location.origin).searchParams.get("page") || 1);
    range.textContent = page.count
      ? interpolate(gettext("%(count)s entries · page %(page)s"), { count: format.number(page.count), page: pageNumber }, true)
      : "";
  }

  function orderRow(order) {
    // A cancellation only takes shares off its order: no type, price or fills of its own; and once Kiwoom
    // accepted it, it is done (its "accepted" would read as still waiting, as an order's does).
    const cancellation = order.kind === "cancel";
    const done = cancellation && labels.open_statuses.includes(order.status);
    const side = el("td", { class: order.side === "buy" ? "gain" : "loss", text: sideText(order.side) });
    if (order.kind && order.kind !== "new") side.append(note(labels.kinds[order.kind] || order.kind));
    const status = el("td", {}, el("span", {
      class: `badge badge--status badge--${done ? "done" : order.status}`,
      text: done ? gettext("Done") : labels.statuses[order.status] || order.status,
    }));
    if (order.kiwoom_code || (order.kiwoom_message && ["rejected", "unresolved", "not_placed"].includes(order.status))) {
      status.append(el("span", { class: "status-note", text: `${order.kiwoom_message}${order.kiwoom_code ? ` (${order.kiwoom_code})` : ""}` }));
    }
    // What became of the order's shares besides fills: otherwise "0 / 2" hides that one was cancelled.
    const quantity = el("td", { class: "num", text: format.number(order.quantity) });
    if (order.cancelled_quantity) quantity.append(note(interpolate(gettext("%s cancelled"), [format.number(order.cancelled_quantity)])));
    if (order.modified_quantity) quantity.append(note(interpolate(gettext("%s modified"), [format.number(order.modified_quantity)])));
    const filled = el("td", { class: "num", text: cancellation ? "–" : `${format.number(order.filled_quantity)} / ${format.number(order.quantity)}` });
    if (order.average_fill_price && !cancellation) filled.append(note(interpolate(gettext("avg. %s"), [format.won(order.average_fill_price)])));
    const actions = el("td", { class: "row-actions" });
    const keys = root.dataset.keysSuffix;
    if (isOpen(order) && order.remaining_quantity > 0 && order.key_fingerprint_suffix !== keys) {
      // Only the keys that placed it can change it: say why there are no buttons.
      actions.append(note(keys ? gettext("Placed with other keys") : gettext("Connect your keys to change it")));
    } else if (isOpen(order) && order.remaining_quantity > 0) {
      actions.append(
        el("button", { type: "button", class: "btn btn--small", dataset: { action: "modify", id: order.id }, text: gettext("Modify"), "aria-label": interpolate(gettext("Modify order %s"), [order.order_number]) }),
        el("button", { type: "button", class: "btn btn--small btn--danger", dataset: { action: "cancel", id: order.id }, text: gettext("Cancel"), "aria-label": interpolate(gettext("Cancel order %s"), [order.order_number]) }),
      );
    } else if (order.status === "unresolved" || order.status === "pending") {
      actions.append(el("button", { type: "button", class: "btn btn--small", dataset: { action: "reconcile", id: order.id }, text: gettext("Check now") }));
    }
    const price = cancellation ? "–" : order.price ? format.won(order.price) : gettext("Market");
    return el(
      "tr",
      { dataset: { id: order.id, status: order.status } },
      el("td", { class: "wrap", text: format.dayTime(order.ordered_at), title: format.dateTime(order.ordered_at) }),
      el("th", { scope: "row" }, el("span", { class: "holding-name", text: order.stock_name || order.stock_code }), el("span", { class: "cell-note mono", text: order.stock_code })),
      side,
      el("td", { class: "wrap", text: cancellation ? "–" : labels.trade_types[order.trade_type] || order.trade_type }),
      quantity,
      el("td", { class: "num", text: price }),
      filled,
      status,
      el("td", { class: "mono", text: order.order_number || "–" }),
      actions,
    );
  }

  // --- Today's fills -------------------------------------------------------------------------------------
  async function loadFills() {
    const { ok, status, data } = await api.get(root.dataset.fillsUrl);
    if (!ok) {
      fillsBody.replaceChildren();
      fillsStatus.replaceChildren(status === 409 ? el("p", { class: "muted", text: data.detail }) : errorAlert(data));
      return;
    }
    fillsStatus.replaceChildren();
    fillsEmpty.hidden = data.fills.length > 0;
    fillsBody.replaceChildren(
      ...data.fills.map((fill) =>
        el(
          "tr",
          {},
          el("td", { class: "mono", text: fill.order_time.replace(/^(\d\d)(\d\d)(\d\d)$/, "$1:$2:$3") }),
          el("th", { scope: "row" }, el("span", { class: "holding-name", text: fill.stock_name }), el("span", { class: "cell-note mono", text: fill.stock_code })),
          el("td", { class: fill.side === "buy" ? "gain" : "loss", text: sideText(fill.side) }),
          el("td", { class: "num", text: format.won(fill.fill_price) }),
          el("td", { class: "num", text: format.number(fill.filled_quantity) }),
          el("td", { class: "num", text: format.number(fill.remaining_quantity) }),
          el("td", { class: "num", text: format.won(fill.fee + fill.tax) }),
          el("td", { class: "mono", text: fill.order_number }),
        ),
      ),
    );
  }

  function refresh() {
    loadOrders();
    loadFills();
  }

  // --- Modify and cancel ---------------------------------------------------------------------------------
  function dialogFor(name) {
    const dialog = document.getElementById(`${name}-dialog`);
    return {
      dialog,
      form: document.getElementById(`${name}-form`),
      headline: document.getElementById(`${name}-headline`),
      result: document.getElementById(`${name}-result`),
      submit: document.getElementById(`${name}-submit`),
    };
  }
  const modify = dialogFor("modify");
  const cancel = dialogFor("cancel");
  let action = null; // {order, key, busy}: the change under way, one idempotency key per dialog opening

  function headline(order) {
    return interpolate(gettext("%(side)s %(name)s, order %(number)s: %(remaining)s still open"), {
      side: sideText(order.side),
      name: order.stock_name || order.stock_code,
      number: order.order_number,
      remaining: format.shares(order.remaining_quantity),
    }, true);
  }

  function open(parts, order) {
    action = { order, key: newIdempotencyKey(), busy: false };
    notice.replaceChildren(); // a new change: the last one's outcome is no longer the news
    parts.form.reset();
    showFieldErrors(parts.form, {});
    parts.result.replaceChildren();
    parts.submit.disabled = false;
    parts.headline.textContent = headline(order);
    parts.dialog.showModal();
  }

  function openModify(order) {
    open(modify, order);
    const price = modify.form.price;
    price.value = order.price || "";
    modify.form.quantity.value = order.remaining_quantity;
    modify.form.quantity.max = order.remaining_quantity;
    document.getElementById("modify-quantity-hint").textContent = interpolate(gettext("Up to %s."), [format.shares(order.remaining_quantity)]);
    updateModifyHint();
    price.focus();
  }

  function updateModifyHint() {
    const price = Number(modify.form.price.value);
    const hint = document.getElementById("modify-price-hint");
    if (price > 0) {
      modify.form.price.step = String(market.tickSize(price));
      hint.textContent = interpolate(gettext("Tick size at this price: %s"), [format.won(market.tickSize(price))]);
    } else {
      hint.textContent = "";
    }
  }

  function openCancel(order) {
    open(cancel, order);
    cancel.form.quantity.value = order.remaining_quantity;
    cancel.form.quantity.max = order.remaining_quantity;
    document.getElementById("cancel-quantity-hint").textContent = interpolate(
      gettext("All %s by default; a smaller number cancels part of the order."),
      [format.shares(order.remaining_quantity)],
    );
  }

  async function submitChange(parts, kind, body) {
    if (action.busy) return;
    action.busy = true;
    parts.submit.disabled = true;
    parts.result.replaceChildren(el("p", { class: "muted", text: gettext("Sending to Kiwoom…") }));
    const url = `${root.dataset.ordersUrl}/${action.order.id}/${kind}`;
    const response = await api.post(url, body, { idempotencyKey: action.key });
    action.busy = false;
    if (response.ok) {
      parts.dialog.close("done");
      notice.replaceChildren(
        el("p", {
          class: "notice notice--success",
          role: "status",
          text: kind === "cancel" ? gettext("Cancellation accepted by Kiwoom.") : gettext("Modification accepted by Kiwoom."),
        }),
      );
      refresh();
      return;
    }
    const { status, data } = response;
    // Sent, but Kiwoom's answer was lost: the server reconciles the change and never sends it again.
    const unresolved = data.order_status === "unresolved";
    if (data.code === "invalid_input" && showFieldErrors(parts.form, data.errors)) {
      parts.result.replaceChildren();
      action.key = newIdempotencyKey(); // the request changes, so it is a new one
    } else if (unresolved) {
      parts.result.replaceChildren(
        errorAlert(data, {
          title: kind === "cancel"
            ? gettext("The cancellation may have reached Kiwoom: it is being checked")
            : gettext("The modification may have reached Kiwoom: it is being checked"),
        }),
      );
      refresh(); // the list shows it, with a way to check it now
    } else {
      parts.result.replaceChildren(errorAlert(data));
    }
    // Retrying with the same key is safe: the server answers a repeat with the first result. After a lost
    // answer only the same key is: a new one would be a second change.
    parts.submit.disabled = false;
    const keepKey = status === 0 || data.code === "idempotency_key_in_flight" || unresolved;
    if (!keepKey) action.key = newIdempotencyKey();
  }

  modify.form.price.addEventListener("input", updateModifyHint);
  modify.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const price = Number(modify.form.price.value);
    const quantity = Number(modify.form.quantity.value);
    const errors = {};
    if (!Number.isInteger(price) || price < 1) errors.price = [gettext("Enter a price in whole won.")];
    else if (!market.isOnTick(price)) errors.price = [interpolate(gettext("The price must be a multiple of %s at this level."), [format.won(market.tickSize(price))])];
    else if (price === action.order.price) errors.price = [gettext("That is the order's price already: a modification would change nothing.")];
    if (modify.form.quantity.value && (!Number.isInteger(quantity) || quantity < 1 || quantity > action.order.remaining_quantity)) {
      errors.quantity = [interpolate(gettext("Enter 1 to %s."), [format.number(action.order.remaining_quantity)])];
    }
    if (showFieldErrors(modify.form, errors)) return;
    const body = { price };
    if (modify.form.quantity.value && quantity !== action.order.remaining_quantity) body.quantity = quantity;
    submitChange(modify, "modify", body);
  });

  cancel.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const quantity = Number(cancel.form.quantity.value);
    if (cancel.form.quantity.value && (!Number.isInteger(quantity) || quantity < 1 || quantity > action.order.remaining_quantity)) {
      showFieldErrors(cancel.form, { quantity: [interpolate(gettext("Enter 1 to %s."), [format.number(action.order.remaining_quantity)])] });
      return;
    }
    const body = {};
    if (cancel.form.quantity.value && quantity !== action.order.remaining_quantity) body.quantity = quantity;
    submitChange(cancel, "cancel", body);
  });

  for (const parts of [modify, cancel]) {
    parts.dialog.addEventListener("cancel", (event) => {
      if (action?.busy) event.preventDefault();
    });
  }

  tbody.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const order = rows.get(button.dataset.id);
    if (button.dataset.action === "modify") openModify(order);
    else if (button.dataset.action === "cancel") openCancel(order);
    else if (button.dataset.action === "reconcile") {
      button.disabled = true;
      notice.replaceChildren();
      const { ok, data } = await api.post(`${root.dataset.ordersUrl}/${order.id}/reconcile`);
      if (!ok) notice.replaceChildren(errorAlert(data));
      else {
        const checked = format.dateTime(new Date().toISOString());
        const text = data.status === "unresolved"
          ? interpolate(gettext("Checked with Kiwoom at %s: its orders do not settle this one yet. It is checked again automatically."), [checked])
          : interpolate(gettext("Checked with Kiwoom at %(time)s: the order is now %(status)s."), { time: checked, status: labels.statuses[data.status] || data.status }, true);
        notice.replaceChildren(el("p", { class: "notice", role: "status", text }));
      }
      loadOrders();
    }
  });

  // --- Filters, pages, refresh ---------------------------------------------------------------------------
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = filters.stock_code.value.trim();
    if (code && !/^\d{6}$/.test(code)) {
      statusBox.replaceChildren(errorAlert({ detail: gettext("A stock code is six digits, such as 005930.") }));
      return;
    }
    const from = filters.date_from?.value;
    const to = filters.date_to?.value;
    if (from && to && from > to) {
      statusBox.replaceChildren(errorAlert({ detail: gettext("The last day comes before the first day.") }));
      return;
    }
    loadOrders(filteredUrl());
  });
  filters.addEventListener("reset", () => setTimeout(() => loadOrders(filteredUrl())));
  previous.addEventListener("click", () => pageLinks.previous && loadOrders(pageLinks.previous));
  next.addEventListener("click", () => pageLinks.next && loadOrders(pageLinks.next));
  document.getElementById("orders-refresh").addEventListener("click", refresh);

  loadOrders(filteredUrl());
  loadFills();
});
