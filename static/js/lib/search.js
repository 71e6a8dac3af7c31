/* Stock search as an ARIA 1.2 combobox (an input with a list box popup): typing asks the server, arrows move
   through the results, Enter picks, Escape closes (then clears). Used by the header and by the order tickets.
   The key and text logic are pure functions; `attachCombobox` wires them to the DOM. */

/** The option after `active` moving by `delta` among `count`, wrapping around; -1 (none) when empty. */
export function nextIndex(active, delta, count) {
  if (count <= 0) return -1;
  if (active < 0) return delta > 0 ? 0 : count - 1;
  return (((active + delta) % count) + count) % count;
}

/** What a key does in the combobox: "next", "previous", "first", "last", "pick", "close", "clear", or null
    (the input keeps the key). */
export function keyIntent(key, { open, count, active }) {
  switch (key) {
    case "ArrowDown":
      return count > 0 ? "next" : null;
    case "ArrowUp":
      return count > 0 && open ? "previous" : null;
    case "Home":
      return open && count > 0 && active >= 0 ? "first" : null;
    case "End":
      return open && count > 0 && active >= 0 ? "last" : null;
    case "Enter":
      return open && count > 0 ? "pick" : null;
    case "Escape":
      return open ? "close" : "clear";
    default:
      return null;
  }
}

/** `text` cut into [{text, match}] pieces around the first occurrence of `query` (any case); names found by
    their 초성 have no occurrence and come back whole. */
export function highlight(text, query) {
  const needle = query.trim().toLowerCase();
  const at = needle ? text.toLowerCase().indexOf(needle) : -1;
  if (at < 0) return [{ text, match: false }];
  const pieces = [
    { text: text.slice(0, at), match: false },
    { text: text.slice(at, at + needle.length), match: true },
    { text: text.slice(at + needle.length), match: false },
  ];
  return pieces.filter((piece) => piece.text);
}

/** Numbers each request so that an answer overtaken by a later one is dropped. */
export function createLatest() {
  let counter = 0;
  return { next: () => ++counter, isLatest: (ticket) => ticket === counter };
}

/**
 * Makes `input` (role="combobox", aria-controls naming `listbox`) an autocomplete. `search(query)` resolves to
 * the results ([{stock_code, name, market, warnings}]) or null (failed); `onPick(result)` is called on a choice.
 * `words` gives the texts: {empty, failed, count(n)}; `status` (optional) is a polite live region.
 */
export function attachCombobox({ input, listbox, status = null, search, onPick, words, delayMs = 150, minLength = 1 }) {
  const latest = createLatest();
  let results = [];
  let active = -1;
  let timer = null;
  let query = "";

  const isOpen = () => input.getAttribute("aria-expanded") === "true";
  const setOpen = (open) => {
    input.setAttribute("aria-expanded", open ? "true" : "false");
    listbox.hidden = !open;
  };
  const say = (text) => {
    if (status) status.textContent = text;
  };
  const optionId = (i) => `${listbox.id}-option-${i}`;

  function setActive(index) {
    active = index;
    for (const [i, option] of [...listbox.querySelectorAll('[role="option"]')].entries()) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      if (i === index) option.scrollIntoView?.({ block: "nearest" });
    }
    if (index >= 0) input.setAttribute("aria-activedescendant", optionId(index));
    else input.removeAttribute("aria-activedescendant");
  }

  function option(result, i) {
    const item = document.createElement("li");
    item.id = optionId(i);
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    item.className = "combobox__option";
    item.dataset.code = result.stock_code;
    const name = document.createElement("span");
    name.className = "combobox__name";
    for (const piece of highlight(result.name, query)) {
      const part = document.createElement(piece.match ? "mark" : "span");
      part.textContent = piece.text;
      name.append(part);
    }
    const meta = document.createElement("span");
    meta.className = "combobox__meta";
    meta.textContent = [result.stock_code, result.market].filter(Boolean).join(" · ");
    item.append(name, meta);
    for (const warning of result.warnings ?? []) {
      const badge = document.createElement("span");
      badge.className = "badge badge--warn";
      badge.textContent = warning;
      item.append(badge);
    }
    // mousedown, not click: the input must not lose focus (and close the list) first.
    item.addEventListener("mousedown", (event) => {
      event.preventDefault();
      pick(i);
    });
    return item;
  }

  function render(message = "") {
    listbox.replaceChildren(...results.map(option));
    if (message) {
      const note = document.createElement("li");
      note.className = "combobox__note";
      note.setAttribute("role", "presentation");
      note.textContent = message;
      listbox.append(note);
    }
    setActive(-1);
    setOpen(Boolean(query));
  }

  async function run() {
    const ticket = latest.next();
    const asked = query;
    const answer = await search(asked);
    if (!latest.isLatest(ticket) || asked !== query) return;
    if (answer === null) {
      results = [];
      render(words.failed);
      say(words.failed);
      return;
    }
    results = answer;
    render(results.length ? "" : words.empty);
    say(results.length ? words.count(results.length) : words.empty);
  }

  function close() {
    setOpen(false);
    setActive(-1);
  }

  function pick(index) {
    const result = results[index];
    if (!result) return;
    close();
    onPick(result);
  }

  input.addEventListener("input", () => {
    query = input.value.trim();
    window.clearTimeout(timer);
    if (query.length < minLength) {
      latest.next(); // an answer on its way is for text no longer there
      results = [];
      close();
      return;
    }
    timer = window.setTimeout(run, delayMs);
  });

  input.addEventListener("keydown", (event) => {
    // A composing IME (Korean) uses Enter and the arrows itself.
    if (event.isComposing) return;
    const intent = keyIntent(event.key, { open: isOpen(), count: results.length, active });
    if (!intent) return;
    event.preventDefault();
    if (intent === "next" || intent === "previous") {
      if (!isOpen()) setOpen(true);
      setActive(nextIndex(active, intent === "next" ? 1 : -1, results.length));
    } else if (intent === "first") setActive(0);
    else if (intent === "last") setActive(results.length - 1);
    else if (intent === "pick") pick(Math.max(active, 0));
    else if (intent === "close") close();
    else if (intent === "clear" && input.value) {
      input.value = "";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });

  input.addEventListener("blur", () => close());
  input.addEventListener("focus", () => {
    if (results.length && input.value.trim() === query) setOpen(true);
  });

  return { close, get results() { return results; } };
}
