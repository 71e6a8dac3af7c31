/* The KRX price grid, as the server sends it: [{from_price, to_price (exclusive, null at the top), tick}]. */

export function createMarket(bands) {
  const market = {
    /** The price step at `price` (a positive whole number of won). */
    tickSize(price) {
      const band = bands.find((b) => price >= b.from_price && (b.to_price === null || price < b.to_price));
      return band ? band.tick : bands[0].tick;
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
  return market;
}
