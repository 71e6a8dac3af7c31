/* Home: the Kiwoom connection's status, the connect dialog and the disconnect confirmation. */
import { Alpine, api, errorBox, fieldErrors, format, gettext, interpolate, readJson } from "./stocklab.js";

const MODES = { mock: gettext("Mock"), real: gettext("Real") };
// The words of the page's own labels and buttons, from the scripts' catalog (djangojs).
const words = {
  fingerprint: gettext("Key fingerprint"),
  tokenExpires: gettext("Access token valid until"),
  tokenIssued: gettext("Token last issued"),
  lastError: gettext("Last Kiwoom error"),
  checking: gettext("Asking Kiwoom to check the keys…"),
  connected: gettext("Connected. Kiwoom accepted your keys."),
  seeBalance: gettext("See my balance"),
};
const TITLES = {
  kiwoom_invalid_credentials: gettext("Kiwoom refused these keys"),
  kiwoom_unavailable: gettext("Kiwoom unreachable"),
  kiwoom_mode_mismatch: gettext("Keys for the other trading mode"),
  kiwoom_ip_not_allowed: gettext("Kiwoom refused this server"),
};
const HINTS = {
  kiwoom_invalid_credentials: gettext("Check both keys on Kiwoom's API portal and try again. Nothing was saved."),
  kiwoom_unavailable: gettext("Kiwoom did not answer. Nothing was saved; try again in a moment."),
};
const NEW_CONNECT = { app_key: "", app_secret: "", errors: {}, busy: false, error: null, done: false };

Alpine.data("home", () => ({
  words,
  status: readJson("connection-status"), // GET /api/v1/kiwoom/credentials's answer
  notice: "",
  connect: { ...NEW_CONNECT },
  disconnect: { busy: false, error: null },

  get healthy() {
    return this.status.status === "active";
  },

  get badge() {
    if (!this.status.connected) return { className: "badge--off", text: gettext("Not connected") };
    const state = this.healthy ? gettext("Connected") : gettext("Needs attention");
    return { className: this.healthy ? "badge--on" : "badge--warn", text: `${state} · ${MODES[this.status.mode] || this.status.mode}` };
  },

  get hint() {
    if (!this.status.connected) return gettext("Connect your Kiwoom REST API keys to see your balance and place orders.");
    return this.healthy ? "" : gettext("Kiwoom refused these keys. Connect again with valid keys.");
  },

  get facts() {
    const { key_fingerprint_suffix: suffix, token_expires_at, last_refreshed_at, last_error } = this.status;
    return {
      fingerprint: `…${suffix}`,
      tokenExpires: format.dateTime(token_expires_at),
      tokenIssued: format.dateTime(last_refreshed_at),
      lastError: last_error ? `${last_error.explanation} (${last_error.code}, ${format.dateTime(last_error.at)})` : "",
    };
  },

  get connectLabel() {
    return this.status.connected ? gettext("Connect other keys") : gettext("Connect your brokerage");
  },

  // --- Connect -------------------------------------------------------------------------------------------
  // Connecting while connected replaces the keys: the dialog says so, and whose.
  get connectTitle() {
    return this.status.connected ? gettext("Replace your Kiwoom keys") : gettext("Connect your brokerage");
  },

  get replaceWarning() {
    if (!this.status.connected || this.connect.done) return "";
    const text = gettext(
      "These keys will replace the connected ones (app key %s) once Kiwoom accepts them. Orders placed with the old keys can then be changed only in Kiwoom's own app.",
    );
    return interpolate(text, [this.status.app_key_masked]);
  },

  openConnect() {
    this.connect = { ...NEW_CONNECT };
    this.$refs.connectDialog.showModal();
  },

  async submitConnect() {
    const connect = this.connect;
    const body = { app_key: connect.app_key.trim(), app_secret: connect.app_secret.trim() };
    const missing = {};
    if (!body.app_key) missing.app_key = [gettext("Enter the app key.")];
    if (!body.app_secret) missing.app_secret = [gettext("Enter the secret key.")];
    connect.errors = missing;
    connect.error = null;
    if (Object.keys(missing).length > 0) return;

    connect.busy = true;
    const { ok, data } = await api.post(this.$root.dataset.credentialsUrl, body);
    connect.busy = false;
    if (ok) {
      // The keys are stored, encrypted: nothing of them stays on the page.
      Object.assign(connect, { app_key: "", app_secret: "", done: true });
      this.status = data;
      return;
    }
    const errors = fieldErrors(data, ["app_key", "app_secret"]);
    if (errors) connect.errors = errors;
    else connect.error = errorBox(data, { title: TITLES[data.code] || gettext("Could not connect"), note: HINTS[data.code] });
  },

  get connectCloseLabel() {
    return this.connect.done ? gettext("Close") : gettext("Cancel");
  },

  // --- Disconnect ----------------------------------------------------------------------------------------
  openDisconnect() {
    this.disconnect = { busy: false, error: null };
    this.$refs.disconnectDialog.showModal();
  },

  async submitDisconnect() {
    this.disconnect.busy = true;
    const { ok, data } = await api.delete(this.$root.dataset.credentialsUrl);
    if (!ok) {
      this.disconnect = { busy: false, error: errorBox(data, { title: gettext("Could not disconnect") }) };
      return;
    }
    this.status = { connected: false };
    this.$refs.disconnectDialog.close("done");
    this.$refs.connectOpen.focus();
    this.notice = gettext("Disconnected. Your keys were deleted.");
  },
}));
