"""The 10-level order book (호가) of a stock: the KRX tick grid around its price, with the simulator's resting
orders at their prices on top of a seeded crowd of other traders' quantities (PROTOCOL.md M3, M8.4).

`book_levels` is what ka10004 and the WebSocket `0D` frames show; both sides come best first.
"""

from __future__ import annotations

import zlib

from .book import BUY, SELL, Engine
from .market import Market, Stock
from .ticks import tick_size

DEPTH = 10
# The crowd's quantities change every this many walk steps (a book that moves, but not on every request).
REFRESH_STEPS = 5

Level = tuple[int, int]  # (price, quantity)


def book_levels(market: Market, engine: Engine, code: str) -> tuple[list[Level], list[Level]]:
    """Asks (lowest price first) and bids (highest first), up to 10 each, inside the daily limits.

    The best bid is the last price and the best ask one tick above it (the simulator's quote); each level
    holds the crowd's quantity plus the open quantity of the simulator's resting orders at that price.
    Raises KeyError for a code outside the universe.
    """
    stock = market.get(code)
    if stock is None:
        raise KeyError(code)
    resting = resting_quantities(engine, code)
    bucket = stock.step // REFRESH_STEPS
    asks: list[Level] = []
    price = stock.price + tick_size(stock.price)
    while len(asks) < DEPTH and price <= stock.upper:
        crowd = _crowd(market.seed, stock, price, bucket, len(asks))
        asks.append((price, crowd + resting[SELL].get(price, 0)))
        price += tick_size(price)
    bids: list[Level] = []
    price = stock.price
    while len(bids) < DEPTH and price >= stock.lower:
        crowd = _crowd(market.seed, stock, price, bucket, len(bids))
        bids.append((price, crowd + resting[BUY].get(price, 0)))
        price -= tick_size(price - 1)
    return asks, bids


def resting_quantities(engine: Engine, code: str) -> dict[str, dict[int, int]]:
    """Open quantity of the simulator's resting orders in `code`, by side and limit price."""
    by_side: dict[str, dict[int, int]] = {BUY: {}, SELL: {}}
    for order in engine.resting.get(code, ()):
        if order.open_qty > 0:
            prices = by_side[order.side]
            prices[order.limit] = prices.get(order.limit, 0) + order.open_qty
    return by_side


def _crowd(seed: int, stock: Stock, price: int, bucket: int, level: int) -> int:
    """Other traders' quantity at a level: about a few walk steps' volume, growing away from the touch."""
    noise = zlib.crc32(f"{seed}:{stock.code}:{price}:{bucket}".encode()) / 0xFFFFFFFF
    typical = max(stock.listing.step_volume, 1) * (3 + 2 * level)
    return max(1, int(typical * (0.25 + 1.5 * noise)))
