"""The KRX trading calendar (holidays' XKRX calendar, weekends, 15:30 KST close)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from brokerage.history import calendar


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 7),  # a Monday
        date(2026, 12, 30),  # the last trading day of 2026
        date(2026, 2, 19),  # the day after 설날's three days
    ],
)
def test_weekdays_without_a_holiday_trade(day):
    assert calendar.is_trading_day(day)
    assert calendar.holiday_name(day) is None


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 5),  # Saturday
        date(2026, 12, 6),  # Sunday
        date(2026, 1, 1),  # New Year's Day
        date(2026, 2, 17),  # 설날
        date(2026, 5, 1),  # Workers' Day: KRX closes, banks' calendars may not
        date(2026, 6, 3),  # local election day
        date(2026, 9, 25),  # 추석
        date(2026, 12, 31),  # year-end closing day
        date(2025, 6, 3),  # presidential election day
    ],
)
def test_weekends_and_krx_closing_days_do_not_trade(day):
    assert not calendar.is_trading_day(day)


def test_a_closing_day_says_why():
    assert calendar.holiday_name(date(2026, 12, 25)) == "Christmas Day"


def test_previous_trading_day_skips_weekends_and_holidays():
    assert calendar.previous_trading_day(date(2026, 12, 7)) == date(2026, 12, 4)  # Monday -> Friday
    # 2026-09-24/25 추석 (Thu/Fri) and the weekend: Monday's previous trading day is Wednesday.
    assert calendar.previous_trading_day(date(2026, 9, 28)) == date(2026, 9, 23)
    assert calendar.previous_trading_day(date(2027, 1, 4)) == date(2026, 12, 30)  # over the year-end close


def test_previous_trading_day_is_strictly_before_even_on_a_trading_day():
    assert calendar.previous_trading_day(date(2026, 12, 8)) == date(2026, 12, 7)


def test_next_trading_day_skips_weekends_and_holidays():
    assert calendar.next_trading_day(date(2026, 12, 4)) == date(2026, 12, 7)
    assert calendar.next_trading_day(date(2026, 12, 30)) == date(2027, 1, 4)
    assert calendar.next_trading_day(date(2026, 2, 13)) == date(2026, 2, 19)  # Fri -> after 설날


def test_trading_days_lists_a_range_inclusive_oldest_first():
    days = calendar.trading_days(date(2026, 9, 21), date(2026, 9, 30))

    assert days == [
        date(2026, 9, 21),
        date(2026, 9, 22),
        date(2026, 9, 23),
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
    ]
    assert calendar.trading_days(date(2026, 9, 30), date(2026, 9, 21)) == []
    assert calendar.trading_days(date(2026, 12, 7), date(2026, 12, 7)) == [date(2026, 12, 7)]


def test_a_year_has_about_250_trading_days():
    assert 240 <= len(calendar.trading_days(date(2026, 1, 1), date(2026, 12, 31))) <= 252


def test_the_session_closes_at_1530_korea_time():
    close = calendar.close_at(date(2026, 12, 7))

    assert close.astimezone(UTC) == datetime(2026, 12, 7, 6, 30, tzinfo=UTC)
    assert time(15, 30) == calendar.MARKET_CLOSE
    assert time(9, 0) == calendar.MARKET_OPEN


def test_kst_date_of_a_utc_moment_is_the_korean_date():
    # 16:00 UTC on Sunday the 6th is 01:00 on Monday the 7th in Seoul.
    assert calendar.kst_date(datetime(2026, 12, 6, 16, 0, tzinfo=UTC)) == date(2026, 12, 7)
    with pytest.raises(ValueError):
        calendar.kst_date(datetime(2026, 12, 6, 16, 0))


@pytest.mark.parametrize(
    "call",
    [
        lambda: calendar.is_trading_day(datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
        lambda: calendar.previous_trading_day("2026-12-07"),
        lambda: calendar.trading_days(date(2026, 12, 1), None),
    ],
)
def test_only_dates_are_accepted(call):
    with pytest.raises(TypeError):
        call()
