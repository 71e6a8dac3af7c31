"""Candles consistent with the random walk: daily history generated backwards from a stock's first base price
(five years, deterministic from the seed), the days the simulator has closed since, and today's candle from
today's open, high, low and current price; weeks and months gathered from the days; minute bars as walked
today (and the last sessions), drawn from the day's candle for older days. Also the indices' days (ka20006;
`indices` walks their levels).

Everything is split-adjusted as stored; a few generated stocks had a split (`split_of`), and the raw prices
before it are the adjusted ones times the ratio (PROTOCOL.md M4.1 `upd_stkpc_tp`).
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache

from .bars import DayBar, MinuteBar
from .clock import KST, SESSION_MINUTES, SESSION_OPEN_MINUTE, is_trading_day, previous_trading_day
from .indices import INDICES, IndexState
from .market import Market, Stock
from .ticks import ceil_to_tick, floor_to_tick, price_limits

__all__ = [
    "INDICES",
    "DayBar",
    "IndexState",
    "MinuteBar",
    "gather",
    "gather_minutes",
    "generated_history",
    "history",
    "index_history",
    "index_state",
    "minute_bars",
    "minute_sessions",
    "raw_factor",
    "split_of",
]

HISTORY_DAYS = 5 * 365 + 7  # calendar days of generated daily history before a stock's first session
MINUTE_HISTORY_SESSIONS = 20  # trading days of minute bars offered by ka10080
SECONDS_PER_SESSION = 23_400  # a day's volume is about this many walk steps' worth
# About one generated stock in this many had a split in its history.
SPLIT_ONE_IN = 40
SPLIT_RATIOS = (2, 5, 10)


# --- Daily history ----------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def generated_history(seed: int, code: str, anchor: date, base: int, step_volume: int) -> tuple[DayBar, ...]:
    """Trading days before `anchor` (oldest first, about five years) whose last close is `base`."""
    rng = random.Random(f"{seed}:{code}:history")
    sigma = 0.012 + rng.random() * 0.02
    drift = rng.gauss(0.0003, 0.0004)
    typical_volume = step_volume * SECONDS_PER_SESSION
    bars: list[DayBar] = []
    close = base
    for day in trading_days_before(anchor):
        # Yesterday's close, the day's move undone, kept inside the ±30 % band and above 50 won.
        previous = _on_grid(close / math.exp(drift + rng.gauss(0, sigma)))
        upper, lower = price_limits(previous)
        if not lower <= close <= upper or previous < 50:
            previous = _on_grid(close / math.exp(drift))
            upper, lower = price_limits(previous)
        open_ = _clamp(_on_grid(previous * math.exp(rng.gauss(0, sigma / 3))), lower, upper)
        high = _clamp(ceil_to_tick(int(max(open_, close) * (1 + abs(rng.gauss(0, sigma / 2))))), lower, upper)
        low = _clamp(
            floor_to_tick(max(1, int(min(open_, close) * (1 - abs(rng.gauss(0, sigma / 2)))))), lower, upper
        )
        high, low = max(high, open_, close), min(low, open_, close)
        volume = int(typical_volume * rng.lognormvariate(0, 0.45))
        bars.append(DayBar(day, open_, high, low, close, volume))
        close = previous
    bars.reverse()
    return tuple(bars)


@lru_cache(maxsize=8)
def trading_days_before(anchor: date) -> tuple[date, ...]:
    """The trading days of the `HISTORY_DAYS` before `anchor`, newest first."""
    oldest = anchor - timedelta(days=HISTORY_DAYS)
    days = []
    day = previous_trading_day(anchor)
    while day >= oldest:
        days.append(day)
        day = previous_trading_day(day)
    return tuple(days)


def _on_grid(value: float) -> int:
    return max(floor_to_tick(max(1, round(value))), 1)


def _clamp(value: int, lower: int, upper: int) -> int:
    return min(max(value, lower), upper)


def split_of(seed: int, code: str, anchor: date) -> tuple[date, int] | None:
    """The date a stock's split took effect and its ratio (shares per old share), if it had one."""
    if code.isdigit() and int(code) % 10 == 0 and zlib.crc32(f"split:{code}".encode()) % SPLIT_ONE_IN == 0:
        rng = random.Random(f"{seed}:{code}:split")
        return anchor - timedelta(days=rng.randrange(60, HISTORY_DAYS - 60)), rng.choice(SPLIT_RATIOS)
    return None


def history(market: Market, stock: Stock) -> list[DayBar]:
    """Every daily candle of a stock, oldest first, split-adjusted: generated, closed, and today's (when the
    current session is a trading day)."""
    bars = list(
        generated_history(
            market.seed, stock.code, stock.anchor_date, stock.anchor_base, stock.listing.step_volume
        )
    )
    bars.extend(stock.finished)
    if is_trading_day(stock.session_date):
        bars.append(DayBar(stock.session_date, stock.open, stock.high, stock.low, stock.price, stock.volume))
    return bars


def raw_factor(split: tuple[date, int] | None, day: date, basis: date | None) -> int:
    """How many times a split-adjusted price of `day` the raw price is, seen from `basis` (None = raw).

    Adjusted prices account for the splits up to `basis` (Kiwoom adjusts as of `base_dt`, PROTOCOL.md M4.1).
    """
    if split is None:
        return 1
    split_day, ratio = split
    if day >= split_day:
        return 1
    if basis is not None and basis >= split_day:
        return 1
    return ratio


def gather(bars: list[DayBar], period: str) -> list[DayBar]:
    """Weeks (`week`) or months (`month`) of daily bars, each dated by its first trading day."""
    out: list[DayBar] = []
    key_of = (lambda d: d.isocalendar()[:2]) if period == "week" else (lambda d: (d.year, d.month))
    current = None
    for bar in bars:
        key = key_of(bar.date)
        if out and key == current:
            last = out[-1]
            out[-1] = DayBar(
                last.date,
                last.open,
                max(last.high, bar.high),
                min(last.low, bar.low),
                bar.close,
                last.volume + bar.volume,
            )
        else:
            out.append(bar)
            current = key
    return out


# --- Minute bars ------------------------------------------------------------------------------------------


def minute_bars(market: Market, stock: Stock, day: date) -> list[MinuteBar]:
    """A day's 1-minute bars, oldest first: as walked (today, the kept sessions) or drawn from its candle."""
    if day == stock.session_date:
        bars: list[MinuteBar] = []
        if stock.prelude is not None:
            first, last, open_, high, low, close, volume = stock.prelude
            bars = _drawn(
                f"{market.seed}:{stock.code}:{day}:prelude",
                first,
                last - first + 1,
                DayBar(day, open_, high, low, close, volume),
            )
        return bars + _unpack(stock.minutes)
    if day in stock.past_minutes:
        return _unpack(stock.past_minutes[day])
    bar = next((b for b in reversed(history(market, stock)) if b.date == day), None)
    if bar is None:
        return []
    first = int(datetime(day.year, day.month, day.day, tzinfo=KST).timestamp() // 60) + SESSION_OPEN_MINUTE
    return _drawn(f"{market.seed}:{stock.code}:{day}", first, SESSION_MINUTES, bar)


def _unpack(flat: object) -> list[MinuteBar]:
    values = list(flat)  # type: ignore[call-overload]
    return [MinuteBar(*values[i : i + 6]) for i in range(0, len(values), 6)]


def _drawn(key: str, first: int, count: int, day: DayBar) -> list[MinuteBar]:
    """`count` minute bars from `first` that open at the day's open, close at its close, touch its high and
    low, and share its volume: a random path squeezed into the day's range."""
    if count <= 0:
        return []
    rng = random.Random(key)
    path = [0.0]
    for _ in range(count):
        path.append(path[-1] + rng.gauss(0, 1))
    # A bridge from open to close, then stretched so that its extremes are the day's high and low.
    span = path[-1]
    bridge = [p - span * i / count for i, p in enumerate(path)]
    top, bottom = max(bridge), min(bridge)
    levels = []
    for i, b in enumerate(bridge):
        straight = day.open + (day.close - day.open) * i / count
        if b >= 0:
            level = straight + (b / top if top > 0 else 0) * (day.high - max(day.open, day.close))
        else:
            level = straight - (b / bottom if bottom < 0 else 0) * (min(day.open, day.close) - day.low)
        levels.append(min(max(_on_grid(level), day.low), day.high))
    levels[0], levels[-1] = day.open, day.close
    levels[max(range(1, count + 1), key=lambda i: bridge[i])] = day.high
    levels[min(range(1, count + 1), key=lambda i: bridge[i])] = day.low
    levels[-1] = day.close
    weights = [rng.random() + 0.2 for _ in range(count)]
    total = sum(weights)
    bars = []
    for i in range(count):
        open_, close = levels[i], levels[i + 1]
        volume = int(day.volume * weights[i] / total)
        bars.append(MinuteBar(first + i, open_, max(open_, close), min(open_, close), close, volume))
    return bars


def gather_minutes(bars: list[MinuteBar], scope: int) -> list[MinuteBar]:
    """Bars of `scope` minutes (aligned to the hour for divisors of 60), oldest first."""
    if scope == 1:
        return bars
    out: list[MinuteBar] = []
    for bar in bars:
        start = bar.minute - bar.minute % scope
        if out and out[-1].minute == start:
            last = out[-1]
            out[-1] = MinuteBar(
                start,
                last.open,
                max(last.high, bar.high),
                min(last.low, bar.low),
                bar.close,
                last.volume + bar.volume,
            )
        else:
            out.append(MinuteBar(start, bar.open, bar.high, bar.low, bar.close, bar.volume))
    return out


def minute_sessions(stock: Stock, newest: date) -> Iterator[date]:
    """The days offered by ka10080, newest first: the current session and the trading days before it."""
    day = min(newest, stock.session_date)
    if day == stock.session_date:
        yield day
        day = previous_trading_day(day)
    elif not is_trading_day(day):
        day = previous_trading_day(day)
    for _ in range(MINUTE_HISTORY_SESSIONS):
        yield day
        day = previous_trading_day(day)


# --- Indices (ka20006) ------------------------------------------------------------------------------------


def index_state(market: Market, code: str) -> IndexState | None:
    """The live state of an index (created on first use, walked up to the clock)."""
    return market.index(code)


@lru_cache(maxsize=16)
def generated_index_history(seed: int, code: str, anchor: date, base: int) -> tuple[tuple[DayBar, int], ...]:
    """About five years of an index's days before `anchor`, ending at `base`: (bar, trading value)."""
    _, _, volume, value = INDICES[code]
    rng = random.Random(f"{seed}:index:{code}:history")
    out: list[tuple[DayBar, int]] = []
    close = base
    for day in trading_days_before(anchor):
        previous = max(100, round(close / math.exp(rng.gauss(0.0002, 0.01))))
        open_ = round(previous * math.exp(rng.gauss(0, 0.003)))
        high = round(max(open_, close) * (1 + abs(rng.gauss(0, 0.004))))
        low = round(min(open_, close) * (1 - abs(rng.gauss(0, 0.004))))
        factor = rng.lognormvariate(0, 0.25)
        out.append((DayBar(day, open_, high, low, close, int(volume * factor)), int(value * factor)))
        close = previous
    out.reverse()
    return tuple(out)


def index_history(market: Market, state: IndexState) -> list[tuple[DayBar, int]]:
    """Every day of an index, oldest first, with today's when the session is a trading day."""
    rows = list(generated_index_history(market.seed, state.code, state.anchor_date, state.anchor_base))
    rows.extend(state.finished)
    if is_trading_day(state.session_date):
        today = DayBar(state.session_date, state.open, state.high, state.low, state.level, state.volume)
        rows.append((today, state.value))
    return rows
