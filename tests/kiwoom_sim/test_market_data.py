"""The simulator's market data (issue 15): the universe and ka10099, quotes, the book (ka10004), candles
(ka10080-ka10083), batch quotes (ka10095), index days (ka20006), kt00011 and the day roll, on the wire and
through StockLab's client."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from brokerage.kiwoom import KOSDAQ_INDEX, KiwoomClient, KiwoomUnknownSymbol, ListingMarket, StockWarning
from brokerage.kiwoom.parsing import KST
from kiwoom_sim import candles
from kiwoom_sim.clock import SimClock, is_trading_day, parse_stamp
from kiwoom_sim.market import Market
from kiwoom_sim.ticks import on_tick_grid, price_limits, tick_size
from kiwoom_sim.universe import ETF, KOSDAQ, KOSPI, UNIVERSE, universe_for

from .conftest import START, Kiwoom

STKINFO = "/api/dostk/stkinfo"
CHART = "/api/dostk/chart"
SEED = 7  # the session simulator's (conftest)
TODAY = date(2025, 7, 15)  # START's date, a Tuesday


def call(sim: Kiwoom, path: str, api_id: str, body: dict[str, Any], token: str, **headers: str):
    sent = {"api-id": api_id, "authorization": f"Bearer {token}", **headers}
    return sim.post(path, body, sent)


def ok(
    sim: Kiwoom, path: str, api_id: str, body: dict[str, Any], token: str, **headers: str
) -> dict[str, Any]:
    response = call(sim, path, api_id, body, token, **headers)
    data = response.json()
    assert response.status_code == 200 and data["return_code"] == 0, data
    return data


def generated(market: str, *, warned: bool = False) -> str:
    """A generated code of `market` (with or without a warning)."""
    for instrument in universe_for().market(market):
        flagged = instrument.order_warning != "0" or "관리종목" in instrument.state
        if instrument.listing not in UNIVERSE and flagged == warned:
            return instrument.code
    raise AssertionError("no such listing")


def split_code() -> tuple[str, date, int]:
    for instrument in universe_for().market(KOSDAQ):
        split = candles.split_of(SEED, instrument.code, TODAY)
        if split is not None:
            return instrument.code, *split
    raise AssertionError("no generated stock had a split")


@pytest.fixture
def client(sim: Kiwoom):
    with KiwoomClient(sim.base_url) as kiwoom_client:
        yield kiwoom_client


# --- Universe and ka10099 -----------------------------------------------------------------------------------


class TestUniverse:
    def test_thousands_of_listings_over_three_markets_with_the_real_names(self):
        universe = universe_for()
        assert len(universe) >= 2_500
        assert {m: len(universe.market(m)) >= 500 for m in (KOSPI, KOSDAQ, ETF)} == dict.fromkeys(
            (KOSPI, KOSDAQ, ETF), True
        )
        assert universe.get("005930").name == "삼성전자"
        assert all(universe.get(listing.code).listing == listing for listing in UNIVERSE)
        names = [instrument.name for instrument in universe.by_code.values()]
        assert len(set(names)) == len(names)
        assert all(on_tick_grid(i.listing.base_price) for i in universe.by_code.values())

    def test_the_same_seed_gives_the_same_universe(self):
        universe_for.cache_clear()
        first = {code: i.name for code, i in universe_for(3).by_code.items()}
        universe_for.cache_clear()
        assert {code: i.name for code, i in universe_for(3).by_code.items()} == first
        assert {code: i.name for code, i in universe_for(4).by_code.items()} != first

    def test_the_walks_seed_does_not_change_the_listings(self):
        clock = SimClock(parse_stamp(START), frozen=True)
        assert Market(1, clock).universe is Market(2, clock).universe is universe_for()

    def test_stocks_brought_to_life_start_on_the_grid_inside_their_band(self):
        market = Market(SEED, SimClock(parse_stamp("20250715150000"), frozen=True))
        for instrument in universe_for().market(KOSDAQ)[:400]:
            stock = market.get(instrument.code)
            assert stock.base_price == instrument.listing.base_price
            assert all(on_tick_grid(p) for p in (stock.price, stock.high, stock.low)), instrument.code
            assert stock.lower <= stock.low <= stock.price <= stock.high <= stock.upper
            assert stock.volume > 0

    def test_a_few_percent_carry_warnings(self):
        stocks = universe_for().market(KOSDAQ)
        managed = [i for i in stocks if "관리종목" in i.state]
        warned = [i for i in stocks if i.order_warning in ("4", "5")]
        halted = [i for i in stocks if "거래정지" in i.state]
        assert 0 < len(managed) < len(stocks) * 0.1
        assert warned and halted

    def test_the_market_builds_the_universe_and_other_stocks_only_when_asked(self):
        market = Market(SEED, SimClock(parse_stamp(START), frozen=True))
        assert market._universe is None and len(market.stocks) == len(UNIVERSE)
        code = generated(KOSDAQ)
        stock = market.get(code)
        assert stock is not None and set(market.stocks) == {*(listing.code for listing in UNIVERSE), code}
        assert market.get("999999") is None


class TestStockMaster:
    def test_kospi_pages_of_500_rows_hold_every_listing(self, sim, token):
        first = call(sim, STKINFO, "ka10099", {"mrkt_tp": "0"}, token)
        assert first.headers["cont-yn"] == "Y" and len(first.json()["list"]) == 500
        second = call(
            sim,
            STKINFO,
            "ka10099",
            {"mrkt_tp": "0"},
            token,
            **{"cont-yn": "Y", "next-key": first.headers["next-key"]},
        )
        assert second.headers["cont-yn"] == "N"
        codes = [row["code"] for row in first.json()["list"] + second.json()["list"]]
        assert len(codes) == len(set(codes)) == len(universe_for().market(KOSPI))
        assert {listing.code for listing in UNIVERSE} <= set(codes)

    def test_rows_have_kiwooms_widths_and_flags(self, sim, token):
        rows = ok(sim, STKINFO, "ka10099", {"mrkt_tp": "0"}, token)["list"]
        samsung = next(row for row in rows if row["code"] == "005930")
        assert (
            samsung["name"] == "삼성전자"
            and samsung["marketCode"] == "0"
            and samsung["marketName"] == "거래소"
        )
        assert len(samsung["listCount"]) == 16 and samsung["listCount"].isdigit()
        assert samsung["lastPrice"] == "00071500"
        assert samsung["nxtEnable"] == "Y" and samsung["orderWarning"] == "0"
        kosdaq = ok(sim, STKINFO, "ka10099", {"mrkt_tp": "10"}, token)["list"]
        assert {row["marketCode"] for row in kosdaq} == {"10"}

    def test_other_documented_markets_are_empty_and_unknown_ones_refused(self, sim, token):
        assert ok(sim, STKINFO, "ka10099", {"mrkt_tp": "50"}, token)["list"] == []
        refused = call(sim, STKINFO, "ka10099", {"mrkt_tp": "99"}, token).json()
        assert refused["return_code"] == 2 and "[1517:" in refused["return_msg"]

    def test_the_client_reads_every_market_with_warnings(self, client, sim, token):
        kospi = client.list_stocks(token, ListingMarket.KOSPI)
        kosdaq = client.list_stocks(token, ListingMarket.KOSDAQ)
        etfs = client.list_stocks(token, ListingMarket.ETF)
        assert len(kospi) + len(kosdaq) + len(etfs) >= 2_500
        warned = {warning for listing in kosdaq for warning in listing.warnings}
        assert {
            StockWarning.MANAGED,
            StockWarning.WARNING,
            StockWarning.DANGER,
            StockWarning.HALTED,
        } <= warned
        assert all(listing.market is ListingMarket.ETF for listing in etfs)


# --- Quotes, book, batch -----------------------------------------------------------------------------------


class TestQuotes:
    def test_any_universe_code_has_a_quote_that_walks(self, client, sim, token):
        code = generated(KOSDAQ)
        first = client.get_quote(token, code)
        master = next(
            row for row in client.list_stocks(token, ListingMarket.KOSDAQ) if row.stock_code == code
        )
        assert first.base_price == master.previous_close
        assert (first.upper_limit, first.lower_limit) == price_limits(first.base_price)
        assert first.low_price <= first.current_price <= first.high_price
        sim.control.advance_clock(3_600)
        later = client.get_quote(token, code)
        assert later.volume > first.volume

    def test_the_book_has_ten_levels_a_side_on_the_tick_grid(self, client, sim, token):
        book = client.get_order_book(token, "005930")
        quote = client.get_quote(token, "005930")
        assert len(book.asks) == len(book.bids) == 10
        assert book.bids[0].price == quote.current_price
        assert book.asks[0].price == quote.current_price + tick_size(quote.current_price)
        for side in (book.asks, book.bids):
            steps = {abs(a.price - b.price) for a, b in itertools.pairwise(side)}
            assert steps == {100} and all(level.quantity > 0 for level in side)
        assert book.total_ask_quantity == sum(level.quantity for level in book.asks)

    def test_resting_orders_add_their_quantity_at_their_price(self, client, sim, token):
        before = client.get_order_book(token, "005930")
        price = before.bids[3].price
        sim.buy(token, "005930", 77, price)
        after = client.get_order_book(token, "005930")
        assert after.bids[3].quantity == before.bids[3].quantity + 77
        assert after.asks == before.asks

    def test_the_book_stops_at_the_upper_limit(self, client, sim, token):
        sim.control.set_price("005930", 92_900, base_price=71_500)  # 상한가
        book = client.get_order_book(token, "005930")
        assert book.asks == () and book.bids[0].price == 92_900

    def test_batch_quotes_of_up_to_100_codes(self, client, sim, token):
        codes = [instrument.code for instrument in universe_for().market(KOSPI)[:250]]
        quotes = client.get_quotes(token, codes)
        assert [quote.stock_code for quote in quotes] == codes
        assert sim.control.stats()["calls"]["ka10095"] == 3
        samsung = next(q for q in quotes if q.stock_code == "005930")
        assert samsung.best_bid == samsung.current_price and samsung.name == "삼성전자"

    def test_more_than_100_codes_is_refused_with_1634(self, sim, token):
        codes = "|".join(instrument.code for instrument in universe_for().market(KOSPI)[:101])
        response = call(sim, STKINFO, "ka10095", {"stk_cd": codes}, token)
        assert response.status_code == 200
        assert response.json() == {"return_code": 5, "return_msg": "허용된 요청 개수를 초과하였습니다[1634]"}

    def test_batch_quotes_echo_suffixes_and_leave_unknown_codes_out(self, sim, token):
        rows = ok(sim, STKINFO, "ka10095", {"stk_cd": "005930_NX|999999|000660"}, token)["atn_stk_infr"]
        assert [row["stk_cd"] for row in rows] == ["005930_NX", "000660"]


# --- Candles ------------------------------------------------------------------------------------------------


class TestDailyCandles:
    def test_five_years_newest_first_in_pages_of_600(self, sim, token):
        body = {"stk_cd": "005930", "base_dt": "20250715", "upd_stkpc_tp": "1"}
        pages = [call(sim, CHART, "ka10081", body, token)]
        while pages[-1].headers["cont-yn"] == "Y":
            key = pages[-1].headers["next-key"]
            assert key.startswith("A005930") and key.endswith("00010000") and len(key) == 23
            pages.append(call(sim, CHART, "ka10081", body, token, **{"cont-yn": "Y", "next-key": key}))
        rows = [row for page in pages for row in page.json()["stk_dt_pole_chart_qry"]]
        assert [len(page.json()["stk_dt_pole_chart_qry"]) for page in pages][:2] == [600, 600]
        dates = [row["dt"] for row in rows]
        assert dates == sorted(dates, reverse=True) and len(set(dates)) == len(dates)
        assert dates[0] == "20250715" and dates[-1] < "20200801"
        assert all(is_trading_day(datetime.strptime(d, "%Y%m%d").date()) for d in dates[:300])

    def test_today_is_the_quote_and_yesterday_closed_at_the_base_price(self, client, sim, token):
        sim.control.advance_clock(1_800)
        quote = client.get_quote(token, "005930")
        *_, yesterday, today = client.get_daily_candles(token, "005930", base_date=TODAY, limit=2)
        assert today.time == TODAY
        assert (today.open, today.high, today.low, today.close) == (
            quote.open_price,
            quote.high_price,
            quote.low_price,
            quote.current_price,
        )
        assert today.volume == quote.volume and yesterday.close == quote.base_price

    def test_candles_are_on_the_grid_and_inside_the_daily_band(self, client, sim, token):
        days = client.get_daily_candles(token, generated(KOSPI), base_date=TODAY)
        for previous, day in itertools.pairwise(days):
            upper, lower = price_limits(previous.close)
            assert (
                lower <= day.low <= min(day.open, day.close) <= max(day.open, day.close) <= day.high <= upper
            )
            assert all(on_tick_grid(p) for p in (day.open, day.high, day.low, day.close))

    def test_rows_carry_change_sign_and_units(self, sim, token):
        rows = ok(
            sim, CHART, "ka10081", {"stk_cd": "005930", "base_dt": "20250714", "upd_stkpc_tp": "1"}, token
        )["stk_dt_pole_chart_qry"]
        newest, previous = rows[0], rows[1]
        change = int(newest["cur_prc"]) - int(previous["cur_prc"])
        assert newest["dt"] == "20250714" and int(newest["pred_pre"]) == change
        assert newest["pred_pre_sig"] == ("2" if change > 0 else "5" if change < 0 else "3")
        assert newest["trde_prica"] == str(int(newest["cur_prc"]) * int(newest["trde_qty"]) // 1_000_000)
        assert not newest["cur_prc"].startswith(("+", "-"))

    def test_a_split_is_adjusted_unless_raw_prices_are_asked_for(self, client, token):
        code, split_day, ratio = split_code()
        before = split_day - timedelta(days=10)
        adjusted = client.get_daily_candles(token, code, base_date=TODAY, since=before)
        raw = client.get_daily_candles(token, code, base_date=TODAY, since=before, adjusted=False)
        old = [(a, r) for a, r in zip(adjusted, raw, strict=True) if a.time < split_day]
        new = [(a, r) for a, r in zip(adjusted, raw, strict=True) if a.time >= split_day]
        assert old and new
        assert all(r.close == a.close * ratio and r.volume == a.volume // ratio for a, r in old)
        assert all(r == a for a, r in new)
        # Adjusted as of a date before the split: nothing to adjust yet (PROTOCOL.md M4.1).
        as_of_then = client.get_daily_candles(token, code, base_date=split_day - timedelta(days=1), limit=3)
        assert [c.close for c in as_of_then] == [r.close for a, r in old[-3:]]

    def test_weeks_and_months_gather_the_days(self, client, token):
        days = client.get_daily_candles(token, "000660", base_date=TODAY, since=date(2025, 5, 1))
        weeks = client.get_weekly_candles(token, "000660", base_date=TODAY, since=date(2025, 5, 1))
        months = client.get_monthly_candles(token, "000660", base_date=TODAY, limit=3)
        june = [d for d in days if d.time.month == 6]
        assert months[-2].time == june[0].time and months[-2].close == june[-1].close
        assert months[-2].volume == sum(d.volume for d in june)
        assert months[-2].high == max(d.high for d in june) and months[-2].low == min(d.low for d in june)
        this_week = [d for d in days if d.time >= date(2025, 7, 14)]
        assert weeks[-1].time == date(2025, 7, 14) and weeks[-1].close == this_week[-1].close

    def test_an_unknown_code_and_a_bad_date_are_refused(self, client, sim, token):
        with pytest.raises(KiwoomUnknownSymbol):
            client.get_daily_candles(token, "999990")
        body = {"stk_cd": "005930", "base_dt": "20251340", "upd_stkpc_tp": "1"}
        refused = call(sim, CHART, "ka10081", body, token).json()
        assert refused["return_code"] == 2 and "base_dt" in refused["return_msg"]


class TestMinuteCandles:
    def test_todays_bars_follow_the_walk(self, client, sim, token):
        code = generated(KOSPI)
        client.get_quote(token, code)  # alive from 10:00
        sim.control.advance_clock(1_800)
        quote = client.get_quote(token, code)
        bars = client.get_minute_candles(token, code, since=datetime(2025, 7, 15, 0, 0, tzinfo=KST))
        assert bars[-1].time == datetime(2025, 7, 15, 10, 30, tzinfo=KST)  # the step at 10:30:00
        assert bars[-1].close == quote.current_price
        assert bars[0].open == quote.open_price
        assert max(b.high for b in bars) == quote.high_price and min(b.low for b in bars) == quote.low_price
        walked = [b for b in bars if b.time >= datetime(2025, 7, 15, 10, 0, tzinfo=KST)]
        assert len(walked) == 31
        assert sum(b.volume for b in walked) <= quote.volume

    def test_five_minute_bars_gather_the_minutes(self, client, sim, token):
        sim.control.advance_clock(1_200)
        since = datetime(2025, 7, 15, 10, 0, tzinfo=KST)
        ones = client.get_minute_candles(token, "005930", since=since)
        fives = client.get_minute_candles(token, "005930", interval=5, since=since)
        assert [b.time.minute for b in fives] == [0, 5, 10, 15, 20]
        assert fives[1].open == ones[5].open and fives[1].close == ones[9].close
        assert fives[1].volume == sum(b.volume for b in ones[5:10])

    def test_past_days_are_drawn_inside_their_daily_candle_and_page_by_900(self, sim, token):
        body = {"stk_cd": "005930", "tic_scope": "1", "upd_stkpc_tp": "1"}
        first = call(sim, CHART, "ka10080", body, token)
        rows = first.json()["stk_min_pole_chart_qry"]
        assert first.headers["cont-yn"] == "Y" and len(rows) == 900
        key = first.headers["next-key"]
        assert key.startswith("A005930") and len(key) == 7 + 14 + 8
        second = call(sim, CHART, "ka10080", body, token, **{"cont-yn": "Y", "next-key": key})
        more = second.json()["stk_min_pole_chart_qry"]
        assert more[0]["cntr_tm"] < rows[-1]["cntr_tm"]
        july_14 = [r for r in rows + more if r["cntr_tm"].startswith("20250714")]
        assert len(july_14) == 390 and july_14[-1]["cntr_tm"] == "20250714090000"
        day = ok(
            sim, CHART, "ka10081", {"stk_cd": "005930", "base_dt": "20250714", "upd_stkpc_tp": "1"}, token
        )["stk_dt_pole_chart_qry"][0]
        assert abs(int(july_14[0]["cur_prc"])) == int(day["cur_prc"])
        assert abs(int(july_14[-1]["open_pric"])) == int(day["open_pric"])
        assert max(abs(int(r["high_pric"])) for r in july_14) == int(day["high_pric"])
        assert int(july_14[0]["acc_trde_qty"]) == sum(int(r["trde_qty"]) for r in july_14)


class TestIndex:
    def test_kospi_and_kosdaq_days_in_hundredths(self, client, sim, token):
        rows = ok(sim, CHART, "ka20006", {"inds_cd": "001", "base_dt": "20250715"}, token)["inds_dt_pole_qry"]
        assert rows[0]["dt"] == "20250715" and rows[0]["cur_prc"] == "260000"
        assert all(row["cur_prc"].isdigit() for row in rows)
        kospi = client.get_index_daily(token, base_date=TODAY, since=date(2024, 7, 15))
        kosdaq = client.get_index_daily(token, KOSDAQ_INDEX, base_date=TODAY, limit=5)
        assert kospi[-1].close == Decimal("2600.00") and kosdaq[-1].close == Decimal("850.00")
        assert len(kospi) > 240 and kospi[0].date >= date(2024, 7, 15)
        assert all(c.low <= min(c.open, c.close) and max(c.open, c.close) <= c.high for c in kospi)

    def test_the_index_walks_with_the_clock(self, client, sim, token):
        sim.control.advance_clock(3_600)
        today = client.get_index_daily(token, base_date=TODAY, limit=1)[0]
        assert today.close != Decimal("2600.00") and today.volume > 0

    def test_an_unknown_index_is_1901(self, sim, token):
        refused = call(sim, CHART, "ka20006", {"inds_cd": "999", "base_dt": "20250715"}, token).json()
        assert refused["return_code"] == 7 and "[1901:" in refused["return_msg"]


# --- kt00011 ------------------------------------------------------------------------------------------------


class TestOrderable:
    def test_max_buyable_from_orderable_cash_with_commission(self, client, sim, token):
        result = client.get_orderable_quantity(token, "005930", price=70_000)
        assert result.orderable_cash == result.cash_orderable_amount == 10_000_000
        assert result.cash_orderable_quantity == 142  # 142 x 70,000 + 1,490 fee <= 10,000,000 < 143 x ...
        assert result.applied_margin_rate == Decimal(100) and result.stock_margin_rate == Decimal(20)

    def test_open_buy_orders_reduce_it_and_no_price_means_the_current_one(self, client, sim, token):
        sim.buy(token, "005930", 100, 70_000)
        result = client.get_orderable_quantity(token, "005930")
        reserved = 100 * 70_000 + 1_050
        assert result.orderable_cash == 10_000_000 - reserved
        assert result.cash_orderable_quantity == (10_000_000 - reserved) // 71_500
        assert result.deposit == 10_000_000

    def test_wire_format_fills_only_the_cash_tier(self, sim, token):
        data = ok(sim, "/api/dostk/acnt", "kt00011", {"stk_cd": "005930", "uv": ""}, token)
        assert data["return_msg"] == "자료를 조회하였습니다."
        assert data["profa_20ord_alowq"] == "" and len(data["min_ord_alowq"]) == 12


# --- Rate limit ---------------------------------------------------------------------------------------------


def test_each_chart_tr_has_its_own_per_second_budget(sim, token):
    sim.control.configure(rate_limit=1)
    body = {"stk_cd": "005930", "base_dt": "20250715", "upd_stkpc_tp": "1"}
    assert call(sim, CHART, "ka10081", body, token).status_code == 200
    limited = call(sim, CHART, "ka10081", body, token)
    assert limited.status_code == 429 and "유량=1, API ID=ka10081" in limited.json()["return_msg"]
    assert call(sim, CHART, "ka10082", body, token).status_code == 200


# --- The day roll -------------------------------------------------------------------------------------------


class TestRollDay:
    def market(self) -> tuple[Market, SimClock]:
        clock = SimClock(parse_stamp("20250715140000"), frozen=True)
        return Market(SEED, clock), clock

    def test_the_close_becomes_the_next_base_and_joins_the_history(self):
        market, clock = self.market()
        clock.advance(5_400)
        market.advance()
        samsung = market.stocks["005930"]
        close, high, volume = samsung.price, samsung.high, samsung.volume
        assert market.roll_day() == date(2025, 7, 16)
        assert samsung.base_price == close and (samsung.upper, samsung.lower) == price_limits(close)
        assert samsung.open == samsung.high == samsung.low == close and samsung.volume == 0
        bar = candles.history(market, samsung)[-2]
        assert (bar.date, bar.close, bar.high, bar.volume) == (TODAY, close, high, volume)
        # Midnight does not close the rolled session a second time.
        clock.advance(12 * 3_600)
        market.advance()
        assert [b.date for b in samsung.finished] == [TODAY]
        assert samsung.session_date == date(2025, 7, 16)

    def test_a_friday_rolls_to_monday_and_stocks_alive_later_follow(self):
        clock = SimClock(parse_stamp("20250718150000"), frozen=True)
        market = Market(SEED, clock)
        assert market.roll_day() == date(2025, 7, 21)
        code = generated(KOSDAQ)
        stock = market.get(code)
        assert stock.session_date == date(2025, 7, 21)
        assert candles.history(market, stock)[-2].date == date(2025, 7, 18)

    def test_without_a_roll_midnight_closes_the_day(self):
        market, clock = self.market()
        clock.advance(10 * 3_600 + 60)  # 00:01 the next day
        market.advance()
        samsung = market.stocks["005930"]
        assert samsung.finished[-1].date == TODAY and samsung.session_date == date(2025, 7, 16)

    def test_the_index_day_closes_with_the_roll(self):
        market, clock = self.market()
        kospi = candles.index_state(market, "001")
        clock.advance(3_600)
        market.roll_day()
        assert kospi.finished[-1][0].date == TODAY and kospi.session_date == date(2025, 7, 16)
        assert kospi.finished[-1][0].close == kospi.open


def test_every_minute_page_follows_the_last_without_gaps_or_repeats(client, sim, token):
    sim.control.advance_clock(600)
    bars = client.get_minute_candles(token, "000660", interval=5)
    times = [bar.time for bar in bars]
    assert times == sorted(set(times))
    days = sorted({t.date() for t in times})
    assert len(days) == 21 and days[-1] == TODAY  # today and the 20 trading days before
    assert all(len([t for t in times if t.date() == day]) == 78 for day in days[:-1])  # 09:00-15:25
