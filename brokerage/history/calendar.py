"""The KRX trading calendar: which Korea-time dates the exchange trades on, and when its session closes.

Source: the `holidays` package's KRX financial calendar, `holidays.financial_holidays("XKRX")` (pinned in
requirements, 0.108 at the time of writing). It lists the days KRX is closed besides weekends: public
holidays with their substitute days, election days, Workers' Day (May 1) and the year-end closing day
(Dec 31). Updating the package updates the calendar; a one-off closure it does not know yet (an extra
temporary holiday) shows up as a trading day without trades until then.

Dates are calendar dates in Korea time (`datetime.date`); a `datetime` is refused so that a UTC moment is
never mistaken for a Korean date (use `kst_date(moment)`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from brokerage.kiwoom.parsing import KST, kst_date

__all__ = [
    "KST",
    "MARKET_CLOSE",
    "MARKET_OPEN",
    "close_at",
    "holiday_name",
    "is_trading_day",
    "kst_date",
    "next_trading_day",
    "previous_trading_day",
    "trading_days",
]

# The regular session (정규장), Korea time; the close is the closing single-price auction's end.
MARKET_OPEN = time(9, 0)
MARKET_CLOSE = time(15, 30)

# No stretch of KRX closing days is anywhere near this long; a bound keeps a bad calendar from looping.
_MAX_GAP_DAYS = 31


@lru_cache(maxsize=64)
def _closed_days(year: int) -> dict[date, str]:
    """The KRX closing days of a year other than weekends, with their names (cached per year)."""
    return dict(holidays.financial_holidays("XKRX", years=year).items())


def _check(day: object) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError("expected a datetime.date in Korea time (not a datetime)")
    return day


def holiday_name(day: date) -> str | None:
    """Why KRX is closed on a weekday (the holiday's name), or None."""
    return _closed_days(_check(day).year).get(day)


def is_trading_day(day: date) -> bool:
    """Whether KRX trades on `day`: a weekday that is not a KRX closing day."""
    return _check(day).weekday() < 5 and day not in _closed_days(day.year)


def _step(day: date, direction: int) -> date:
    candidate = _check(day)
    for _ in range(_MAX_GAP_DAYS):
        candidate += timedelta(days=direction)
        if is_trading_day(candidate):
            return candidate
    raise ValueError(f"no KRX trading day within {_MAX_GAP_DAYS} days of {day}")


def previous_trading_day(day: date) -> date:
    """The last trading day strictly before `day`."""
    return _step(day, -1)


def next_trading_day(day: date) -> date:
    """The first trading day strictly after `day`."""
    return _step(day, 1)


def trading_days(start: date, end: date) -> list[date]:
    """The trading days from `start` to `end`, both included, oldest first (empty when end < start)."""
    _check(start)
    _check(end)
    days = []
    day = start
    while day <= end:
        if is_trading_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def close_at(day: date) -> datetime:
    """The moment the regular session of `day` closes (15:30 KST), as an aware datetime."""
    return datetime.combine(_check(day), MARKET_CLOSE, tzinfo=KST)
