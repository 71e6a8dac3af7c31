/* StockLab's shared helpers: calling the JSON API with the session, formatting, the KRX tick grid. */
(function () {
  "use strict";

  const lang = (document.documentElement.lang || "ko").toLowerCase();
  const locale = lang.startsWith("en") ? "en-US" : "ko-KR";
  const KST = "Asia/Seoul";

  function meta(name) {
    const element = document.querySelector(`meta[name="${name}"]`);
    return element ? element.content : "";
  }

  /** Call the API; resolves to {ok, status, data}, never throws. Errors are always {code, detail, ...}. */
  async function request(method, url, { body, idempotencyKey } = {}) {
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
    } catch (error) {
      return {
        ok: false,
        status: 0,
        data: {
          code: "network_error",
          detail: gettext("StockLab could not be reached. Check your connection and try again."),
        },
      };
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    }
    if (!response.ok && !(data && data.code)) {
      data = {
        code: `http_${response.status}`,
        detail: interpolate(gettext("The server answered with an error (HTTP %s)."), [response.status]),
      };
    }
    if (response.status === 401) {
      // The session ended (logged out in another tab, or expired): back to the login page, then here.
      const next = encodeURIComponent(window.location.pathname + window.location.search);
      window.location.assign(`${meta("login-url")}?next=${next}`);
    }
    return { ok: response.ok, status: response.status, data };
  }

  const api = {
    get: (url) => request("GET", url),
    post: (url, body, options = {}) => request("POST", url, { body, ...options }),
    delete: (url) => request("DELETE", url),
  };

  /** A fresh idempotency key (crypto.randomUUID needs a secure context; getRandomValues does not). */
  function newIdempotencyKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // --- Formatting -------------------------------------------------------------------------------------
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const dateTime = new Intl.DateTimeFormat(locale, {
    timeZone: KST,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  const dayTime = new Intl.DateTimeFormat(locale, {
    timeZone: KST,
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });

  const format = {
    number: (n) => (n === null || n === undefined ? "–" : integer.format(n)),
    /** KRW with thousands separators and the unit, e.g. 1,234,000원. */
    won: (n) =>
      n === null || n === undefined
        ? "–"
        : `${n < 0 ? "-" : ""}${interpolate(gettext("₩%s"), [integer.format(Math.abs(n))])}`,
    /** A signed amount: +12,300원 / -4,500원. */
    signedWon: (n) => (n > 0 ? "+" : "") + format.won(n),
    shares: (n) => interpolate(ngettext("%s share", "%s shares", n), [integer.format(n)]),
    /** A percentage given as the API's decimal string ("-2.70"), signed. */
    rate: (value) => {
      const n = Number(value);
      if (!Number.isFinite(n)) return "–";
      const text = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
      return `${n > 0 ? "+" : ""}${text}%`;
    },
    percent: (value) => {
      const n = Number(value);
      return Number.isFinite(n)
        ? `${new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n)}%`
        : "–";
    },
    /** An ISO time as Korea time: 2025. 01. 02. 09:30:00 (KST). */
    dateTime: (iso) => (iso ? `${dateTime.format(new Date(iso))} KST` : "–"),
    /** Compact, for table cells: 01. 02. 09:30:00 (Korea time). */
    dayTime: (iso) => (iso ? dayTime.format(new Date(iso)) : "–"),
    /** Korean market convention: gains red, losses blue. */
    signClass: (n) => (Number(n) > 0 ? "gain" : Number(n) < 0 ? "loss" : "flat"),
  };

  // --- The KRX price grid (PROTOCOL.md 6.2; mirrors brokerage.kiwoom.market.tick_size) ----------------
  const TICK_BANDS = [
    [2000, 1],
    [5000, 5],
    [20000, 10],
    [50000, 50],
    [200000, 100],
    [500000, 500],
  ];
  const market = {
    tickSize(price) {
      for (const [upper, tick] of TICK_BANDS) if (price < upper) return tick;
      return 1000;
    },
    isOnTick(price) {
      return price > 0 && price % market.tickSize(price) === 0;
    },
    /** The nearest prices on the grid below and above `price` (equal when it is on the grid). */
    neighbours(price) {
      // Every band boundary is a multiple of the next band's tick, so rounding up never leaves the grid.
      const tick = market.tickSize(price);
      return [Math.floor(price / tick) * tick, Math.ceil(price / tick) * tick];
    },
  };

  // Names of common KRX stocks (the simulator's universe), for the order ticket's lookup.
  const STOCK_NAMES = {
    "005930": "삼성전자",
    "000660": "SK하이닉스",
    "035420": "NAVER",
    "035720": "카카오",
    "005380": "현대차",
    "000270": "기아",
    "068270": "셀트리온",
    "105560": "KB금융",
    "373220": "LG에너지솔루션",
    "323410": "카카오뱅크",
    "003280": "흥아해운",
    "051910": "LG화학",
    "006400": "삼성SDI",
    "207940": "삼성바이오로직스",
    "012330": "현대모비스",
    "055550": "신한지주",
    "028260": "삼성물산",
    "066570": "LG전자",
    "096770": "SK이노베이션",
    "017670": "SK텔레콤",
    "030200": "KT",
    "015760": "한국전력",
    "086790": "하나금융지주",
    "009150": "삼성전기",
    "011200": "HMM",
    "005490": "POSCO홀딩스",
  };

  // --- DOM helpers ------------------------------------------------------------------------------------
  /** Create an element: el("td", {class: "num", text: "1"}, child, ...). */
  function el(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") element.textContent = value;
      else if (name === "class") element.className = value;
      else if (name === "dataset") Object.assign(element.dataset, value);
      else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) {
        element.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return element;
  }

  /** An error box for an API error: its detail, and Kiwoom's own code and message when there are any. */
  function errorBox(error, { title, extra } = {}) {
    const box = el("div", { class: "notice notice--error", role: "alert" });
    if (title) box.append(el("p", { class: "notice__title", text: title }));
    box.append(el("p", { text: error.detail }));
    // Kiwoom's own words, unless the detail already quotes them; its code helps support.
    const quoted = error.kiwoom_message && String(error.detail).includes(error.kiwoom_message);
    if (error.kiwoom_message && !quoted) {
      box.append(
        el("p", {
          class: "notice__kiwoom",
          text: interpolate(gettext("Kiwoom said: %(message)s (code %(code)s)"), {
            message: error.kiwoom_message,
            code: error.kiwoom_code || "–",
          }, true),
        }),
      );
    } else if (error.kiwoom_code) {
      box.append(el("p", { class: "notice__kiwoom", text: interpolate(gettext("Kiwoom's code: %s"), [error.kiwoom_code]) }));
    }
    if (extra) box.append(extra);
    return box;
  }

  /** Field errors of an `invalid_input` answer, written into `<ul id="{prefix}{field}-error">` lists. */
  function showFieldErrors(form, errors) {
    form.querySelectorAll(".field__errors").forEach((list) => list.replaceChildren());
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    let shown = false;
    for (const [field, messages] of Object.entries(errors || {})) {
      const input = form.querySelector(`[name="${field}"]`);
      const list = input && document.getElementById(input.getAttribute("aria-describedby")?.split(" ")[0] || "");
      if (!input || !list) continue;
      input.setAttribute("aria-invalid", "true");
      list.replaceChildren(...messages.map((message) => el("li", { text: message })));
      shown = true;
    }
    return shown;
  }

  /** Close buttons (`data-close`) of every dialog; the backdrop click closes too. */
  function wireDialogs() {
    document.querySelectorAll("dialog").forEach((dialog) => {
      dialog.querySelectorAll("[data-close]").forEach((button) =>
        button.addEventListener("click", () => dialog.close("cancel")),
      );
      dialog.addEventListener("click", (event) => {
        if (event.target === dialog) dialog.close("cancel");
      });
    });
  }

  function readJson(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  document.addEventListener("DOMContentLoaded", wireDialogs);

  /** Each body cell of a card table gets its column's name (data-label), which phones show beside it. */
  function labelCells(table) {
    const names = [...table.tHead.rows[0].cells].map((cell) => cell.textContent.trim());
    for (const row of table.tBodies[0].rows) {
      [...row.cells].forEach((cell, i) => {
        if (names[i]) cell.dataset.label = names[i];
      });
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    for (const table of document.querySelectorAll("table.data-table--cards")) {
      new MutationObserver(() => labelCells(table)).observe(table.tBodies[0], { childList: true });
    }
  });

  window.StockLab = { api, newIdempotencyKey, format, market, STOCK_NAMES, el, errorBox, showFieldErrors, readJson, locale };
})();
