/* 나의 잔고: summary cards, sortable holdings, allocation and P&L charts, auto-refresh. */
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  const { api, el, errorBox, format } = window.StockLab;

  const root = document.getElementById("balance-root");
  const statusBox = document.getElementById("balance-status");
  const content = document.getElementById("balance-content");
  const cards = document.getElementById("summary-cards");
  const empty = document.getElementById("holdings-empty");
  const holdingsSection = document.getElementById("holdings-section");
  const tbody = document.getElementById("holdings-body");
  const table = document.getElementById("holdings-table");
  const fetchedAt = document.getElementById("fetched-at");
  const refreshButton = document.getElementById("refresh");
  const autoSwitch = document.getElementById("auto-refresh");
  const intervalSelect = document.getElementById("refresh-interval");

  const GAIN = "#d32f2f";
  const LOSS = "#1565c0";
  const FLAT = "#8a8f98";
  const PALETTE = ["#5b21b6", "#0f766e", "#c2410c", "#be185d", "#4d7c0f", "#0369a1", "#a16207", "#6d28d9", "#b91c1c", "#475569"];

  let data = null;
  let sort = { key: "weight", direction: "descending" };
  let loading = false;
  let timer = null;
  const charts = {};

  // --- Loading -------------------------------------------------------------------------------------------
  async function load() {
    if (loading) return;
    loading = true;
    root.setAttribute("aria-busy", "true");
    refreshButton.disabled = true;
    if (data) fetchedAt.textContent = gettext("Refreshing…");
    const response = await api.get(root.dataset.balanceUrl);
    loading = false;
    root.setAttribute("aria-busy", "false");
    refreshButton.disabled = false;
    if (response.ok) {
      data = response.data;
      statusBox.replaceChildren();
      render();
      return;
    }
    showError(response);
  }

  function showError({ status, data: error }) {
    if (status === 409 && error.code === "kiwoom_not_connected") {
      stopAuto();
      content.hidden = true;
      data = null;
      fetchedAt.textContent = gettext("Not fetched yet");
      statusBox.replaceChildren(
        el(
          "div",
          { class: "card empty-state" },
          el("h2", { text: gettext("Kiwoom is not connected") }),
          el("p", { text: error.detail }),
          el("p", {}, el("a", { class: "btn btn--primary", href: root.dataset.homeUrl, text: gettext("Connect your brokerage") })),
        ),
      );
      return;
    }
    const retry = el("button", { type: "button", class: "btn btn--small", text: gettext("Try again"), onclick: load });
    statusBox.replaceChildren(
      errorBox(error, {
        title: data ? gettext("Could not refresh; the figures below are from the last successful fetch.") : gettext("Could not load your balance"),
        extra: el("p", {}, retry),
      }),
    );
    if (data) fetchedAt.textContent = interpolate(gettext("Fetched at %s"), [format.dateTime(data.fetched_at)]);
  }

  // --- Rendering -----------------------------------------------------------------------------------------
  function render() {
    content.hidden = false;
    fetchedAt.textContent = interpolate(gettext("Fetched at %s"), [format.dateTime(data.fetched_at)]);
    renderSummary(data.summary);
    const hasHoldings = data.holdings.length > 0;
    empty.hidden = hasHoldings;
    holdingsSection.hidden = !hasHoldings;
    if (hasHoldings) {
      renderTable();
      renderCharts();
    }
  }

  function renderSummary(summary) {
    const items = [
      [gettext("Estimated deposit assets"), format.won(summary.estimated_deposit_asset), ""],
      [gettext("Total evaluation"), format.won(summary.total_evaluation), ""],
      [gettext("Total P&L"), format.signedWon(summary.total_profit_loss), format.signClass(summary.total_profit_loss)],
      [gettext("Return"), format.rate(summary.total_return_rate), format.signClass(summary.total_return_rate)],
      [gettext("Deposit"), format.won(summary.deposit), ""],
      [gettext("Orderable amount"), format.won(summary.orderable_amount), ""],
    ];
    cards.replaceChildren(
      ...items.map(([label, value, tone]) =>
        el("div", { class: "card summary-card" }, el("p", { class: "summary-card__label", text: label }), el("p", { class: `summary-card__value ${tone}`, text: value })),
      ),
    );
  }

  function sortedHoldings() {
    const { key, direction } = sort;
    const factor = direction === "ascending" ? 1 : -1;
    const numeric = !["stock_code", "name"].includes(key);
    const collator = new Intl.Collator(window.StockLab.locale);
    return [...data.holdings].sort((a, b) => {
      const order = numeric ? Number(a[key]) - Number(b[key]) : collator.compare(a[key], b[key]);
      return order * factor || a.stock_code.localeCompare(b.stock_code);
    });
  }

  function renderTable() {
    const orderUrl = root.dataset.orderUrl;
    tbody.replaceChildren(
      ...sortedHoldings().map((h) => {
        const tone = format.signClass(h.profit_loss);
        return el(
          "tr",
          { dataset: { code: h.stock_code } },
          el("td", { class: "mono", text: h.stock_code }),
          el("th", { scope: "row", class: "nowrap", text: h.name }),
          el("td", { class: "num", text: format.number(h.quantity) }),
          el("td", { class: "num", text: format.won(h.average_price) }),
          el("td", { class: "num", text: format.won(h.current_price) }),
          el("td", { class: "num", text: format.won(h.evaluation_amount) }),
          el("td", { class: `num ${tone}`, text: format.signedWon(h.profit_loss) }),
          el("td", { class: `num ${format.signClass(h.return_rate)}`, text: format.rate(h.return_rate) }),
          el("td", { class: "num", text: format.percent(h.weight) }),
          el(
            "td",
            { class: "row-actions" },
            el("a", {
              class: "btn btn--small btn--buy",
              href: `${orderUrl}?side=buy&code=${h.stock_code}`,
              text: gettext("Buy"),
              "aria-label": interpolate(gettext("Buy %s"), [h.name]),
            }),
            el("a", {
              class: "btn btn--small btn--sell",
              href: `${orderUrl}?side=sell&code=${h.stock_code}`,
              text: gettext("Sell"),
              "aria-label": interpolate(gettext("Sell %s"), [h.name]),
            }),
          ),
        );
      }),
    );
    table.querySelectorAll("th[aria-sort]").forEach((th) => {
      const key = th.querySelector("button").dataset.sort;
      th.setAttribute("aria-sort", key === sort.key ? sort.direction : "none");
    });
  }

  table.querySelectorAll("button[data-sort]").forEach((button) =>
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      const textual = ["stock_code", "name"].includes(key);
      if (sort.key === key) sort.direction = sort.direction === "ascending" ? "descending" : "ascending";
      else sort = { key, direction: textual ? "ascending" : "descending" };
      renderTable();
    }),
  );

  function renderCharts() {
    if (typeof window.Chart !== "function") return;
    const holdings = [...data.holdings].sort((a, b) => b.evaluation_amount - a.evaluation_amount);
    const labels = holdings.map((h) => h.name);
    const font = { family: getComputedStyle(document.body).fontFamily };
    window.Chart.defaults.font.family = font.family;

    const allocation = {
      labels,
      datasets: [{ data: holdings.map((h) => h.evaluation_amount), backgroundColor: holdings.map((_, i) => PALETTE[i % PALETTE.length]), borderWidth: 1 }],
    };
    const pnl = {
      labels,
      datasets: [{
        data: holdings.map((h) => h.profit_loss),
        backgroundColor: holdings.map((h) => (h.profit_loss > 0 ? GAIN : h.profit_loss < 0 ? LOSS : FLAT)),
      }],
    };
    const narrow = narrowScreen.matches;
    const total = holdings.reduce((sum, h) => sum + h.evaluation_amount, 0) || 1;
    const share = (value) => format.percent(((value / total) * 100).toFixed(2));

    drawChart("allocation", "allocation-chart", {
      type: "doughnut",
      data: allocation,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { position: narrow ? "bottom" : "right", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (ctx) => `${ctx.label}: ${format.won(ctx.parsed)} (${share(ctx.parsed)})` } },
        },
      },
    });
    drawChart("pnl", "pnl-chart", {
      type: "bar",
      data: pnl,
      options: {
        animation: false,
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => format.signedWon(ctx.parsed.x) } } },
        scales: { x: { ticks: { callback: (value) => format.number(value) } } },
      },
    });
    document.getElementById("allocation-chart").setAttribute(
      "aria-label",
      `${gettext("Allocation by holding")}: ${holdings.map((h) => `${h.name} ${share(h.evaluation_amount)}`).join(", ")}`,
    );
    document.getElementById("pnl-chart").setAttribute(
      "aria-label",
      `${gettext("Profit and loss by holding")}: ${holdings.map((h) => `${h.name} ${format.signedWon(h.profit_loss)}`).join(", ")}`,
    );
  }

  // The allocation legend goes under the doughnut on narrow screens.
  const narrowScreen = window.matchMedia("(max-width: 640px)");
  narrowScreen.addEventListener("change", () => {
    if (!charts.allocation) return;
    charts.allocation.options.plugins.legend.position = narrowScreen.matches ? "bottom" : "right";
    charts.allocation.update("none");
  });

  function drawChart(name, canvasId, config) {
    if (charts[name]) {
      charts[name].data = config.data;
      charts[name].update("none");
    } else {
      charts[name] = new window.Chart(document.getElementById(canvasId), config);
    }
  }

  // --- Refresh controls ----------------------------------------------------------------------------------
  const STORAGE_KEY = "stocklab.balance.refresh";
  function savePreferences() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ auto: autoSwitch.checked, interval: intervalSelect.value }));
    } catch (error) {
      /* private mode: preferences are simply not remembered */
    }
  }
  function restorePreferences() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      if (saved) {
        autoSwitch.checked = Boolean(saved.auto);
        if ([...intervalSelect.options].some((o) => o.value === saved.interval)) intervalSelect.value = saved.interval;
      }
    } catch (error) {
      /* ignore unreadable preferences */
    }
  }

  function stopAuto() {
    clearInterval(timer);
    timer = null;
  }
  function applyAuto() {
    stopAuto();
    if (autoSwitch.checked) {
      timer = setInterval(() => {
        if (!document.hidden) load();
      }, Number(intervalSelect.value) * 1000);
    }
  }

  refreshButton.addEventListener("click", load);
  autoSwitch.addEventListener("change", () => {
    savePreferences();
    applyAuto();
  });
  intervalSelect.addEventListener("change", () => {
    savePreferences();
    applyAuto();
  });

  restorePreferences();
  applyAuto();
  load();
});
