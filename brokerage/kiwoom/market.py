"""KRX price grid (호가가격단위) for stocks on KOSPI, KOSDAQ and KONEX, in force since 2023-01-25.

ETFs, ETNs and ELWs trade on a 5-won grid instead; this module covers ordinary stocks only.
"""

from __future__ import annotations

import re

# A KRX short code: six digits or capital letters (005930; 0000J0 is an ETN). Every layer that takes a code
# (URLs, serializers, the client's arguments) checks it with this one rule.
STOCK_CODE_PATTERN = "[0-9A-Z]{6}"
STOCK_CODE_RE = re.compile(STOCK_CODE_PATTERN)
# Price fields on the wire hold at most ten digits (Kiwoom answers 1517 "최대 길이(10)" beyond).
MAX_PRICE = 10**10 - 1

__all__ = ["is_on_tick", "tick_bands", "tick_size"]

# (upper bound exclusive, tick) in ascending order; prices at or above the last bound use 1,000 won.
_BANDS: tuple[tuple[int, int], ...] = (
    (2_000, 1),
    (5_000, 5),
    (20_000, 10),
    (50_000, 50),
    (200_000, 100),
    (500_000, 500),
)
_TOP_TICK = 1_000


def _check_price(price: int) -> None:
    if isinstance(price, bool) or not isinstance(price, int):
        raise TypeError("price must be an int (KRW)")
    if price <= 0:
        raise ValueError("price must be positive")


def tick_size(price: int) -> int:
    """The price step at `price`: 1 below 2,000; 5 to 5,000; 10 to 20,000; 50 to 50,000; 100 to 200,000;
    500 to 500,000; 1,000 from 500,000 (each band includes its lower bound)."""
    _check_price(price)
    for upper, tick in _BANDS:
        if price < upper:
            return tick
    return _TOP_TICK


def is_on_tick(price: int) -> bool:
    """True when `price` is a valid limit price on the grid (Kiwoom's mock rejects others with RC4003)."""
    return price % tick_size(price) == 0


def tick_bands() -> tuple[tuple[int, int | None, int], ...]:
    """The grid as (lowest price, price where the band ends (exclusive; None for the top band), tick)."""
    lowers = (1, *(upper for upper, _ in _BANDS))
    uppers = (*(upper for upper, _ in _BANDS), None)
    ticks = (*(tick for _, tick in _BANDS), _TOP_TICK)
    return tuple(zip(lowers, uppers, ticks, strict=True))
