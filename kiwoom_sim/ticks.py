"""The KRX tick grid and daily price limits (PROTOCOL.md 6.2, 6.3): plain arithmetic on whole won."""

from __future__ import annotations

LIMIT_RATE_PERCENT = 30  # KRX daily price limit, ± of the base price (PROTOCOL.md 6.3)

# KRX tick sizes since 2023-01-25 (PROTOCOL.md 6.2): (upper bound exclusive, tick).
_TICK_BANDS = ((2_000, 1), (5_000, 5), (20_000, 10), (50_000, 50), (200_000, 100), (500_000, 500))


def tick_size(price: int) -> int:
    for bound, tick in _TICK_BANDS:
        if price < bound:
            return tick
    return 1_000


def on_tick_grid(price: int) -> bool:
    return price > 0 and price % tick_size(price) == 0


def tick_up(price: int) -> int:
    return price + tick_size(price)


def floor_to_tick(value: int) -> int:
    tick = tick_size(value)
    return value // tick * tick


def ceil_to_tick(value: int) -> int:
    tick = tick_size(value)
    return -(-value // tick) * tick


def price_limits(base_price: int) -> tuple[int, int]:
    """Upper and lower daily limit for a base price, both on the tick grid."""
    upper = floor_to_tick(base_price * (100 + LIMIT_RATE_PERCENT) // 100)
    lower = ceil_to_tick(-(-base_price * (100 - LIMIT_RATE_PERCENT) // 100))
    return upper, max(lower, 1)
