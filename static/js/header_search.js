/* The header's stock search: every listed stock by code, name or 초성; a choice opens its stock page. */
import { attachCombobox } from "./lib/search.js";
import { isDigitLedStockCode } from "./lib/stock_code.js";
import { gettext, interpolate } from "./stocklab.js";

const { ngettext } = window;

/** The search API's address, from the stock API's (`…/stocks/000000`: GET stocks/search?q=). */
export function searchUrl(stockApiUrl, query, limit = 20) {
  const base = stockApiUrl.replace(/000000$/, "search");
  return `${base}?${new URLSearchParams({ q: query, limit: String(limit) })}`;
}

/** Results of the search API, or null when it failed. Not through stocklab.js's `api`: a search answered 401
    (the session ended) must not take the user away from what they are typing; the page's own calls say so. */
export function stockSearch(stockApiUrl) {
  return async (query) => {
    try {
      const response = await fetch(searchUrl(stockApiUrl, query), { headers: { Accept: "application/json" }, credentials: "same-origin" });
      return response.ok ? (await response.json()).results : null;
    } catch {
      return null;
    }
  };
}

export const searchWords = {
  empty: gettext("No stock matches."),
  failed: gettext("The search is not available right now."),
  count: (n) => interpolate(ngettext("%s stock found; use the arrow keys to choose.", "%s stocks found; use the arrow keys to choose.", n), [n]),
};

for (const form of document.querySelectorAll("[data-stock-search]")) {
  const input = form.querySelector('[role="combobox"]');
  const { stockApiUrl, stockPageUrl } = form.dataset;
  attachCombobox({
    input,
    listbox: form.querySelector('[role="listbox"]'),
    status: form.querySelector("[data-search-status]"),
    search: stockSearch(stockApiUrl),
    words: searchWords,
    onPick: (stock) => {
      input.value = stock.name;
      window.location.assign(stockPageUrl.replace("000000", stock.stock_code));
    },
  });
  // Enter on a closed list: a code goes straight to its page. Only a digit-led one: listed codes, letters or
  // not (005930, 0000J0), start with a digit, while a six-letter word (NAVERS) is a name to search for.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = input.value.trim();
    if (isDigitLedStockCode(typed)) window.location.assign(stockPageUrl.replace("000000", typed));
  });
}
