"""The simulator clock: Korea time that runs with the wall clock, can be moved forward, set or frozen; and
the KRX trading days it rolls over."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import holidays

KST = timezone(timedelta(hours=9), "KST")
STAMP_FORMAT = "%Y%m%d%H%M%S"
# The regular session, 09:00-15:30: its first minute of the day and its length in minutes.
SESSION_OPEN_MINUTE = 9 * 60
SESSION_MINUTES = 390


def parse_stamp(text: str) -> datetime:
    """Parse a 14-digit Korea-time stamp ("20250715093000")."""
    if len(text) != 14 or not text.isdigit():
        raise ValueError(f"expected YYYYMMDDHHMMSS, got {text!r}")
    return datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=KST)


def format_stamp(moment: datetime) -> str:
    return moment.astimezone(KST).strftime(STAMP_FORMAT)


class SimClock:
    """Simulated Korea time = start + elapsed wall time (unless frozen) + manual offset."""

    def __init__(
        self,
        start: datetime | None = None,
        frozen: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._origin = (start or datetime.now(KST)).astimezone(KST)
        self._real_origin = monotonic()
        self._frozen_elapsed: float | None = 0.0 if frozen else None

    def _elapsed(self) -> float:
        if self._frozen_elapsed is not None:
            return self._frozen_elapsed
        return self._monotonic() - self._real_origin

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=self._elapsed())

    def timestamp(self) -> float:
        """Seconds since the Unix epoch on the simulator clock."""
        return self._origin.timestamp() + self._elapsed()

    @property
    def frozen(self) -> bool:
        return self._frozen_elapsed is not None

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the simulator clock only moves forward")
        self._origin += timedelta(seconds=seconds)
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Jump to `moment` (forwards or backwards; use with care, prices do not rewind)."""
        self._origin = moment.astimezone(KST) - timedelta(seconds=self._elapsed())
        return self.now()

    def freeze(self, frozen: bool) -> None:
        if frozen and self._frozen_elapsed is None:
            self._frozen_elapsed = self._elapsed()
        elif not frozen and self._frozen_elapsed is not None:
            # Resume from the frozen moment: re-anchor the wall-clock origin.
            self._real_origin = self._monotonic() - self._frozen_elapsed
            self._frozen_elapsed = None


# ---------------------------------------------------------------------------------------------------------
# Trading days: KRX trades on weekdays that are not KRX closing days. The closing days come from the
# `holidays` package's XKRX calendar (public holidays with substitute days, election days, Workers' Day,
# the year-end closing day), the same source as the site's `brokerage.history.calendar`.

_MAX_CLOSED_RUN = 31  # no run of KRX closing days comes near this; it bounds the searches below


@lru_cache(maxsize=64)
def _closed_days(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XKRX", years=year))


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _closed_days(day.year)


def _step_trading_day(day: date, direction: int) -> date:
    for _ in range(_MAX_CLOSED_RUN):
        day += timedelta(days=direction)
        if is_trading_day(day):
            return day
    raise ValueError(f"no KRX trading day within {_MAX_CLOSED_RUN} days")


def next_trading_day(day: date) -> date:
    """The first trading day strictly after `day`."""
    return _step_trading_day(day, 1)


def previous_trading_day(day: date) -> date:
    """The last trading day strictly before `day`."""
    return _step_trading_day(day, -1)


def trading_date(day: date) -> date:
    """The trading day a calendar date belongs to: itself, or (weekend, holiday) the last one before it."""
    return day if is_trading_day(day) else previous_trading_day(day)
