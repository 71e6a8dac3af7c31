"""KiwoomClient's market-data calls against the wire shapes of PROTOCOL.md Part II (M1-M5, M6.7, M7.1)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
import time_machine

from brokerage.kiwoom import (
    KOSDAQ_INDEX,
    BookLevel,
    Candle,
    KiwoomBadRequest,
    KiwoomClient,
    KiwoomRateLimited,
    KiwoomUnavailable,
    KiwoomUnknownSymbol,
    ListingMarket,
    StockWarning,
)
from brokerage.kiwoom.parsing import KST

from .helpers import BASE_URL, TOKEN, sent_json

STKINFO = "/api/dostk/stkinfo"
MRKCOND = "/api/dostk/mrkcond"
CHART = "/api/dostk/chart"
ACCOUNT = "/api/dostk/acnt"
OK = {"return_code": 0, "return_msg": "정상적으로 처리되었습니다"}

# PROTOCOL.md M1's example row.
SAMSUNG_ROW = {
    "code": "005930",
    "name": "삼성전자",
    "listCount": "0000005919637922",
    "auditInfo": "정상",
    "regDay": "19750611",
    "lastPrice": "00070100",
    "state": "증거금20%|담보대출|신용가능",
    "marketCode": "0",
    "marketName": "거래소",
    "upName": "전기·전자",
    "upSizeName": "대형주",
    "companyClassName": "",
    "orderWarning": "0",
    "nxtEnable": "Y",
}


def master_row(code: str, **overrides: str) -> dict[str, str]:
    return {**SAMSUNG_ROW, "code": code, "name": f"종목{code}", **overrides}


def paged(cont: bool, key: str = "") -> dict[str, str]:
    return {"cont-yn": "Y" if cont else "N", "next-key": key}


# --- ka10099 ---------------------------------------------------------------------------------------------


def test_list_stocks_reads_protocols_ka10099_example(client, serve, mocked):
    serve(STKINFO, {**OK, "list": [SAMSUNG_ROW]})

    [listing] = client.list_stocks(TOKEN, ListingMarket.KOSPI)

    assert sent_json(mocked.calls[0]) == {"mrkt_tp": "0"}
    assert mocked.calls[0].request.headers["api-id"] == "ka10099"
    assert listing.stock_code == "005930"
    assert listing.name == "삼성전자"
    assert listing.market is ListingMarket.KOSPI
    assert listing.listed_shares == 5_919_637_922  # 16-wide zero padding
    assert listing.previous_close == 70_100  # 8-wide zero padding
    assert listing.listed_on == date(1975, 6, 11)
    assert listing.state == ("증거금20%", "담보대출", "신용가능")
    assert listing.warnings == ()
    assert listing.nxt_enabled is True
    assert (listing.sector, listing.size_class, listing.market_name) == ("전기·전자", "대형주", "거래소")


@pytest.mark.parametrize(
    ("overrides", "warnings"),
    [
        ({"state": "관리종목|증거금100%"}, (StockWarning.MANAGED,)),
        ({"auditInfo": "투자주의환기종목"}, (StockWarning.CAUTION,)),
        ({"orderWarning": "5"}, (StockWarning.WARNING,)),
        ({"orderWarning": "4"}, (StockWarning.DANGER,)),
        ({"orderWarning": "2"}, (StockWarning.LIQUIDATION,)),
        ({"orderWarning": "3"}, (StockWarning.OVERHEATED,)),
        ({"orderWarning": "1"}, (StockWarning.ETF_CAUTION,)),
        ({"state": "거래정지|증거금100%"}, (StockWarning.HALTED,)),
        (
            {"state": "관리종목|거래정지", "orderWarning": "4"},
            (StockWarning.MANAGED, StockWarning.HALTED, StockWarning.DANGER),
        ),
        ({"auditInfo": "투자경고", "orderWarning": "5"}, (StockWarning.WARNING,)),  # said twice, listed once
    ],
)
def test_listing_warnings_come_from_state_audit_info_and_order_warning(client, serve, overrides, warnings):
    serve(STKINFO, {**OK, "list": [master_row("900110", **overrides)]})

    [listing] = client.list_stocks(TOKEN, "10")

    assert listing.warnings == warnings
    assert listing.market is ListingMarket.KOSDAQ


def test_warning_labels_are_the_korean_terms():
    assert StockWarning.MANAGED.label == "관리종목"
    assert StockWarning.WARNING.label == "투자경고"
    assert StockWarning.HALTED.label == "거래정지"


def test_list_stocks_follows_every_page_and_tolerates_an_empty_last_page(client, serve, mocked):
    serve(STKINFO, {**OK, "list": [master_row("000010"), master_row("000020")]}, headers=paged(True, "K1"))
    serve(STKINFO, {**OK, "list": [master_row("000030")]}, headers=paged(True, "K2"))
    serve(STKINFO, {**OK, "list": []}, headers=paged(False))

    listings = client.list_stocks(TOKEN, ListingMarket.ETF)

    assert [row.stock_code for row in listings] == ["000010", "000020", "000030"]
    assert [call.request.headers.get("next-key") for call in mocked.calls] == [None, "K1", "K2"]
    assert all(sent_json(call) == {"mrkt_tp": "8"} for call in mocked.calls)


def test_empty_optional_master_fields_read_as_none_or_false(client, serve):
    row = master_row("0004V0", listCount="", regDay="", nxtEnable="", upName="", orderWarning="")
    serve(STKINFO, {**OK, "list": [row]})

    [listing] = client.list_stocks(TOKEN, ListingMarket.KOSDAQ)

    assert listing.stock_code == "0004V0"  # alphanumeric short codes exist (PROTOCOL.md M0.5)
    assert listing.listed_shares is None
    assert listing.listed_on is None
    assert listing.nxt_enabled is False
    assert listing.order_warning == "0"


def test_an_unknown_market_is_refused_before_sending(client, mocked):
    with pytest.raises(ValueError, match="ListingMarket"):
        client.list_stocks(TOKEN, "001")
    assert not mocked.calls


# --- ka10001 as a quote -----------------------------------------------------------------------------------


def test_get_quote_reads_ka10001_with_signs_as_direction(client, serve, mocked):
    serve(
        STKINFO,
        {
            **OK,
            "stk_cd": "005930",
            "stk_nm": "삼성전자",
            "cur_prc": "-160400",
            "pre_sig": "5",
            "pred_pre": "-8700",
            "flu_rt": "-5.14",
            "trde_qty": "31734276",
            "open_pric": "-168000",
            "high_pric": "+170000",
            "low_pric": "-160000",
            "base_pric": "169100",
            "upl_pric": "+219800",
            "lst_pric": "-118400",
            "250hgst": "+169400",
            "250lwst": "-49900",
            "mac": "9512858",
        },
    )

    quote = client.get_quote(TOKEN, "005930")

    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930"}
    assert (quote.current_price, quote.change, quote.change_rate) == (160_400, -8_700, Decimal("-5.14"))
    assert (quote.open_price, quote.high_price, quote.low_price) == (168_000, 170_000, 160_000)
    assert (quote.base_price, quote.upper_limit, quote.lower_limit) == (169_100, 219_800, 118_400)
    assert (quote.volume, quote.change_sign, quote.name) == (31_734_276, "5", "삼성전자")
    assert (quote.high_250, quote.low_250, quote.market_cap) == (169_400, 49_900, 9_512_858)


def test_get_quote_of_a_venue_code_reports_the_plain_code(client, serve, mocked):
    body = {
        **OK,
        "stk_cd": "005930_NX",
        "stk_nm": "삼성전자",
        "cur_prc": "70000",
        "pred_pre": "0",
        "flu_rt": "0.00",
        "trde_qty": "0",
        "open_pric": "0",
        "high_pric": "0",
        "low_pric": "0",
        "base_pric": "70000",
        "upl_pric": "91000",
        "lst_pric": "49000",
    }
    serve(STKINFO, body)

    quote = client.get_quote(TOKEN, "005930_NX")

    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930_NX"}
    assert quote.stock_code == "005930"
    assert quote.high_250 is None  # absent optional fields


def test_get_quote_of_an_unknown_code_raises_unknown_symbol(client, serve):
    serve(
        STKINFO,
        {
            "return_code": 7,
            "return_msg": "서비스를 처리하는 중에 오류가 발생했습니다[1902:종목 정보가 없습니다]",
        },
    )
    with pytest.raises(KiwoomUnknownSymbol):
        client.get_quote(TOKEN, "999999")


# --- ka10004 ---------------------------------------------------------------------------------------------


def book_body(levels: int = 10) -> dict[str, str | int]:
    body: dict[str, str | int] = {**OK, "bid_req_base_tm": "153843"}
    for n in range(1, levels + 1):
        ask, bid = 388_000 + (n - 1) * 500, 387_500 - (n - 1) * 500
        ask_prefix = "sel_fpr" if n == 1 else f"sel_{n}th_pre"
        bid_prefix = "buy_fpr" if n == 1 else f"buy_{n}th_pre"
        body.update(
            {
                f"{ask_prefix}_bid": f"+{ask}",
                f"{ask_prefix}_req": str(1000 + n),
                f"sel_{n}th_pre_req_pre": "-3",
                f"{bid_prefix}_bid": f"{'+' if bid > 387_000 else '-'}{bid}",
                f"{bid_prefix}_req": str(2000 + n),
                f"buy_{n}th_pre_req_pre": "5",
            }
        )
    body.update(
        tot_sel_req="10055",
        tot_buy_req="20055",
        tot_sel_req_jub_pre="-30",
        tot_buy_req_jub_pre="+50",
        ovt_sel_req="0",
        ovt_buy_req="12",
        ovt_sel_req_pre="0",
        ovt_buy_req_pre="0",
    )
    return body


def test_order_book_reads_ten_levels_a_side_best_first(client, serve, mocked):
    serve(MRKCOND, book_body())

    book = client.get_order_book(TOKEN, "005930")

    assert mocked.calls[0].request.url == BASE_URL + MRKCOND
    assert mocked.calls[0].request.headers["api-id"] == "ka10004"
    assert len(book.asks) == len(book.bids) == 10
    assert book.asks[0] == BookLevel(price=388_000, quantity=1001, quantity_change=-3)
    assert book.asks[1].price == 388_500 and book.asks[-1].price == 392_500  # "2th", ..., "10th"
    assert book.bids[0] == BookLevel(price=387_500, quantity=2001, quantity_change=5)
    assert [level.price for level in book.bids] == sorted((level.price for level in book.bids), reverse=True)
    assert book.bids[-1].price == 383_000  # "-383000": below the previous close, still a positive price
    assert (book.total_ask_quantity, book.total_bid_quantity) == (10_055, 20_055)
    assert (book.after_hours_ask_quantity, book.after_hours_bid_quantity) == (0, 12)
    assert book.time == time(15, 38, 43)


def test_an_after_hours_all_zero_book_has_no_levels(client, serve):
    body = {
        key: ("0" if key.endswith(("_bid", "_req", "_pre")) else value) for key, value in book_body().items()
    }
    body["bid_req_base_tm"] = "162000"
    serve(MRKCOND, body)

    book = client.get_order_book(TOKEN, "005930")

    assert book.asks == () and book.bids == ()
    assert book.time == time(16, 20)


def test_a_book_without_a_level_price_field_is_unusable(client, serve):
    body = book_body()
    del body["sel_5th_pre_bid"]
    serve(MRKCOND, body)
    with pytest.raises(KiwoomUnavailable, match="sel_5th_pre_bid"):
        client.get_order_book(TOKEN, "005930")


# --- Charts ----------------------------------------------------------------------------------------------

DAILY_ROW = {  # PROTOCOL.md M4.2's capture
    "cur_prc": "277500",
    "trde_qty": "15620240",
    "trde_prica": "4366136",
    "dt": "20260922",
    "open_pric": "283000",
    "high_pric": "283500",
    "low_pric": "274500",
    "pred_pre": "+3500",
    "pred_pre_sig": "2",
    "trde_tern_rt": "+0.27",
}
MINUTE_ROW = {
    "cur_prc": "+277500",
    "trde_qty": "38961",
    "cntr_tm": "20260922151900",
    "open_pric": "+277750",
    "high_pric": "+278000",
    "low_pric": "+277500",
    "acc_trde_qty": "15620193",
    "pred_pre": "+3500",
    "pred_pre_sig": "2",
}


def day_rows(first: date, count: int) -> list[dict[str, str]]:
    """`count` daily rows newest first, from `first` backwards one calendar day at a time."""
    return [
        {
            **DAILY_ROW,
            "dt": date.fromordinal(first.toordinal() - i).strftime("%Y%m%d"),
            "cur_prc": str(1000 + i),
        }
        for i in range(count)
    ]


def test_daily_candles_read_protocols_capture(client, serve, mocked):
    serve(CHART, {**OK, "stk_cd": "005930", "stk_dt_pole_chart_qry": [DAILY_ROW]})

    [candle] = client.get_daily_candles(TOKEN, "005930", base_date=date(2026, 9, 22))

    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930", "base_dt": "20260922", "upd_stkpc_tp": "1"}
    assert mocked.calls[0].request.headers["api-id"] == "ka10081"
    assert candle == Candle(date(2026, 9, 22), 283_000, 283_500, 274_500, 277_500, 15_620_240)


def test_daily_candles_default_to_today_in_korea(client, serve, mocked):
    serve(CHART, {**OK, "stk_dt_pole_chart_qry": []})
    with time_machine.travel(datetime(2026, 9, 22, 16, 0, tzinfo=KST), tick=False):  # 07:00 UTC
        assert client.get_daily_candles(TOKEN, "005930", adjusted=False) == ()
    with time_machine.travel(datetime(2026, 9, 23, 0, 30, tzinfo=KST), tick=False):  # still the 22nd in UTC
        serve(CHART, {**OK, "stk_dt_pole_chart_qry": []})
        client.get_daily_candles(TOKEN, "005930")
    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930", "base_dt": "20260922", "upd_stkpc_tp": "0"}
    assert sent_json(mocked.calls[1])["base_dt"] == "20260923"


def test_candles_come_oldest_first_across_pages(client, serve, mocked):
    serve(CHART, {**OK, "stk_dt_pole_chart_qry": day_rows(date(2026, 9, 22), 3)}, headers=paged(True, "A1"))
    serve(CHART, {**OK, "stk_dt_pole_chart_qry": day_rows(date(2026, 9, 19), 2)}, headers=paged(False))

    candles = client.get_daily_candles(TOKEN, "005930", base_date="20260922")

    assert [c.time for c in candles] == [date(2026, 9, d) for d in (18, 19, 20, 21, 22)]
    assert [call.request.headers.get("cont-yn") for call in mocked.calls] == [None, "Y"]
    assert all(sent_json(call)["base_dt"] == "20260922" for call in mocked.calls)  # identical body


def test_paging_stops_once_since_is_reached(client, serve, mocked):
    serve(CHART, {**OK, "stk_dt_pole_chart_qry": day_rows(date(2026, 9, 22), 3)}, headers=paged(True, "A1"))
    serve(CHART, {**OK, "stk_dt_pole_chart_qry": day_rows(date(2026, 9, 19), 3)}, headers=paged(True, "A2"))

    candles = client.get_daily_candles(TOKEN, "005930", base_date="20260922", since=date(2026, 9, 18))

    assert len(mocked.calls) == 2  # the third page is never asked for
    assert [c.time for c in candles] == [date(2026, 9, d) for d in (18, 19, 20, 21, 22)]


def test_paging_stops_at_limit_and_keeps_the_newest(client, serve, mocked):
    serve(CHART, {**OK, "stk_dt_pole_chart_qry": day_rows(date(2026, 9, 22), 3)}, headers=paged(True, "A1"))

    candles = client.get_daily_candles(TOKEN, "005930", base_date="20260922", limit=2)

    assert len(mocked.calls) == 1
    assert [c.time for c in candles] == [date(2026, 9, 21), date(2026, 9, 22)]


@pytest.mark.parametrize(
    ("method", "api_id", "list_field"),
    [
        ("get_weekly_candles", "ka10082", "stk_stk_pole_chart_qry"),
        ("get_monthly_candles", "ka10083", "stk_mth_pole_chart_qry"),
    ],
)
def test_weekly_and_monthly_candles(client, serve, mocked, method, api_id, list_field):
    row = {**DAILY_ROW, "dt": "20250901", "trde_prica": "3922030535087"}
    serve(CHART, {**OK, list_field: [row]})

    [candle] = getattr(client, method)(TOKEN, "005930", base_date=date(2025, 9, 5))

    assert mocked.calls[0].request.headers["api-id"] == api_id
    assert candle.time == date(2025, 9, 1) and candle.close == 277_500


def test_minute_candles_read_signed_prices_and_korea_time(client, serve, mocked):
    serve(CHART, {**OK, "stk_cd": "005930", "stk_min_pole_chart_qry": [MINUTE_ROW]})

    [candle] = client.get_minute_candles(TOKEN, "005930", interval=5)

    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930", "tic_scope": "5", "upd_stkpc_tp": "1"}
    assert mocked.calls[0].request.headers["api-id"] == "ka10080"
    assert candle == Candle(
        datetime(2026, 9, 22, 15, 19, tzinfo=KST), 277_750, 278_000, 277_500, 277_500, 38_961
    )
    assert candle.time.utcoffset().total_seconds() == 9 * 3600


def test_minute_candles_since_stop_paging_and_send_base_date_when_given(client, serve, mocked):
    rows = [{**MINUTE_ROW, "cntr_tm": f"2026092215{59 - i:02d}00"} for i in range(3)]
    serve(CHART, {**OK, "stk_min_pole_chart_qry": rows}, headers=paged(True, "A0059302026092215560000010000"))

    candles = client.get_minute_candles(
        TOKEN, "005930", base_date=date(2026, 9, 22), since=datetime(2026, 9, 22, 15, 58, tzinfo=KST)
    )

    assert sent_json(mocked.calls[0])["base_dt"] == "20260922"
    assert [c.time.minute for c in candles] == [58, 59]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"interval": 2}, ValueError),
        ({"since": datetime(2026, 9, 22, 9, 0)}, ValueError),  # naive
        ({"limit": 0}, ValueError),
        ({"base_date": "2026-09-22"}, ValueError),
        ({"adjusted": 1}, TypeError),
    ],
)
def test_bad_minute_chart_arguments_are_refused_before_sending(client, mocked, kwargs, error):
    with pytest.raises(error):
        client.get_minute_candles(TOKEN, "005930", **kwargs)
    assert not mocked.calls


def test_a_datetime_base_date_is_refused(client, mocked):
    with pytest.raises(TypeError, match="Korea time"):
        client.get_daily_candles(TOKEN, "005930", base_date=datetime(2026, 9, 22, 9, 0))
    with pytest.raises(ValueError, match="since"):
        client.get_daily_candles(TOKEN, "005930", since=datetime(2026, 9, 22, 9, 0))


def test_a_rate_limited_chart_call_raises_rate_limited(client, serve):
    serve(
        CHART,
        {
            "return_code": 5,
            "return_msg": "허용된 요청 개수를 초과하였습니다[1700:허용된 API 요청 개수를 초과하였습니다. "
            "유량=1, API ID=ka10081]",
        },
        status=429,
    )
    with pytest.raises(KiwoomRateLimited):
        client.get_daily_candles(TOKEN, "005930")


# --- ka20006 ---------------------------------------------------------------------------------------------


def test_index_daily_reads_levels_times_a_hundred(client, serve, mocked):
    serve(
        CHART,
        {
            **OK,
            "inds_cd": "001",
            "inds_dt_pole_qry": [  # PROTOCOL.md M7.1's rows
                {
                    "cur_prc": "252127",
                    "trde_qty": "393564",
                    "dt": "20250210",
                    "open_pric": "251064",
                    "high_pric": "252733",
                    "low_pric": "249918",
                    "trde_prica": "10582466",
                },
                {
                    "cur_prc": "252192",
                    "trde_qty": "419872",
                    "dt": "20250207",
                    "open_pric": "253209",
                    "high_pric": "253763",
                    "low_pric": "251901",
                    "trde_prica": "10240141",
                },
            ],
        },
    )

    candles = client.get_index_daily(TOKEN, base_date=date(2025, 2, 10))

    assert sent_json(mocked.calls[0]) == {"inds_cd": "001", "base_dt": "20250210"}
    assert mocked.calls[0].request.headers["api-id"] == "ka20006"
    assert [c.date for c in candles] == [date(2025, 2, 7), date(2025, 2, 10)]
    latest = candles[-1]
    assert (latest.open, latest.high, latest.low, latest.close) == (
        Decimal("2510.64"),
        Decimal("2527.33"),
        Decimal("2499.18"),
        Decimal("2521.27"),
    )
    assert (latest.volume, latest.trading_value) == (393_564, 10_582_466)


def test_index_daily_of_kosdaq_sends_101(client, serve, mocked):
    serve(CHART, {**OK, "inds_dt_pole_qry": []})
    assert client.get_index_daily(TOKEN, KOSDAQ_INDEX, base_date="20250210") == ()
    assert sent_json(mocked.calls[0])["inds_cd"] == "101"


def test_a_malformed_index_code_is_refused(client, mocked):
    with pytest.raises(ValueError, match="index_code"):
        client.get_index_daily(TOKEN, "1")


# --- ka10095 ---------------------------------------------------------------------------------------------


def watch_row(code: str, **overrides: str) -> dict[str, str]:
    return {
        "stk_cd": code,
        "stk_nm": f"종목{code[:6]}",
        "cur_prc": "-239500",
        "base_pric": "262500",
        "pred_pre": "-23000",
        "pred_pre_sig": "5",
        "flu_rt": "-8.76",
        "trde_qty": "27393575",
        "open_pric": "-260000",
        "high_pric": "+263000",
        "low_pric": "-239000",
        "upl_pric": "+341000",
        "lst_pric": "-184000",
        "sel_bid": "-240000",
        "buy_bid": "-239500",
        "cntr_tm": "153000",
        "trde_prica": "6650000",
        **overrides,
    }


def test_get_quotes_joins_codes_with_a_bar_and_reads_rows(client, serve, mocked):
    serve(STKINFO, {**OK, "atn_stk_infr": [watch_row("005930"), watch_row("035420_NX")]})

    first, second = client.get_quotes(TOKEN, ["005930", "035420_NX", "005930"])

    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930|035420_NX"}
    assert mocked.calls[0].request.headers["api-id"] == "ka10095"
    assert (first.stock_code, first.venue, first.current_price, first.base_price) == (
        "005930",
        "KRX",
        239_500,
        262_500,
    )
    assert (first.change, first.change_rate, first.volume) == (-23_000, Decimal("-8.76"), 27_393_575)
    assert (first.best_ask, first.best_bid, first.time) == (240_000, 239_500, time(15, 30))
    assert (second.stock_code, second.venue) == ("035420", "NXT")


def test_get_quotes_sends_at_most_one_hundred_codes_per_call(client, serve, mocked):
    codes = [f"{n:06d}" for n in range(1, 251)]
    for start in (0, 100, 200):
        serve(STKINFO, {**OK, "atn_stk_infr": [watch_row(code) for code in codes[start : start + 100]]})

    quotes = client.get_quotes(TOKEN, codes)

    sizes = [len(sent_json(call)["stk_cd"].split("|")) for call in mocked.calls]
    assert sizes == [100, 100, 50]
    assert [q.stock_code for q in quotes] == codes


def test_get_quotes_of_nothing_sends_nothing(client, mocked):
    assert client.get_quotes(TOKEN, []) == ()
    assert not mocked.calls


def test_the_batch_size_refusal_1634_is_a_bad_request_not_a_rate_limit(client, serve):
    serve(STKINFO, {"return_code": 5, "return_msg": "허용된 요청 개수를 초과하였습니다[1634]"})
    with pytest.raises(KiwoomBadRequest) as caught:
        client.get_quotes(TOKEN, ["005930"])
    assert caught.value.code == "1634"


def test_get_quotes_refuses_a_single_string_and_malformed_codes(client, mocked):
    with pytest.raises(TypeError):
        client.get_quotes(TOKEN, "005930")
    with pytest.raises(ValueError):
        client.get_quotes(TOKEN, ["005930", "5930"])
    assert not mocked.calls


# --- kt00011 ---------------------------------------------------------------------------------------------

KT00011 = {  # PROTOCOL.md M6.7's example
    "stk_profa_rt": "20%",
    "profa_rt": "100%",
    "aplc_rt": "100%",
    "profa_20ord_alow_amt": "",
    "profa_20ord_alowq": "",
    "profa_100ord_alow_amt": "",
    "profa_100ord_alowq": "",
    "min_ord_alow_amt": "000000063380",
    "min_ord_alowq": "000000000000",
    "min_pred_reu_amt": "000000027194",
    "min_tdy_reu_amt": "000000000000",
    "entr": "000000017534",
    "repl_amt": "000003915500",
    "uncla": "000000000000",
    "ord_pos_repl": "000003915500",
    "ord_alowa": "000000085341",
    "return_code": 0,
    "return_msg": "자료를 조회하였습니다.",
}


def test_orderable_quantity_reads_protocols_kt00011_example(client, serve, mocked):
    serve(ACCOUNT, KT00011)

    result = client.get_orderable_quantity(TOKEN, "005930")

    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930", "uv": ""}
    assert mocked.calls[0].request.headers["api-id"] == "kt00011"
    assert result.applied_margin_rate == Decimal(100) and result.stock_margin_rate == Decimal(20)
    assert (result.cash_orderable_amount, result.cash_orderable_quantity) == (63_380, 0)
    assert (result.deposit, result.orderable_cash, result.substitute_amount) == (17_534, 85_341, 3_915_500)
    assert result.margin_orderable_amount is None and result.margin_orderable_quantity is None
    assert result.price is None


def test_orderable_quantity_at_a_price_reads_the_applied_tier(client, serve, mocked):
    serve(
        ACCOUNT,
        {
            **KT00011,
            "aplc_rt": "40%",
            "profa_40ord_alow_amt": "000000500000",
            "profa_40ord_alowq": "000000000007",
            "min_ord_alowq": "000000000002",
        },
    )

    result = client.get_orderable_quantity(TOKEN, "005930", price=70_000)

    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930", "uv": "70000"}
    assert (result.margin_orderable_amount, result.margin_orderable_quantity) == (500_000, 7)
    assert result.cash_orderable_quantity == 2 and result.price == 70_000


@pytest.mark.parametrize(
    ("price", "error"), [(0, ValueError), (-5, ValueError), ("70000", TypeError), (True, TypeError)]
)
def test_orderable_quantity_refuses_a_bad_price_before_sending(client, mocked, price, error):
    with pytest.raises(error):
        client.get_orderable_quantity(TOKEN, "005930", price=price)
    assert not mocked.calls


def test_orderable_quantity_takes_a_plain_code_only(client, mocked):
    with pytest.raises(ValueError):
        client.get_orderable_quantity(TOKEN, "005930_NX")


# --- Cross-cutting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_stocks("", ListingMarket.KOSPI),
        lambda c: c.get_quote("bad token", "005930"),
        lambda c: c.get_order_book("", "005930"),
        lambda c: c.get_daily_candles("", "005930"),
        lambda c: c.get_quotes("", ["005930"]),
        lambda c: c.get_orderable_quantity("", "005930"),
        lambda c: c.get_index_daily("", "001"),
    ],
)
def test_a_malformed_token_is_refused_before_sending(client, mocked, call):
    with pytest.raises(ValueError):
        call(client)
    assert not mocked.calls


def test_each_page_passes_the_throttle(serve):
    seen = []
    with KiwoomClient(BASE_URL, throttle=lambda api_id, token: seen.append(api_id)) as throttled:
        serve(
            CHART, {**OK, "stk_dt_pole_chart_qry": day_rows(date(2026, 9, 22), 1)}, headers=paged(True, "A")
        )
        serve(CHART, {**OK, "stk_dt_pole_chart_qry": day_rows(date(2026, 9, 21), 1)}, headers=paged(False))
        throttled.get_daily_candles(TOKEN, "005930", base_date="20260922")
    assert seen == ["ka10081", "ka10081"]


def test_market_data_results_are_frozen(client, serve):
    serve(CHART, {**OK, "stk_dt_pole_chart_qry": [DAILY_ROW]})
    [candle] = client.get_daily_candles(TOKEN, "005930")
    with pytest.raises(AttributeError):
        candle.close = 1  # type: ignore[misc]
