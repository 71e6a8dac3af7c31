"""Simulated KRX market: a small universe of real names, the tick grid, daily limits and a seeded random walk.

Prices move in whole ticks, one walk step per `step_seconds` of simulator time. Steps are computed lazily
(when a request or the background ticker asks), so jumping the clock forward replays the skipped steps; a run
with the same seed and the same sequence of calls and clock moves therefore sees the same prices.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import KST, SimClock


@dataclass(frozen=True)
class Listing:
    """A stock of the universe: code, Korean name, starting price and average shares traded per walk step."""

    code: str
    name: str
    base_price: int
    step_volume: int


UNIVERSE: tuple[Listing, ...] = (
    Listing("005930", "삼성전자", 71_500, 600),
    Listing("000660", "SK하이닉스", 176_000, 120),
    Listing("035420", "NAVER", 201_000, 30),
    Listing("035720", "카카오", 41_350, 80),
    Listing("005380", "현대차", 215_500, 25),
    Listing("000270", "기아", 98_700, 50),
    Listing("068270", "셀트리온", 178_300, 30),
    Listing("105560", "KB금융", 84_600, 40),
    Listing("373220", "LG에너지솔루션", 362_500, 10),
    Listing("323410", "카카오뱅크", 21_850, 60),
    Listing("003280", "흥아해운", 1_790, 200),
    # More large caps, so that an account can hold more than one kt00018 page (20 rows).
    Listing("051910", "LG화학", 310_500, 10),
    Listing("006400", "삼성SDI", 285_000, 10),
    Listing("207940", "삼성바이오로직스", 1_012_000, 3),
    Listing("012330", "현대모비스", 245_500, 10),
    Listing("055550", "신한지주", 52_300, 40),
    Listing("028260", "삼성물산", 138_200, 15),
    Listing("066570", "LG전자", 78_400, 30),
    Listing("096770", "SK이노베이션", 112_300, 20),
    Listing("017670", "SK텔레콤", 55_600, 20),
    Listing("030200", "KT", 41_250, 30),
    Listing("015760", "한국전력", 22_350, 80),
    Listing("086790", "하나금융지주", 61_800, 30),
    Listing("009150", "삼성전기", 131_400, 15),
    Listing("011200", "HMM", 21_550, 100),
    Listing("005490", "POSCO홀딩스", 318_000, 10),
)

LIMIT_RATE_PERCENT = 30  # KRX daily price limit, ± of the base price (PROTOCOL.md 6.3)

# KRX tick sizes since 2023-01-25 (PROTOCOL.md 6.2): (upper bound exclusive, tick).
_TICK_BANDS = ((2_000, 1), (5_000, 5), (20_000, 10), (50_000, 50), (200_000, 100), (500_000, 500))

# Replaying more steps than this after a large clock jump would cost seconds; older steps are skipped.
MAX_CATCHUP_STEPS = 100_000


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


@dataclass
class Stock:
    """Live state of one listing for the current simulated day."""

    listing: Listing
    rng: random.Random
    price: int
    base_price: int
    open: int
    high: int
    low: int
    volume: int
    upper: int
    lower: int
    step: int
    day_end_step: int
    pinned: bool = False
    # Shares still available at the current price for simulated orders; None means unlimited.
    liquidity: int | None = None

    @property
    def code(self) -> str:
        return self.listing.code

    @property
    def name(self) -> str:
        return self.listing.name

    @property
    def ask(self) -> int:
        return min(tick_up(self.price), self.upper)

    @property
    def bid(self) -> int:
        return self.price


# Called for a stock at a walk step where its price reached a watched level (resting orders may fill).
StepCallback = Callable[[Stock, int], None]
# Per code: call back when price <= first value or price >= second value (None = never).
Watch = tuple[int | None, int | None]


class Market:
    """The universe's prices on the simulator clock."""

    def __init__(
        self, seed: int, clock: SimClock, step_seconds: float = 1.0, move_prob: float = 0.05
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.step_seconds = step_seconds
        self.move_prob = move_prob
        step = self.current_step()
        self.stocks: dict[str, Stock] = {}
        for listing in UNIVERSE:
            upper, lower = price_limits(listing.base_price)
            price = listing.base_price
            self.stocks[listing.code] = Stock(
                listing=listing,
                rng=random.Random(f"{seed}:{listing.code}"),
                price=price,
                base_price=price,
                open=price,
                high=price,
                low=price,
                volume=0,
                upper=upper,
                lower=lower,
                step=step,
                day_end_step=self._day_end_step(step),
                liquidity=listing.step_volume,
            )

    def get(self, code: str) -> Stock | None:
        return self.stocks.get(code)

    def current_step(self) -> int:
        return int(self.clock.timestamp() // self.step_seconds)

    def step_time(self, step: int) -> datetime:
        return datetime.fromtimestamp(step * self.step_seconds, KST)

    def _day_end_step(self, step: int) -> int:
        moment = self.step_time(step)
        midnight = datetime(moment.year, moment.month, moment.day, tzinfo=KST) + timedelta(days=1)
        return -int(-midnight.timestamp() // self.step_seconds)

    # -- stepping --------------------------------------------------------------------------------------

    def advance(
        self, watches: Mapping[str, Watch] | None = None, on_step: StepCallback | None = None
    ) -> None:
        """Bring every stock up to the clock; call `on_step` where a watched stock reaches a watched level."""
        target = self.current_step()
        for code, stock in self.stocks.items():
            if stock.step < target:
                watch = watches.get(code) if watches else None
                self._catch_up(stock, target, watch, on_step if watch else None)

    def _catch_up(self, stock: Stock, target: int, watch: Watch | None, on_step: StepCallback | None) -> None:
        if target - stock.step > MAX_CATCHUP_STEPS:
            skipped_to = target - MAX_CATCHUP_STEPS
            if skipped_to >= stock.day_end_step:
                self._new_day(stock, skipped_to)
            stock.step = skipped_to
        while stock.step < target:
            span_end = min(target, stock.day_end_step - 1)
            if span_end > stock.step:
                if stock.pinned:
                    stock.step = span_end
                elif on_step is None or watch is None:
                    self._walk_span(stock, span_end - stock.step)
                    stock.step = span_end
                else:
                    self._walk_watched(stock, span_end, watch, on_step)
            if stock.step < target:
                # The next step starts a new simulated day.
                stock.step += 1
                self._new_day(stock, stock.step)
                if not stock.pinned:
                    self._walk_span(stock, 1)
                if on_step is not None and watch is not None and self._reached(stock.price, watch):
                    on_step(stock, stock.step)

    @staticmethod
    def _reached(price: int, watch: Watch) -> bool:
        low, high = watch
        return (low is not None and price <= low) or (high is not None and price >= high)

    def _walk_watched(self, stock: Stock, span_end: int, watch: Watch, on_step: StepCallback) -> None:
        while stock.step < span_end:
            stock.step += 1
            self._walk_span(stock, 1)
            if self._reached(stock.price, watch):
                on_step(stock, stock.step)

    def _walk_span(self, stock: Stock, steps: int) -> None:
        """Take `steps` random-walk steps; one random draw per step sets both the move and the volume."""
        draw = stock.rng.random
        half = self.move_prob / 2
        up_from = 1.0 - half
        twice_volume = 2 * stock.listing.step_volume
        price, high, low, volume = stock.price, stock.high, stock.low, stock.volume
        upper, lower = stock.upper, stock.lower
        step_volume = 0
        for _ in range(steps):
            r = draw()
            if r < half:
                moved = price - tick_size(price - 1)
                if moved >= lower:
                    price = moved
                    low = min(low, price)
            elif r > up_from:
                moved = price + tick_size(price)
                if moved <= upper:
                    price = moved
                    high = max(high, price)
            # Reuse the draw's lower digits for the step's volume: cheap and still deterministic.
            step_volume = int((r * 7919.0) % 1.0 * twice_volume)
            volume += step_volume
        stock.price, stock.high, stock.low, stock.volume = price, high, low, volume
        stock.liquidity = step_volume

    def _new_day(self, stock: Stock, step: int) -> None:
        stock.base_price = stock.price
        stock.open = stock.high = stock.low = stock.price
        stock.volume = 0
        stock.upper, stock.lower = price_limits(stock.base_price)
        stock.day_end_step = self._day_end_step(step)

    # -- control -------------------------------------------------------------------------------------

    def set_price(
        self,
        code: str,
        price: int,
        *,
        liquidity: int | None = None,
        hold: bool = True,
        base_price: int | None = None,
    ) -> Stock:
        """Put a stock at `price` (pinned there while `hold`), with `liquidity` shares for resting orders.

        Raises KeyError for an unknown code, ValueError for a price off the tick grid or outside the limits
        (and then changes nothing).
        """
        stock = self.stocks[code]
        target = self.current_step()
        if stock.step < target:
            self._catch_up(stock, target, None, None)
        if base_price is not None and not on_tick_grid(base_price):
            raise ValueError(f"base price {base_price} is not on the tick grid")
        upper, lower = (stock.upper, stock.lower) if base_price is None else price_limits(base_price)
        if not on_tick_grid(price):
            raise ValueError(f"price {price} is not on the tick grid (tick {tick_size(price)})")
        if not lower <= price <= upper:
            raise ValueError(f"price {price} is outside the daily limits {lower}..{upper}")
        if liquidity is not None and liquidity < 0:
            raise ValueError("liquidity must not be negative")
        if base_price is not None:
            stock.base_price = base_price
            stock.upper, stock.lower = upper, lower
        stock.price = price
        stock.high = max(stock.high, price)
        stock.low = min(stock.low, price)
        if base_price is not None:
            stock.open = stock.high = stock.low = price
        stock.pinned = hold
        stock.liquidity = liquidity
        return stock

    def release(self, code: str) -> None:
        """Let a pinned stock walk again from its current price."""
        self.stocks[code].pinned = False
