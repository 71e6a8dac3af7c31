/* 관심종목: named groups of stocks, each row with its price, change and volume (polled from the group's quotes
   endpoint, or the live stream's `price` messages); add from the search, remove, reorder with buttons. */
import { searchWords, stockSearch } from "./header_search.js";
import { attachCombobox } from "./lib/search.js";
import { live } from "./live.js";
import { Alpine, api, errorBox, format, gettext, interpolate } from "./stocklab.js";

const QUOTES_MS = 5000;
// While the live stream delivers `price`, the quotes are asked for now and then only (names, volume ...).
const POLLS_PER_LIVE_POLL = 6;

// Groups come as a list; a group's quotes as {rows}; either may come paginated ({results}).
const listOf = (data) => (Array.isArray(data) ? data : (data?.rows ?? data?.results ?? []));
const codeOf = (item) => item.stock_code ?? item;

/** `list` with the element at `from` moved to `to`. */
function moved(list, from, to) {
  const copy = [...list];
  const [element] = copy.splice(from, 1);
  copy.splice(to, 0, element);
  return copy;
}

Alpine.data("watchlistPage", () => ({
  groups: [],
  loaded: false,
  activeId: "",
  quotes: {}, // by stock code: the last row of the quotes endpoint (or a live tick)
  names: {}, // by stock code, from the search, until the quotes name them
  following: [], // the codes the live stream follows for this page
  fetchedAt: null,
  error: null,
  newName: "",
  renaming: false,
  renameTo: "",
  live: false,
  words: {
    empty: gettext("No stocks in this group yet. Add one with the search above."),
    noGroups: gettext("No 관심종목 groups yet. Name one to start."),
  },

  init() {
    this.load();
    let ticks = 0;
    window.setInterval(() => {
      ticks += 1;
      if (!document.hidden && (!this.live || ticks % POLLS_PER_LIVE_POLL === 0)) this.loadQuotes();
    }, QUOTES_MS);
    if (live) {
      live.onState((state) => {
        this.live = state === "live";
      });
      live.on("price", (message) => this.onLive(message));
      live.on("reconnected", () => this.loadQuotes());
      // Over the socket's limit: the first codes are followed, the rest only polled; say which.
      live.on("error", (message) => {
        if (message?.code === "too_many_codes") this.error = errorBox(message);
      });
    }
    const input = this.$refs.addInput;
    attachCombobox({
      input,
      listbox: this.$refs.addResults,
      status: this.$refs.addStatus,
      search: stockSearch(this.$root.dataset.stockApiUrl),
      words: searchWords,
      onPick: (stock) => {
        input.value = "";
        this.add(stock);
      },
    });
  },

  get base() {
    const url = this.$root.dataset.stockApiUrl;
    return `${url.slice(0, url.lastIndexOf("stocks/"))}watchlists`;
  },

  async load() {
    const { ok, data } = await api.get(this.base);
    this.loaded = true;
    if (!ok) {
      this.error = errorBox(data, { title: gettext("Your 관심종목 could not be loaded"), retry: true });
      return;
    }
    this.error = null;
    this.groups = listOf(data);
    if (!this.groups.some((g) => String(g.id) === this.activeId)) this.activeId = this.groups.length ? String(this.groups[0].id) : "";
    this.announceInterest();
    this.loadQuotes();
  },

  get active() {
    return this.groups.find((g) => String(g.id) === this.activeId) ?? null;
  },

  get hasGroups() {
    return this.groups.length > 0;
  },

  select(group) {
    this.activeId = String(group.id);
    this.renaming = false;
    this.announceInterest();
    this.loadQuotes();
  },

  tabPressed(group) {
    return String(group.id) === this.activeId ? "true" : "false";
  },

  /** The live stream follows the prices of the group on screen. */
  announceInterest() {
    const codes = (this.active?.items ?? []).map(codeOf);
    live?.unsubscribe(this.following);
    live?.subscribe(codes);
    this.following = codes;
  },

  async loadQuotes() {
    const group = this.active;
    if (!group || (group.items ?? []).length === 0) return;
    const { ok, data } = await api.get(`${this.base}/${group.id}/quotes`);
    if (!ok || group !== this.active) return;
    const quotes = { ...this.quotes };
    for (const row of listOf(data)) {
      // A row may carry its figures flat (price ...) or as Kiwoom's quote (current_price ...); null: no quote.
      const quote = row.quote === undefined ? row : { ...row, ...(row.quote ?? {}) };
      quotes[row.stock_code] = { ...quote, price: quote.price ?? quote.current_price };
    }
    this.quotes = quotes;
    this.fetchedAt = data.as_of ?? new Date().toISOString();
  },

  onLive(message) {
    if (message?.type !== "price" || !this.quotes[message.stock_code]) return;
    const { price, change, change_rate, volume } = message;
    this.quotes = { ...this.quotes, [message.stock_code]: { ...this.quotes[message.stock_code], price, change, change_rate, volume } };
  },

  get updated() {
    return this.fetchedAt ? interpolate(gettext("Updated %s"), [format.dateTime(this.fetchedAt)]) : "";
  },

  get rows() {
    const items = this.active?.items ?? [];
    const last = items.length - 1;
    return items.map((item, i) => {
      const code = codeOf(item);
      const quote = this.quotes[code] ?? {};
      const name = quote.name || item.name || this.names[code] || code;
      return {
        code,
        name,
        href: this.$root.dataset.stockPageUrl.replace("000000", code),
        price: format.won(quote.price),
        change: quote.change == null ? "–" : format.signedWon(quote.change),
        rate: quote.change_rate == null ? "–" : format.rate(quote.change_rate),
        volume: format.number(quote.volume),
        tone: format.signClass(quote.change ?? 0),
        first: i === 0,
        last: i === last,
        up: interpolate(gettext("Move %s up"), [name]),
        down: interpolate(gettext("Move %s down"), [name]),
        remove: interpolate(gettext("Remove %s"), [name]),
      };
    });
  },

  // --- Groups --------------------------------------------------------------------------------------------
  async createGroup() {
    const name = this.newName.trim();
    if (!name) return;
    const { ok, data } = await api.post(this.base, { name });
    if (!ok) {
      this.error = errorBox(data);
      return;
    }
    this.newName = "";
    this.activeId = String(data.id);
    await this.load();
  },

  startRename() {
    this.renameTo = this.active?.name ?? "";
    this.renaming = true;
    this.$nextTick(() => this.$refs.renameInput?.focus());
  },

  cancelRename() {
    this.renaming = false;
  },

  async rename() {
    const name = this.renameTo.trim();
    if (!name || !this.active) return;
    const { ok, data } = await this.send("PATCH", `${this.base}/${this.active.id}`, { name });
    if (!ok) {
      this.error = errorBox(data);
      return;
    }
    this.renaming = false;
    await this.load();
  },

  async deleteGroup() {
    const group = this.active;
    if (!group || !window.confirm(interpolate(gettext("Delete the group %s?"), [group.name]))) return;
    const { ok, data } = await api.delete(`${this.base}/${group.id}`);
    if (!ok) this.error = errorBox(data);
    this.activeId = "";
    await this.load();
  },

  groupIndex(group) {
    return this.groups.findIndex((g) => g.id === group.id);
  },

  async moveGroup(delta) {
    const from = this.groupIndex(this.active);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= this.groups.length) return;
    this.groups = moved(this.groups, from, to);
    const { ok, data } = await api.post(`${this.base}/reorder`, { ids: this.groups.map((g) => g.id) });
    if (!ok) this.error = errorBox(data);
  },

  moveGroupLeft() {
    return this.moveGroup(-1);
  },

  moveGroupRight() {
    return this.moveGroup(1);
  },

  get groupFirst() {
    return this.groupIndex(this.active ?? {}) <= 0;
  },

  get groupLast() {
    return this.groupIndex(this.active ?? {}) === this.groups.length - 1;
  },

  // --- Items ---------------------------------------------------------------------------------------------
  async add(stock) {
    this.error = null;
    this.names[stock.stock_code] = stock.name;
    let group = this.active;
    if (!group) {
      const made = await api.post(this.base, { name: gettext("관심종목") });
      if (!made.ok) {
        this.error = errorBox(made.data);
        return;
      }
      group = made.data;
      this.activeId = String(group.id);
    }
    const { ok, data } = await api.post(`${this.base}/${group.id}/items`, { stock_code: stock.stock_code });
    if (!ok) this.error = errorBox(data);
    await this.load();
  },

  async remove(code) {
    const group = this.active;
    const { ok, data } = await api.delete(`${this.base}/${group.id}/items/${code}`);
    if (!ok) this.error = errorBox(data);
    await this.load();
  },

  /** Move a row by `delta` and keep the keyboard on the same row's button. */
  async move(code, delta) {
    const group = this.active;
    const items = group.items ?? [];
    const from = items.findIndex((item) => codeOf(item) === code);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= items.length) return;
    group.items = moved(items, from, to);
    const codes = group.items.map(codeOf);
    this.$nextTick(() => {
      const button = document.getElementById(`${delta < 0 ? "up" : "down"}-${code}`);
      (button && !button.disabled ? button : document.getElementById(`${delta < 0 ? "down" : "up"}-${code}`))?.focus();
    });
    const { ok, data } = await api.post(`${this.base}/${group.id}/reorder`, { codes });
    if (!ok) {
      this.error = errorBox(data);
      await this.load();
    }
  },

  moveUp(code) {
    return this.move(code, -1);
  },

  moveDown(code) {
    return this.move(code, 1);
  },

  /** PATCH, which stocklab.js's api has no shortcut for. */
  async send(method, url, body) {
    const headers = { Accept: "application/json", "Content-Type": "application/json" };
    headers["X-CSRFToken"] = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
    try {
      const response = await fetch(url, { method, headers, credentials: "same-origin", body: JSON.stringify(body) });
      const data = await response.json().catch(() => null);
      return { ok: response.ok, status: response.status, data: data ?? { detail: response.statusText } };
    } catch {
      return { ok: false, status: 0, data: { detail: gettext("StockLab could not be reached. Check your connection and try again.") } };
    }
  },
}));
