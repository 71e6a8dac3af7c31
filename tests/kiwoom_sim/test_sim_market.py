"""The market model: tick grid, daily limits, the seeded walk, day rollover, and the simulator clock."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest

from kiwoom_sim.clock import KST, SimClock, format_stamp, parse_stamp
from kiwoom_sim.market import Market
from kiwoom_sim.ticks import ceil_to_tick, floor_to_tick, on_tick_grid, price_limits, tick_size, tick_up
from kiwoom_sim.universe import UNIVERSE

from .conftest import START


def frozen_market(seed: int = 1, start: str = START) -> tuple[Market, SimClock]:
    clock = SimClock(parse_stamp(start), frozen=True)
    return Market(seed, clock), clock


class TestTicks:
    @pytest.mark.parametrize(
        ("price", "tick"),
        [
            (1, 1),
            (1_999, 1),
            (2_000, 5),
            (4_995, 5),
            (5_000, 10),
            (19_990, 10),
            (20_000, 50),
            (49_950, 50),
            (50_000, 100),
            (199_900, 100),
            (200_000, 500),
            (499_500, 500),
            (500_000, 1_000),
            (1_012_000, 1_000),
        ],
    )
    def test_krx_tick_bands(self, price, tick):
        assert tick_size(price) == tick
        assert on_tick_grid(price)

    def test_steps_across_band_boundaries(self):
        assert tick_up(1_999) == 2_000 and tick_up(4_995) == 5_000 and tick_up(199_900) == 200_000
        assert not on_tick_grid(70_050) and not on_tick_grid(2_001) and not on_tick_grid(0)

    def test_rounding_to_the_grid(self):
        assert floor_to_tick(92_950) == 92_900
        assert ceil_to_tick(50_050) == 50_100
        assert floor_to_tick(2_003) == 2_000

    @pytest.mark.parametrize(
        ("base", "upper", "lower"),
        [(71_500, 92_900, 50_100), (1_790, 2_325, 1_253), (362_500, 471_000, 254_000)],
    )
    def test_daily_limits_are_thirty_percent_on_the_grid(self, base, upper, lower):
        assert price_limits(base) == (upper, lower)
        assert on_tick_grid(upper) and on_tick_grid(lower)

    def test_universe_is_real_names_on_the_grid(self):
        codes = {listing.code: listing for listing in UNIVERSE}
        assert codes["005930"].name == "삼성전자" and codes["000660"].name == "SK하이닉스"
        assert any(listing.base_price < 2_000 for listing in UNIVERSE)
        assert len(UNIVERSE) > 20  # enough for a second kt00018 page
        assert all(on_tick_grid(listing.base_price) for listing in UNIVERSE)


class TestWalk:
    def test_prices_stay_on_the_grid_and_inside_the_limits(self):
        market, clock = frozen_market()
        seen: dict[str, set[int]] = {code: set() for code in market.stocks}
        for _ in range(60):
            clock.advance(60)
            market.advance()
            for code, stock in market.stocks.items():
                assert on_tick_grid(stock.price), (code, stock.price)
                assert stock.lower <= stock.price <= stock.upper
                assert stock.low <= stock.price <= stock.high
                seen[code].add(stock.price)
        assert sum(len(prices) > 1 for prices in seen.values()) > len(UNIVERSE) // 2

    def test_same_seed_same_path_whatever_the_query_pattern(self):
        a, clock_a = frozen_market(5)
        b, clock_b = frozen_market(5)
        for _ in range(30):  # a is asked every 10 s, b only at the end
            clock_a.advance(10)
            a.advance()
        clock_b.advance(300)
        b.advance()
        assert {c: s.price for c, s in a.stocks.items()} == {c: s.price for c, s in b.stocks.items()}
        assert {c: s.volume for c, s in a.stocks.items()} == {c: s.volume for c, s in b.stocks.items()}
        c, clock_c = frozen_market(6)
        clock_c.advance(300)
        c.advance()
        assert {k: s.price for k, s in a.stocks.items()} != {k: s.price for k, s in c.stocks.items()}

    def test_a_new_day_takes_the_close_as_base(self):
        market, clock = frozen_market(start="20250715235900")
        clock.advance(59)  # 23:59:59, the day's last step
        market.advance()
        close = {code: stock.price for code, stock in market.stocks.items()}
        volume_before = sum(stock.volume for stock in market.stocks.values())
        assert volume_before > 0
        clock.advance(1)  # 00:00:00, the next day's first step
        market.advance()
        for code, stock in market.stocks.items():
            assert stock.base_price == close[code], code
            assert (stock.upper, stock.lower) == price_limits(close[code])
            assert stock.open == close[code]
        assert sum(stock.volume for stock in market.stocks.values()) < volume_before

    def test_a_long_clock_jump_is_cheap(self):
        market, clock = frozen_market()
        clock.advance(10 * 86_400)
        started = time.perf_counter()
        market.advance()
        assert time.perf_counter() - started < 5
        assert all(on_tick_grid(s.price) for s in market.stocks.values())

    def test_set_price_pins_and_validates(self):
        market, clock = frozen_market()
        market.set_price("005930", 70_000)
        clock.advance(3_600)
        market.advance()
        assert market.stocks["005930"].price == 70_000
        with pytest.raises(ValueError):
            market.set_price("005930", 70_050)
        with pytest.raises(ValueError):
            market.set_price("005930", 95_000)
        with pytest.raises(KeyError):
            market.set_price("999999", 1_000)

    def test_a_refused_set_price_changes_nothing(self):
        market, _ = frozen_market()
        stock = market.stocks["005930"]
        before = dataclasses.replace(stock)

        with pytest.raises(ValueError, match="outside the daily limits"):
            market.set_price("005930", 71_500, base_price=200_000, liquidity=5)

        assert stock == before


class TestClock:
    def test_stamps_are_korea_time(self):
        moment = parse_stamp("20250715093000")
        assert moment.utcoffset() == timedelta(hours=9)
        assert format_stamp(moment.astimezone(KST)) == "20250715093000"
        with pytest.raises(ValueError):
            parse_stamp("2025-07-15")

    def test_advance_set_and_freeze(self):
        ticks = iter([100.0, 100.0, 105.0, 105.0, 107.0, 110.0, 110.0])
        clock = SimClock(parse_stamp(START), monotonic=lambda: next(ticks))
        assert format_stamp(clock.now()) == "20250715100000"
        assert format_stamp(clock.now()) == "20250715100005"  # runs with the wall clock
        clock.advance(60)
        clock.freeze(True)
        frozen = clock.now()
        assert format_stamp(frozen) == "20250715100107"
        assert clock.now() == frozen
        clock.set(parse_stamp("20250716083000"))
        assert format_stamp(clock.now()) == "20250716083000"
        with pytest.raises(ValueError):
            clock.advance(-5)
