/* The order ticket: buy or sell, name lookup, tick grid, a confirmation step, one idempotency key per order. */
import { api, el, errorAlert, format, gettext, interpolate, market, newIdempotencyKey, readJson, showFieldErrors } from "./stocklab.js";

document.addEventListener("DOMContentLoaded", () => {

  const form = document.getElementById("ticket");
  const codeInput = document.getElementById("stock-code");
  const nameOutput = document.getElementById("stock-name");
  const datalist = document.getElementById("stock-list");
  const quantityInput = document.getElementById("quantity");
  const quantityHint = document.getElementById("quantity-hint");
  const typeSelect = document.getElementById("trade-type");
  const priceField = document.getElementById("price-field");
  const priceInput = document.getElementById("price");
  const priceHint = document.getElementById("price-hint");
  const priceGrid = document.getElementById("price-grid");
  const estimate = document.getElementById("estimate");
  const ticketErrors = document.getElementById("ticket-errors");
  const connection = document.getElementById("ticket-connection");
  const result = document.getElementById("ticket-result");
  const resultBody = document.getElementById("ticket-result-body");
  const dialog = document.getElementById("confirm-dialog");
  const confirmForm = document.getElementById("confirm-form");
  const confirmHeadline = document.getElementById("confirm-headline");
  const confirmFacts = document.getElementById("confirm-facts");
  const confirmError = document.getElementById("confirm-error");
  const confirmSubmit = document.getElementById("confirm-submit");

  // Names the ticket has seen: the account's holdings, and each code typed in full (asked of the server).
  const names = {};
  const asked = new Set();
  let holdings = {};
  // Whether `holdings` is the account's (loaded): only then may the ticket say a stock is not held.
  let holdingsKnown = false;
  const labels = readJson("ledger-labels");
  // The order under confirmation, with the idempotency key that every submission of it carries.
  let pending = null;
  let submitting = false;
  // An order whose answer never arrived keeps its key: reviewing the same order again must not place it twice.
  let unanswered = null;

  const side = () => form.querySelector('input[name="side"]:checked').value;
  const selectedType = () => typeSelect.selectedOptions[0];
  const requiresPrice = () => selectedType().dataset.requiresPrice === "true";
  const sideLabel = (value) => (value === "buy" ? gettext("Buy") : gettext("Sell"));

  // --- Holdings and names (best effort: the ticket works without them) ------------------------------------
  async function loadHoldings() {
    const { ok, status, data } = await api.get(form.dataset.balanceUrl);
    if (ok) {
      holdings = Object.fromEntries(data.holdings.map((h) => [h.stock_code, h]));
      holdingsKnown = true;
      for (const h of data.holdings) names[h.stock_code] = h.name;
      connection.replaceChildren();
    } else if (status === 409 && data.code === "kiwoom_not_connected") {
      connection.replaceChildren(
        el(
          "div",
          { class: "notice notice--warn", role: "status" },
          el("p", { text: data.detail }),
          el("p", {}, el("a", { href: form.dataset.homeUrl, text: gettext("Connect your brokerage") })),
        ),
      );
    }
    fillDatalist();
    updateLookup();
  }

  function fillDatalist() {
    datalist.replaceChildren(
      ...Object.entries(names)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([code, name]) => el("option", { value: code, label: name })),
    );
  }

  /** The stock's name from Kiwoom (ka10001 through the server), once per code; unknown codes stay unnamed. */
  async function lookUpName(code) {
    if (names[code] || asked.has(code)) return;
    asked.add(code);
    const { ok, data } = await api.get(form.dataset.stockUrl.replace("000000", code));
    if (!ok) return;
    names[code] = data.name;
    if (codeInput.value.trim() === code) updateLookup();
  }

  function updateLookup() {
    const code = codeInput.value.trim();
    const holding = holdings[code];
    if (/^\d{6}$/.test(code)) {
      lookUpName(code);
      nameOutput.textContent = names[code] || (asked.has(code) ? gettext("Not in StockLab's list; Kiwoom will check the code.") : "");
      nameOutput.classList.toggle("field__lookup--unknown", !names[code]);
    } else {
      nameOutput.textContent = code ? gettext("Type the six-digit code, or pick a stock from the list.") : "";
      nameOutput.classList.add("field__lookup--unknown");
    }
    if (holding) {
      quantityHint.textContent = interpolate(gettext("You hold %(quantity)s, %(tradable)s sellable; current price %(price)s."), {
        quantity: format.shares(holding.quantity),
        tradable: format.shares(holding.tradable_quantity),
        price: format.won(holding.current_price),
      }, true);
    } else {
      quantityHint.textContent = side() === "sell" && /^\d{6}$/.test(code) ? gettext("You do not hold this stock.") : "";
    }
    updateEstimate();
  }

  // --- Price and the tick grid -----------------------------------------------------------------------------
  function updateType() {
    const needsPrice = requiresPrice();
    priceField.hidden = !needsPrice;
    priceInput.disabled = !needsPrice;
    if (needsPrice && !priceInput.value && holdings[codeInput.value.trim()]) {
      priceInput.value = holdings[codeInput.value.trim()].current_price;
    }
    updatePrice();
  }

  function updatePrice() {
    priceGrid.replaceChildren();
    const price = Number(priceInput.value);
    if (!requiresPrice() || !priceInput.value || !Number.isInteger(price) || price <= 0) {
      priceHint.textContent = gettext("Limit prices follow the KRX tick grid: the step depends on the price.");
      priceInput.step = "1";
      updateEstimate();
      return;
    }
    const tick = market.tickSize(price);
    priceInput.step = String(tick);
    priceHint.textContent = interpolate(gettext("Tick size at this price: %s"), [format.won(tick)]);
    if (!market.isOnTick(price)) {
      const [below, above] = market.neighbours(price);
      priceGrid.append(
        el("span", { text: gettext("Not on the price grid. Use:") }),
        ...[below, above].filter((p) => p > 0).map((p) =>
          el("button", {
            type: "button",
            class: "btn btn--small",
            text: format.won(p),
            onclick: () => {
              priceInput.value = p;
              updatePrice();
              priceInput.focus();
            },
          }),
        ),
      );
    }
    updateEstimate();
  }

  function updateEstimate() {
    const quantity = Number(quantityInput.value);
    const price = requiresPrice() ? Number(priceInput.value) : holdings[codeInput.value.trim()]?.current_price;
    if (quantity > 0 && price > 0) {
      const label = requiresPrice() ? gettext("Order amount: %s") : gettext("Estimated amount at the current price: %s");
      estimate.textContent = interpolate(label, [format.won(quantity * price)]);
    } else {
      estimate.textContent = "";
    }
  }

  // --- Review: check the ticket, then restate it in the confirmation dialog -------------------------------
  function collect() {
    const errors = {};
    const code = codeInput.value.trim();
    const quantity = Number(quantityInput.value);
    const order = { stock_code: code, quantity, trade_type: typeSelect.value };
    if (!/^\d{6}$/.test(code)) errors.stock_code = [gettext("A stock code is six digits, such as 005930.")];
    else if (side() === "sell" && holdingsKnown && !holdings[code]) errors.stock_code = [gettext("You do not hold this stock.")];
    // Digits only: the number field would also take "1e5" (100,000 shares).
    if (!/^\d+$/.test(quantityInput.value.trim()) || !Number.isInteger(quantity) || quantity < 1) {
      errors.quantity = [gettext("Enter a whole number of shares, 1 or more.")];
    }
    if (requiresPrice()) {
      const price = Number(priceInput.value);
      if (!priceInput.value || !Number.isInteger(price) || price < 1) errors.price = [gettext("Enter a price in whole won.")];
      else if (!market.isOnTick(price)) errors.price = [interpolate(gettext("The price must be a multiple of %s at this level."), [format.won(market.tickSize(price))])];
      else order.price = price;
    }
    return { order, errors };
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ticketErrors.replaceChildren();
    const { order, errors } = collect();
    if (showFieldErrors(form, errors)) {
      form.querySelector("[aria-invalid]")?.focus();
      return;
    }
    const fingerprint = JSON.stringify([side(), order]);
    const key = unanswered && unanswered.fingerprint === fingerprint ? unanswered.key : newIdempotencyKey();
    pending = { side: side(), order, key, fingerprint };
    openConfirmation();
  });

  function openConfirmation() {
    const { side: orderSide, order } = pending;
    const name = names[order.stock_code] || order.stock_code;
    const typeLabel = selectedType().textContent.trim();
    confirmHeadline.className = `confirm__headline ${orderSide === "buy" ? "gain" : "loss"}`;
    confirmHeadline.textContent = interpolate(gettext("%(side)s %(name)s (%(code)s), %(quantity)s"), {
      side: sideLabel(orderSide),
      name,
      code: order.stock_code,
      quantity: format.shares(order.quantity),
    }, true);
    const rows = [
      [gettext("Side"), sideLabel(orderSide)],
      [gettext("Stock"), `${name} (${order.stock_code})`],
      [gettext("Quantity"), format.shares(order.quantity)],
      [gettext("Order type"), typeLabel],
      [gettext("Price"), order.price ? format.won(order.price) : gettext("Decided by the market")],
    ];
    if (order.price) rows.push([gettext("Order amount"), format.won(order.price * order.quantity)]);
    confirmFacts.replaceChildren(...rows.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]));
    confirmError.replaceChildren();
    confirmSubmit.textContent = orderSide === "buy" ? gettext("Place buy order") : gettext("Place sell order");
    confirmSubmit.className = `btn ${orderSide === "buy" ? "btn--buy" : "btn--sell"}`;
    confirmSubmit.disabled = false;
    dialog.showModal();
  }

  confirmForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    // A second click while the first is in flight does nothing; a retry reuses the same key.
    if (submitting || !pending) return;
    submitting = true;
    confirmSubmit.disabled = true;
    confirmSubmit.setAttribute("aria-busy", "true");
    confirmError.replaceChildren(el("p", { class: "muted", text: gettext("Sending the order to Kiwoom…") }));
    const url = pending.side === "buy" ? form.dataset.buyUrl : form.dataset.sellUrl;
    const response = await api.post(url, pending.order, { idempotencyKey: pending.key });
    submitting = false;
    confirmSubmit.removeAttribute("aria-busy");
    if (response.ok) {
      dialog.close("done");
      showResult(response.data);
      pending = null;
      unanswered = null;
      loadHoldings();
      return;
    }
    showFailure(response);
  });

  function showFailure({ status, data }) {
    // Retrying is safe only with the same key: the server answers a repeat with the first result.
    const retryable = status === 0 || data.code === "idempotency_key_in_flight";
    // Sent, but Kiwoom's answer was lost: the server reconciles it and never sends it again. The key is kept,
    // so that submitting the same order again replays this answer instead of placing a second order.
    const unresolved = data.order_status === "unresolved";
    unanswered = retryable || unresolved ? { fingerprint: pending.fingerprint, key: pending.key } : null;
    if (data.code === "invalid_input" && data.errors) {
      dialog.close("cancel");
      showFieldErrors(form, data.errors);
      ticketErrors.replaceChildren(errorAlert(data));
      pending = null;
      return;
    }
    let title = gettext("The order was not placed");
    if (retryable) title = gettext("The order's fate is not known yet");
    else if (unresolved) title = gettext("The order may have reached Kiwoom: it is being checked");
    confirmError.replaceChildren(
      errorAlert(data, {
        title,
        extra:
          data.code === "kiwoom_unavailable" && data.order_id
            ? el("p", {}, el("a", { href: form.dataset.ordersUrl, text: gettext("See it in your orders") }))
            : null,
      }),
    );
    if (retryable) {
      confirmSubmit.disabled = false;
      confirmSubmit.textContent = gettext("Try again (sent once at most)");
    }
  }

  function showResult(order) {
    const name = order.stock_name || names[order.stock_code] || order.stock_code;
    result.hidden = false;
    resultBody.replaceChildren(
      el(
        "div",
        { class: "notice notice--success", role: "status" },
        el("p", {
          class: "notice__title",
          text: interpolate(gettext("%(side)s order for %(name)s accepted by Kiwoom."), { side: sideLabel(order.side), name }, true),
        }),
      ),
      el(
        "dl",
        { class: "facts" },
        el("dt", { text: gettext("Order number") }),
        el("dd", { class: "mono", text: order.order_number || "–" }),
        el("dt", { text: gettext("Status") }),
        el("dd", { text: labels.statuses[order.status] || order.status }),
        el("dt", { text: gettext("Quantity") }),
        el("dd", { text: format.shares(order.quantity) }),
        el("dt", { text: gettext("Price") }),
        el("dd", { text: order.price ? format.won(order.price) : gettext("Market") }),
        el("dt", { text: gettext("Ordered at") }),
        el("dd", { text: format.dateTime(order.ordered_at) }),
      ),
      el("p", {}, el("a", { class: "btn", href: form.dataset.ordersUrl, text: gettext("See my orders") })),
    );
    result.focus();
  }

  // --- Wiring --------------------------------------------------------------------------------------------
  codeInput.addEventListener("input", () => {
    // A name typed in full (or picked by name from the list) becomes its code.
    const typed = codeInput.value.trim().toLowerCase();
    const match = Object.entries(names).find(([, name]) => name.toLowerCase() === typed);
    if (match) codeInput.value = match[0];
    updateLookup();
  });
  for (const radio of form.querySelectorAll('input[name="side"]')) radio.addEventListener("change", updateLookup);
  quantityInput.addEventListener("input", updateEstimate);
  typeSelect.addEventListener("change", updateType);
  priceInput.addEventListener("input", updatePrice);
  dialog.addEventListener("cancel", (event) => {
    if (submitting) event.preventDefault();
  });
  dialog.addEventListener("close", () => {
    if (!submitting && dialog.returnValue !== "done") confirmSubmit.disabled = false;
  });

  updateType();
  fillDatalist();
  updateLookup();
  loadHoldings();
});
