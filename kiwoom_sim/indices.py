"""The market indices' live levels (ka20006): each index walks on its own, one step a minute, and closes its
trading days with the market's sessions. Their generated history is in `candles`."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime

from .bars import DayBar
from .clock import KST, SESSION_MINUTES, is_trading_day

# inds_cd -> (name, starting level in hundredths, typical day volume in thousand shares, value in million KRW)
INDICES: dict[str, tuple[str, int, int, int]] = {
    "001": ("종합(KOSPI)", 260_000, 400_000, 10_000_000),
    "002": ("대형주", 255_000, 150_000, 7_000_000),
    "003": ("중형주", 290_000, 120_000, 2_000_000),
    "004": ("소형주", 240_000, 130_000, 1_000_000),
    "101": ("종합(KOSDAQ)", 85_000, 900_000, 8_000_000),
    "201": ("KOSPI200", 35_000, 100_000, 6_000_000),
    "701": ("KRX100", 550_000, 90_000, 6_000_000),
}
INDEX_MINUTE_SIGMA = 0.0006  # relative move of an index per minute


@dataclass
class IndexState:
    """An index's own walk, one step a minute, with its sessions and history like a stock's."""

    code: str
    rng: random.Random
    level: int  # hundredths of a point
    open: int
    high: int
    low: int
    volume: int
    value: int
    minute: int
    session_date: date
    anchor_date: date
    anchor_base: int
    finished: list[tuple[DayBar, int]] = field(default_factory=list)  # (bar, trading value)


def new_index(code: str, seed: int, minute: int, session_date: date) -> IndexState:
    """An index at its starting level, about to walk from `minute` in the session of `session_date`."""
    level = INDICES[code][1]
    return IndexState(
        code=code,
        rng=random.Random(f"{seed}:index:{code}"),
        level=level,
        open=level,
        high=level,
        low=level,
        volume=0,
        value=0,
        minute=minute,
        session_date=session_date,
        anchor_date=session_date,
        anchor_base=level,
    )


def walk_index(state: IndexState, minute: int, market_session: date) -> None:
    """Walk an index up to `minute`; its sessions follow the market's (`market_session`): a `roll_day` (the
    market's session moved on) or a midnight passing."""
    _, _, volume, value = INDICES[state.code]
    per_minute_volume, per_minute_value = volume // SESSION_MINUTES, value // SESSION_MINUTES
    steps = min(minute - state.minute, 60 * 24 * 7)
    for _ in range(max(steps, 0)):
        state.minute += 1
        day = datetime.fromtimestamp(state.minute * 60, KST).date()
        if day > state.session_date and market_session <= day:
            close_index_day(state, day)
        state.level = max(100, round(state.level * math.exp(state.rng.gauss(0, INDEX_MINUTE_SIGMA))))
        state.high, state.low = max(state.high, state.level), min(state.low, state.level)
        state.volume += int(per_minute_volume * (0.5 + state.rng.random()))
        state.value += int(per_minute_value * (0.5 + state.rng.random()))
    state.minute = max(state.minute, minute)
    if market_session > state.session_date:
        close_index_day(state, market_session)


def close_index_day(state: IndexState, new_session: date) -> None:
    if is_trading_day(state.session_date):
        bar = DayBar(state.session_date, state.open, state.high, state.low, state.level, state.volume)
        state.finished.append((bar, state.value))
    state.session_date = new_session
    state.open = state.high = state.low = state.level
    state.volume = state.value = 0
