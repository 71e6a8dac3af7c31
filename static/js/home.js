/* Home: the Kiwoom connection's status, the connect dialog and the disconnect confirmation. */
import { api, el, errorAlert, format, gettext, interpolate, readJson, showFieldErrors } from "./stocklab.js";

document.addEventListener("DOMContentLoaded", () => {

  const card = document.getElementById("connection");
  const url = card.dataset.credentialsUrl;
  const badge = document.getElementById("connection-badge");
  const facts = document.getElementById("connection-facts");
  const hint = document.getElementById("connection-hint");
  const connectOpen = document.getElementById("connect-open");
  const disconnectOpen = document.getElementById("disconnect-open");
  const connectDialog = document.getElementById("connect-dialog");
  const connectForm = document.getElementById("connect-form");
  const connectResult = document.getElementById("connect-result");
  const connectSubmit = document.getElementById("connect-submit");
  const disconnectDialog = document.getElementById("disconnect-dialog");
  const disconnectForm = document.getElementById("disconnect-form");
  const disconnectResult = document.getElementById("disconnect-result");
  const disconnectSubmit = document.getElementById("disconnect-submit");

  const MODES = { mock: gettext("Mock"), real: gettext("Real") };

  function render(status) {
    facts.replaceChildren();
    if (!status.connected) {
      badge.className = "badge badge--off";
      badge.textContent = gettext("Not connected");
      hint.textContent = gettext("Connect your Kiwoom REST API keys to see your balance and place orders.");
      connectOpen.textContent = gettext("Connect your brokerage");
      disconnectOpen.hidden = true;
      return;
    }
    const healthy = status.status === "active";
    badge.className = `badge ${healthy ? "badge--on" : "badge--warn"}`;
    badge.textContent = `${healthy ? gettext("Connected") : gettext("Needs attention")} · ${MODES[status.mode] || status.mode}`;
    hint.textContent = healthy ? "" : gettext("Kiwoom refused these keys. Connect again with valid keys.");
    const rows = [
      [gettext("App key"), status.app_key_masked],
      [gettext("Key fingerprint"), `…${status.key_fingerprint_suffix}`],
      [gettext("Access token valid until"), format.dateTime(status.token_expires_at)],
      [gettext("Token last issued"), format.dateTime(status.last_refreshed_at)],
    ];
    if (status.last_error) {
      rows.push([
        gettext("Last Kiwoom error"),
        `${status.last_error.explanation} (${status.last_error.code}, ${format.dateTime(status.last_error.at)})`,
      ]);
    }
    for (const [term, value] of rows) facts.append(el("dt", { text: term }), el("dd", { text: value }));
    connectOpen.textContent = gettext("Connect other keys");
    disconnectOpen.hidden = false;
  }

  let current = readJson("connection-status");
  render(current);

  // --- Connect -----------------------------------------------------------------------------------------
  connectOpen.addEventListener("click", () => {
    connectForm.reset();
    showFieldErrors(connectForm, {});
    // Connecting while connected replaces the keys: say so, and whose.
    document.getElementById("connect-title").textContent = current.connected ? gettext("Replace your Kiwoom keys") : gettext("Connect your brokerage");
    connectResult.replaceChildren(
      current.connected
        ? el("p", { class: "notice notice--warning", text: interpolate(gettext("These keys will replace the connected ones (app key %s) once Kiwoom accepts them. Orders placed with the old keys can then be changed only in Kiwoom's own app."), [current.app_key_masked]) })
        : "",
    );
    connectSubmit.hidden = false;
    connectSubmit.disabled = false;
    connectDialog.querySelector("[data-close]").textContent = gettext("Cancel");
    connectDialog.showModal();
  });

  connectForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { app_key: connectForm.app_key.value.trim(), app_secret: connectForm.app_secret.value.trim() };
    const missing = {};
    if (!body.app_key) missing.app_key = [gettext("Enter the app key.")];
    if (!body.app_secret) missing.app_secret = [gettext("Enter the secret key.")];
    if (showFieldErrors(connectForm, missing)) return;

    connectSubmit.disabled = true;
    connectResult.replaceChildren(el("p", { class: "muted", text: gettext("Asking Kiwoom to check the keys…") }));
    const { ok, data } = await api.post(url, body);
    connectSubmit.disabled = false;
    if (ok) {
      connectForm.reset(); // the keys are stored, encrypted: nothing of them stays on the page
      current = data;
      render(data);
      connectSubmit.hidden = true;
      connectResult.replaceChildren(
        el(
          "div",
          { class: "notice notice--success", role: "status" },
          el("p", { class: "notice__title", text: gettext("Connected. Kiwoom accepted your keys.") }),
          el("p", {}, el("a", { href: card.dataset.balanceUrl, text: gettext("See my balance") })),
        ),
      );
      connectDialog.querySelector("[data-close]").textContent = gettext("Close");
      return;
    }
    if (data.code === "invalid_input" && showFieldErrors(connectForm, data.errors)) {
      connectResult.replaceChildren();
      return;
    }
    const titles = {
      kiwoom_invalid_credentials: gettext("Kiwoom refused these keys"),
      kiwoom_unavailable: gettext("Kiwoom unreachable"),
      kiwoom_mode_mismatch: gettext("Keys for the other trading mode"),
      kiwoom_ip_not_allowed: gettext("Kiwoom refused this server"),
    };
    const hints = {
      kiwoom_invalid_credentials: gettext("Check both keys on Kiwoom's API portal and try again. Nothing was saved."),
      kiwoom_unavailable: gettext("Kiwoom did not answer. Nothing was saved; try again in a moment."),
    };
    connectResult.replaceChildren(
      errorAlert(data, {
        title: titles[data.code] || gettext("Could not connect"),
        extra: hints[data.code] ? el("p", { text: hints[data.code] }) : null,
      }),
    );
  });

  // --- Disconnect --------------------------------------------------------------------------------------
  disconnectOpen.addEventListener("click", () => {
    disconnectResult.replaceChildren();
    disconnectSubmit.disabled = false;
    disconnectDialog.showModal();
  });

  disconnectForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    disconnectSubmit.disabled = true;
    const { ok, data } = await api.delete(url);
    if (ok) {
      current = { connected: false };
      render(current);
      disconnectDialog.close("done");
      connectOpen.focus();
      announce(gettext("Disconnected. Your keys were deleted."));
      return;
    }
    disconnectSubmit.disabled = false;
    disconnectResult.replaceChildren(errorAlert(data, { title: gettext("Could not disconnect") }));
  });

  function announce(text) {
    const notice = el("p", { class: "notice notice--success", role: "status", id: "connection-notice", text });
    document.getElementById("connection-notice")?.remove();
    card.append(notice);
  }
});
