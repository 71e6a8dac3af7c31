/* The stock page's order ticket as pure functions: tick steps, quantities, the estimate and the checks made
   before the confirmation. The grid (`market`, lib/market.js) and every rate and limit come from the server. */

/** A whole number typed as digits only ("1e5" and "1.5" are not), or null. */
export function wholeNumber(text) {
  const trimmed = String(text ?? "").trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/** The price `steps` ticks away on the KRX grid (negative: down); an off-grid price first snaps to the grid
    in the direction of the step. Never below the lowest tick. */
export function stepPrice(price, steps, market) {
  let current = Math.max(Number(price) || 0, 0);
  if (current === 0) return steps > 0 ? market.tickSize(1) : 0;
  const [below, above] = market.neighbours(current);
  let remaining = steps;
  if (below !== above) {
    current = steps > 0 ? above : below;
    remaining -= Math.sign(steps);
  }
  for (; remaining > 0; remaining -= 1) current += market.tickSize(current);
  for (; remaining < 0; remaining += 1) {
    // The step below a band's first price is the lower band's tick.
    const down = market.tickSize(current - 1);
    current = Math.max(current - down, down);
  }
  return current;
}

/** A share of the maximum quantity (10/25/50/100 %), rounded down, at least 1 when any is possible. */
export function quantityAtPercent(maximum, percent) {
  const max = Math.max(0, Math.floor(Number(maximum) || 0));
  if (max === 0) return 0;
  return Math.max(1, Math.floor((max * percent) / 100));
}

/** What an order costs or brings in: the amount, commission (both sides), tax (sales), and the total
    (a buy pays amount + commission; a sale receives amount - commission - tax). The rates and the rounding
    rule are the server's (the orderable answer: commission floored to `commissionUnit` won, at least
    `commissionMinimum`; tax floored to `taxUnit` won); none is kept here. */
export function estimate({ side, quantity, price, commissionRate = 0, taxRate = 0, commissionUnit = 1, commissionMinimum = 0, taxUnit = 1 }) {
  const amount = quantity > 0 && price > 0 ? quantity * price : 0;
  const commission = amount > 0 ? Math.max(floorTo(amount * Number(commissionRate || 0), commissionUnit), commissionMinimum) : 0;
  const tax = side === "sell" ? floorTo(amount * Number(taxRate || 0), taxUnit) : 0;
  const total = side === "sell" ? amount - commission - tax : amount + commission;
  return { amount, commission, tax, total };
}

// Rates are decimals (0.00015): 700,000 x 0.00015 is 104.99999999999999 in floating point, 105 won in fact.
function floorTo(value, unit) {
  const won = Math.floor(value + 1e-6);
  const step = Math.max(1, Math.floor(Number(unit) || 1));
  return won - (won % step);
}

/** The server's cost rule from its orderable answer, as `estimate` takes it (zero rates without one). */
export function costRule(orderable) {
  return {
    commissionRate: Number(orderable?.commission_rate ?? 0),
    taxRate: Number(orderable?.tax_rate ?? 0),
    commissionUnit: Number(orderable?.commission_unit ?? 1),
    commissionMinimum: Number(orderable?.commission_minimum ?? 0),
    taxUnit: Number(orderable?.tax_unit ?? 1),
  };
}

/** The most shares `cash` buys at `price` with commission, when the server gave no maximum. */
export function maxBuyable({ cash, price, ...rule }) {
  if (!(cash > 0 && price > 0)) return 0;
  let quantity = Math.floor(cash / (price * (1 + Number(rule.commissionRate || 0))));
  const cost = (shares) => estimate({ side: "buy", quantity: shares, price, ...rule }).total;
  while (quantity > 0 && cost(quantity) > cash) quantity -= 1;
  // Commission floored to a unit can let one more share in than the plain rate says.
  while (cost(quantity + 1) <= cash) quantity += 1;
  return quantity;
}

/** The most shares the orderable answer lets the user buy at `price`: the server's `max_quantity` (kt00011's
    cash quantity, which may leave the commission out) held to what the orderable cash pays for with the
    server's cost rule, so that the first figure and every later one agree. Null without an answer. */
export function buyableQuantity(orderable, price) {
  if (!orderable) return null;
  const server = Number.isFinite(orderable.max_quantity) ? orderable.max_quantity : Infinity;
  const cash = orderable.orderable_cash;
  if (!(Number.isFinite(cash) && price > 0)) return Number.isFinite(server) ? server : null;
  return Math.min(server, maxBuyable({ cash, price, ...costRule(orderable) }));
}

/**
 * The checks made before the confirmation: a list of {field, code, values}, empty when the ticket may go on.
 * `unitPrice` is the limit price, or the current price for a market order; `band` is {lower, upper};
 * `orderable` is the server's answer ({max_quantity, orderable_cash, sellable_quantity, ...}) or null;
 * `limits` is {max_quantity, max_value}. Missing facts are not checked (the server still is).
 */
export function ticketChecks({ side, quantityText, priceText, requiresPrice, unitPrice, market, band, orderable, limits, rates = {} }) {
  const problems = [];
  const quantity = wholeNumber(quantityText);
  if (quantity === null || quantity < 1) problems.push({ field: "quantity", code: "quantity_invalid", values: {} });

  let price = unitPrice;
  if (requiresPrice) {
    price = wholeNumber(priceText);
    if (price === null || price < 1) {
      problems.push({ field: "price", code: "price_invalid", values: {} });
      price = null;
    } else if (!market.isOnTick(price)) {
      const [below, above] = market.neighbours(price);
      problems.push({ field: "price", code: "price_off_tick", values: { tick: market.tickSize(price), below, above } });
    } else if (band?.lower && band?.upper && (price < band.lower || price > band.upper)) {
      problems.push({ field: "price", code: "price_out_of_band", values: { price, lower: band.lower, upper: band.upper } });
    }
  }
  if (quantity === null || quantity < 1) return problems;

  if (limits?.max_quantity && quantity > limits.max_quantity) {
    problems.push({ field: "quantity", code: "over_quantity_limit", values: { quantity, limit: limits.max_quantity } });
  }
  if (price > 0 && limits?.max_value && quantity * price > limits.max_value) {
    problems.push({ field: "quantity", code: "over_value_limit", values: { value: quantity * price, limit: limits.max_value } });
  }
  if (!orderable) return problems;
  if (side === "buy") {
    const cost = price > 0 ? estimate({ side, quantity, price, ...rates }).total : 0;
    const cash = orderable.orderable_cash;
    const max = buyableQuantity(orderable, price) ?? 0;
    if (Number.isFinite(cash) && cost > cash) {
      problems.push({ field: "quantity", code: "over_cash", values: { cost, cash, max } });
    } else if (Number.isFinite(orderable.max_quantity) && quantity > max) {
      problems.push({ field: "quantity", code: "over_max_buyable", values: { quantity, max } });
    }
  } else {
    const sellable = orderable.sellable_quantity;
    if (Number.isFinite(sellable) && sellable <= 0) {
      problems.push({ field: "quantity", code: "nothing_to_sell", values: {} });
    } else if (Number.isFinite(sellable) && quantity > sellable) {
      problems.push({ field: "quantity", code: "over_sellable", values: { quantity, sellable } });
    }
  }
  return problems;
}

/** Each order-book level's bar as a share (0-100) of the largest quantity on the book. */
export function bookBars(asks, bids) {
  const largest = Math.max(1, ...asks.map((l) => l.quantity), ...bids.map((l) => l.quantity));
  const bar = (level) => ({ ...level, bar: Math.round((level.quantity / largest) * 100) });
  return { asks: asks.map(bar), bids: bids.map(bar) };
}
