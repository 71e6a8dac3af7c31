"""KiwoomClient against Kiwoom's wire format (PROTOCOL.md, examples.json), over mocked and real sockets."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses

from brokerage import kiwoom
from brokerage.kiwoom import KiwoomClient, OrderSide, TradeType

from .helpers import APP_KEY, APP_SECRET, BASE_URL, TOKEN, assert_no_secret, sent_json

ACCOUNT = "/api/dostk/acnt"
ORDER = "/api/dostk/ordr"
OK = {"return_code": 0, "return_msg": "조회가 완료되었습니다"}


def holding_row(code: str, quantity: int, **overrides: str) -> dict[str, str]:
    row = {
        "stk_cd": f"A{code}",
        "stk_nm": f"종목{code}",
        "evltv_prft": "000000000000000",
        "prft_rt": "0.00",
        "pur_pric": "000000000010000",
        "pred_close_pric": "000000010000",
        "rmnd_qty": f"{quantity:015d}",
        "trde_able_qty": f"{quantity:015d}",
        "cur_prc": "000000010000",
        "pur_amt": f"{quantity * 10000:015d}",
        "evlt_amt": f"{quantity * 10000:015d}",
        "poss_rt": "0.00",
    }
    row.update(overrides)
    return row


def balance_page(rows: list[dict[str, str]]) -> dict:
    return {
        "tot_pur_amt": "000000000100000",
        "tot_evlt_amt": "000000000100000",
        "tot_evlt_pl": "000000000000000",
        "tot_prft_rt": "0.00",
        "prsm_dpst_aset_amt": "000000010000000",
        "acnt_evlt_remn_indv_tot": rows,
        **OK,
    }


# --- OAuth -----------------------------------------------------------------------------------------------


def test_issue_token_posts_client_credentials_to_oauth_token(client, serve, mocked, examples):
    serve("/oauth2/token", examples["au10001"]["response"]["body"])
    client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
    request = mocked.calls[0].request
    assert request.url == f"{BASE_URL}/oauth2/token"
    assert sent_json(mocked.calls[0]) == {
        "grant_type": "client_credentials",
        "appkey": APP_KEY,
        "secretkey": APP_SECRET,
    }
    assert request.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert request.headers["api-id"] == "au10001"
    assert "authorization" not in request.headers


def test_issue_token_returns_the_token_with_an_aware_utc_expiry(client, serve, examples):
    body = examples["au10001"]["response"]["body"]
    serve("/oauth2/token", body)
    token = client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
    assert token.token == body["token"]
    assert token.token_type == "Bearer"
    # expires_dt 20250716093000 is Korea time: 00:30 UTC, not 09:30.
    assert token.expires_at == datetime(2025, 7, 16, 0, 30, tzinfo=UTC)


def test_expires_dt_is_read_as_korea_time_under_any_host_time_zone(client, serve, examples, host_time_zone):
    host_time_zone("America/Los_Angeles")
    serve("/oauth2/token", {**examples["au10001"]["response"]["body"], "expires_dt": "20241107083713"})
    token = client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
    assert token.expires_at == datetime(2024, 11, 6, 23, 37, 13, tzinfo=UTC)


def test_a_token_type_other_than_bearer_is_unusable(client, serve, examples):
    serve("/oauth2/token", {**examples["au10001"]["response"]["body"], "token_type": "MAC"})
    with pytest.raises(kiwoom.KiwoomUnavailable):
        client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)


@pytest.mark.parametrize("field", ["token", "expires_dt"])
def test_a_token_response_missing_a_field_is_unusable(client, serve, examples, field):
    body = examples["au10001"]["response"]["body"]
    del body[field]
    serve("/oauth2/token", body)
    with pytest.raises(kiwoom.KiwoomUnavailable, match=field):
        client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)


def test_token_repr_and_str_never_show_the_token(client, serve, examples):
    serve("/oauth2/token", examples["au10001"]["response"]["body"])
    token = client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
    assert TOKEN not in repr(token)
    assert TOKEN not in str(token)
    assert TOKEN not in f"{token!r} {token}"
    assert "2025-07-16T00:30:00+00:00" in repr(token)


def test_refused_app_key_raises_invalid_credentials_with_code_8001(client, serve, examples):
    serve("/oauth2/token", examples["au10001"]["variants"]["bad_app_key"]["body"])
    with pytest.raises(kiwoom.KiwoomInvalidCredentials) as caught:
        client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
    assert caught.value.code == "8001"
    assert caught.value.return_code == 3
    assert caught.value.message == "App Key와 Secret Key 검증에 실패했습니다"
    assert caught.value.api_id == "au10001"
    assert caught.value.http_status == 200


def test_unregistered_ip_raises_device_not_allowed_with_code_8050(client, serve, examples):
    serve("/oauth2/token", examples["au10001"]["variants"]["ip_not_registered_real"]["body"])
    with pytest.raises(kiwoom.KiwoomDeviceNotAllowed) as caught:
        client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
    assert caught.value.code == "8050"


def test_keys_echoed_in_a_kiwoom_message_are_redacted(client, serve):
    serve(
        "/oauth2/token",
        {
            "return_code": 3,
            "return_msg": f"인증에 실패했습니다[8002:검증 실패 appkey={APP_KEY} secret={APP_SECRET}]",
        },
    )
    with pytest.raises(kiwoom.KiwoomInvalidCredentials) as caught:
        client.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
    assert_no_secret(str(caught.value))
    assert_no_secret(repr(caught.value))
    assert_no_secret(caught.value.message)
    assert caught.value.code == "8002"


def test_revoke_token_posts_keys_and_raw_token(client, serve, mocked, examples):
    serve("/oauth2/revoke", examples["au10002"]["response"]["body"])
    assert client.revoke_token(app_key=APP_KEY, app_secret=APP_SECRET, token=TOKEN) is None
    assert mocked.calls[0].request.url == f"{BASE_URL}/oauth2/revoke"
    assert mocked.calls[0].request.headers["api-id"] == "au10002"
    assert sent_json(mocked.calls[0]) == {"appkey": APP_KEY, "secretkey": APP_SECRET, "token": TOKEN}


def test_failed_revoke_raises_invalid_token_without_the_token_in_the_message(client, serve, examples):
    serve("/oauth2/revoke", examples["au10002"]["variants"]["missing_token"]["body"])
    with pytest.raises(kiwoom.KiwoomInvalidToken) as caught:
        client.revoke_token(app_key=APP_KEY, app_secret=APP_SECRET, token=TOKEN)
    assert caught.value.code == "8016"
    assert_no_secret(str(caught.value))


# --- Request mechanics -----------------------------------------------------------------------------------


def test_every_body_value_is_sent_as_a_string(client, serve, mocked, examples):
    serve(ORDER, examples["kt10000"]["response"]["body"])
    client.place_order(
        TOKEN, side=OrderSide.BUY, stock_code="005930", quantity=10, trade_type="0", price=70000
    )
    body = sent_json(mocked.calls[0])
    assert body["ord_qty"] == "10"
    assert body["ord_uv"] == "70000"
    assert all(isinstance(value, str) for value in body.values())


def test_calls_carry_json_content_type_api_id_bearer_token_and_user_agent(serve, mocked, examples):
    serve(ACCOUNT, examples["kt00018"]["response"]["body"])
    with KiwoomClient(BASE_URL, user_agent="StockLab-test/9") as custom:
        custom.get_balance(TOKEN)
    headers = mocked.calls[0].request.headers
    assert headers["Content-Type"] == "application/json;charset=UTF-8"
    assert headers["api-id"] == "kt00018"
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"] == "StockLab-test/9"


def test_the_first_page_is_sent_without_continuation_headers(client, serve, mocked, examples):
    serve(ACCOUNT, examples["kt00018"]["response"]["body"])
    client.get_balance(TOKEN)
    headers = mocked.calls[0].request.headers
    assert "cont-yn" not in headers
    assert "next-key" not in headers


def test_every_call_has_a_connect_and_a_read_timeout(serve, mocked, examples):
    serve("/oauth2/token", examples["au10001"]["response"]["body"])
    serve(ACCOUNT, examples["kt00018"]["response"]["body"])
    serve(ORDER, examples["kt10001"]["response"]["body"])
    serve("/oauth2/revoke", examples["au10002"]["response"]["body"])
    with KiwoomClient(BASE_URL, connect_timeout=1.5, read_timeout=7.0) as custom:
        custom.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
        custom.get_balance(TOKEN)
        custom.place_order(TOKEN, side="sell", stock_code="005930", quantity=1, trade_type="3", price=None)
        custom.revoke_token(app_key=APP_KEY, app_secret=APP_SECRET, token=TOKEN)
    assert len(mocked.calls) == 4
    assert [call.request.req_kwargs["timeout"] for call in mocked.calls] == [(1.5, 7.0)] * 4


def test_default_timeouts_are_3_05_seconds_to_connect_and_10_to_read(client, serve, mocked, examples):
    serve(ACCOUNT, examples["kt00018"]["response"]["body"])
    client.get_balance(TOKEN)
    assert mocked.calls[0].request.req_kwargs["timeout"] == (3.05, 10.0)


def test_redirects_are_not_followed(client, mocked):
    mocked.add(
        responses.POST, f"{BASE_URL}{ORDER}", status=302, headers={"Location": f"{BASE_URL}/elsewhere"}
    )
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert caught.value.request_sent is True
    assert len(mocked.calls) == 1


def test_the_clients_own_session_never_retries():
    with KiwoomClient(BASE_URL) as own:
        for url in (BASE_URL, "http://127.0.0.1:1"):
            retries = own._session.get_adapter(url).max_retries
            assert retries.total == 0
            assert not retries.connect
            assert not retries.read


def test_a_supplied_session_is_used_and_left_open(serve, mocked, examples):
    serve(ACCOUNT, examples["kt00018"]["response"]["body"])
    session = requests.Session()
    session.headers["X-Trace"] = "from-the-caller"
    closes = []
    session.close = lambda: closes.append("closed")
    with KiwoomClient(BASE_URL, session=session) as custom:
        custom.get_balance(TOKEN)
    assert mocked.calls[0].request.headers["X-Trace"] == "from-the-caller"
    assert closes == []  # the caller's session is the caller's to close


def test_its_own_session_is_closed_with_the_client():
    client = KiwoomClient(BASE_URL)
    closes = []
    client._session.close = lambda: closes.append("closed")

    client.close()

    assert closes == ["closed"]


def test_proxy_variables_are_read_when_the_client_is_made(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with KiwoomClient(BASE_URL) as proxied:
        assert proxied._session.proxies["https"] == "http://proxy.internal:3128"
    monkeypatch.setenv("NO_PROXY", "mockapi.kiwoom.com")
    with KiwoomClient(BASE_URL) as direct:
        assert "https" not in direct._session.proxies


def test_a_netrc_entry_adds_no_credentials_to_kiwoom_requests(tmp_path, monkeypatch, serve, mocked, examples):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine mockapi.kiwoom.com login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    serve("/oauth2/token", examples["au10001"]["response"]["body"])
    with KiwoomClient(BASE_URL) as own:
        own.issue_token(app_key=APP_KEY, app_secret=APP_SECRET)
    assert "Authorization" not in mocked.calls[0].request.headers


@pytest.mark.parametrize("bad_token", ["", "two words", "line\nbreak", None])
def test_a_malformed_token_is_refused_before_anything_is_sent(client, mocked, bad_token):
    with pytest.raises(ValueError) as caught:
        client.get_balance(bad_token)
    assert len(mocked.calls) == 0
    if bad_token:
        assert bad_token not in str(caught.value)


def test_throttle_is_called_before_every_request_including_each_page(mocked, serve, examples):
    calls: list[tuple[str, str | None]] = []
    page = examples["kt00018"]["response"]["body"]
    serve(ACCOUNT, page, headers={"cont-yn": "Y", "next-key": "k1"})
    serve(ACCOUNT, page)
    serve(ORDER, examples["kt10001"]["response"]["body"])
    with KiwoomClient(BASE_URL, throttle=lambda api_id, token: calls.append((api_id, token))) as custom:
        custom.get_balance(TOKEN)
        custom.place_order(TOKEN, side="sell", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert calls == [("kt00018", TOKEN), ("kt00018", TOKEN), ("kt10001", TOKEN)]


def test_the_package_imports_nothing_from_the_project_or_django():
    root = Path(__file__).resolve().parents[3]
    code = (
        "import sys, brokerage.kiwoom\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'rest_framework', 'stocklab', 'accounts', 'kiwoom_sim', 'celery'} "
        "or (m.startswith('brokerage.') and not m.startswith('brokerage.kiwoom')))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


# --- Paging ----------------------------------------------------------------------------------------------


def test_balance_follows_cont_yn_and_next_key_across_three_pages(client, serve, mocked):
    serve(ACCOUNT, balance_page([holding_row("005930", 1)]), headers={"cont-yn": "Y", "next-key": "key-1"})
    serve(ACCOUNT, balance_page([holding_row("000660", 2)]), headers={"cont-yn": "Y", "next-key": "key-2"})
    serve(ACCOUNT, balance_page([holding_row("035420", 3)]), headers={"cont-yn": "N", "next-key": ""})
    balance = client.get_balance(TOKEN)
    assert [h.stock_code for h in balance.holdings] == ["005930", "000660", "035420"]
    assert [h.quantity for h in balance.holdings] == [1, 2, 3]
    second, third = mocked.calls[1].request.headers, mocked.calls[2].request.headers
    assert (second["cont-yn"], second["next-key"]) == ("Y", "key-1")
    assert (third["cont-yn"], third["next-key"]) == ("Y", "key-2")
    # The identical body is repeated on every page.
    assert sent_json(mocked.calls[0]) == sent_json(mocked.calls[1]) == sent_json(mocked.calls[2])
    assert sent_json(mocked.calls[0]) == {"qry_tp": "1", "dmst_stex_tp": "KRX"}


def test_continuation_headers_are_read_case_insensitively(client, serve, mocked):
    serve(ACCOUNT, balance_page([holding_row("005930", 1)]), headers={"Cont-Yn": "Y", "Next-Key": "NEXT"})
    serve(ACCOUNT, balance_page([holding_row("000660", 2)]), headers={"CONT-YN": "N"})
    balance = client.get_balance(TOKEN)
    assert len(balance.holdings) == 2
    assert mocked.calls[1].request.headers["next-key"] == "NEXT"


def test_a_lower_case_y_also_continues(client, serve):
    serve(ACCOUNT, balance_page([holding_row("005930", 1)]), headers={"cont-yn": "y", "next-key": "k"})
    serve(ACCOUNT, balance_page([holding_row("000660", 2)]))
    assert len(client.get_balance(TOKEN).holdings) == 2


def test_paging_gives_up_after_max_pages(serve, mocked):
    for _ in range(3):
        serve(
            ACCOUNT, balance_page([holding_row("005930", 1)]), headers={"cont-yn": "Y", "next-key": "again"}
        )
    with KiwoomClient(BASE_URL, max_pages=3) as custom, pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        custom.get_balance(TOKEN)
    assert len(mocked.calls) == 3
    assert "3 pages" in str(caught.value)


def test_fills_are_concatenated_across_pages_in_order(client, serve, examples):
    body = examples["ka10076"]["response"]["body"]
    first, second = body["cntr"]
    serve(ACCOUNT, {**body, "cntr": [first]}, headers={"cont-yn": "Y", "next-key": "0000140"})
    serve(ACCOUNT, {**body, "cntr": [second]})
    assert [fill.order_number for fill in client.get_fills(TOKEN)] == ["0000140", "0000139"]


def test_an_error_on_a_later_page_raises(client, serve, examples):
    serve(ACCOUNT, balance_page([holding_row("005930", 1)]), headers={"cont-yn": "Y", "next-key": "k"})
    serve(ACCOUNT, examples["_common_errors"]["rate_limited_real"]["body"], status=429)
    with pytest.raises(kiwoom.KiwoomRateLimited):
        client.get_balance(TOKEN)


# --- Balance and deposit ---------------------------------------------------------------------------------


def test_balance_reads_the_summary_and_holdings_of_kt00018(client, serve, examples):
    serve(ACCOUNT, examples["kt00018"]["response"]["body"])
    balance = client.get_balance(TOKEN)
    assert balance.summary == kiwoom.BalanceSummary(
        total_purchase=1_240_000,
        total_evaluation=1_246_500,
        total_profit_loss=3_907,
        total_return_rate=Decimal("0.32"),
        estimated_deposit_asset=10_000_000,
    )
    samsung, hynix = balance.holdings
    assert samsung == kiwoom.Holding(
        stock_code="005930",
        name="삼성전자",
        quantity=10,
        tradable_quantity=10,
        average_price=70_000,
        current_price=72_000,
        previous_close=71_500,
        purchase_amount=700_000,
        evaluation_amount=720_000,
        profit_loss=18_504,
        return_rate=Decimal("2.64"),
        weight=Decimal("56.45"),
    )
    assert hynix.stock_code == "000660"
    assert hynix.profit_loss == -14_597  # "-00000000014597"
    assert hynix.return_rate == Decimal("-2.70")


def test_balance_current_price_is_the_absolute_value_of_a_signed_price(client, serve):
    row = holding_row("011200", 5, cur_prc="-000000021530", pred_close_pric="+000000022000")
    serve(ACCOUNT, balance_page([row]))
    holding = client.get_balance(TOKEN).holdings[0]
    assert holding.current_price == 21_530
    assert holding.previous_close == 22_000


def test_balance_leaves_out_rows_sold_out_today(client, serve):
    serve(ACCOUNT, balance_page([holding_row("005930", 0), holding_row("000660", 3)]))
    assert [h.stock_code for h in client.get_balance(TOKEN).holdings] == ["000660"]


def test_an_account_without_holdings_has_an_empty_tuple(client, serve):
    serve(ACCOUNT, balance_page([]))
    balance = client.get_balance(TOKEN)
    assert balance.holdings == ()


def test_all_blank_placeholder_rows_are_ignored(client, serve):
    blank = dict.fromkeys(holding_row("005930", 1), "")
    serve(ACCOUNT, balance_page([blank]))
    assert client.get_balance(TOKEN).holdings == ()


def test_a_malformed_number_makes_the_response_unusable(client, serve):
    serve(ACCOUNT, balance_page([holding_row("005930", 1, evlt_amt="12O00")]))
    with pytest.raises(kiwoom.KiwoomUnavailable, match="evlt_amt"):
        client.get_balance(TOKEN)


def test_a_missing_field_makes_the_response_unusable(client, serve):
    row = holding_row("005930", 1)
    del row["cur_prc"]
    serve(ACCOUNT, balance_page([row]))
    with pytest.raises(kiwoom.KiwoomUnavailable, match="cur_prc"):
        client.get_balance(TOKEN)


def test_results_are_frozen(client, serve, examples):
    serve(ACCOUNT, examples["kt00018"]["response"]["body"])
    balance = client.get_balance(TOKEN)
    with pytest.raises(AttributeError):
        balance.holdings[0].quantity = 99


def test_deposit_reads_kt00001_including_a_negative_orderable_amount(client, serve, mocked):
    serve(
        ACCOUNT,
        {
            "entr": "000000010000000",
            "ord_alow_amt": "-00000008042765",
            "pymn_alow_amt": "000000001957235",
            "d2_entra": "000000009990000",
            "profa_ch": "000000000000000",
            **OK,
        },
    )
    deposit = client.get_deposit(TOKEN)
    assert deposit == kiwoom.Deposit(
        deposit=10_000_000, orderable_amount=-8_042_765, withdrawable_amount=1_957_235, d2_deposit=9_990_000
    )
    assert mocked.calls[0].request.headers["api-id"] == "kt00001"
    assert sent_json(mocked.calls[0]) == {"qry_tp": "3"}


# --- Stock info ------------------------------------------------------------------------------------------


def test_stock_info_reads_ka10001_with_absolute_prices(client, serve, mocked):
    serve(
        "/api/dostk/stkinfo",
        {
            "stk_cd": "005930",
            "stk_nm": "삼성전자",
            "cur_prc": "-71900",
            "base_pric": "72000",
            "upl_pric": "+93600",
            "lst_pric": "-50400",
            **OK,
        },
    )
    info = client.get_stock_info(TOKEN, "005930")
    assert info == kiwoom.StockInfo(
        stock_code="005930",
        name="삼성전자",
        current_price=71_900,
        base_price=72_000,
        upper_limit=93_600,
        lower_limit=50_400,
    )
    assert mocked.calls[0].request.headers["api-id"] == "ka10001"
    assert sent_json(mocked.calls[0]) == {"stk_cd": "005930"}


def test_an_unknown_stock_raises_unknown_symbol(client, serve, examples):
    serve("/api/dostk/stkinfo", examples["kt10000"]["variants"]["rejected_unknown_stock"]["body"])
    with pytest.raises(kiwoom.KiwoomUnknownSymbol) as caught:
        client.get_stock_info(TOKEN, "999999")
    assert caught.value.code == "1902"


@pytest.mark.parametrize("code", ["5930", "0059301", "A005930", "00593a", 5930])
def test_a_malformed_stock_code_is_refused_before_sending(client, mocked, code):
    with pytest.raises(ValueError):
        client.get_stock_info(TOKEN, code)
    with pytest.raises(ValueError):
        client.place_order(TOKEN, side="buy", stock_code=code, quantity=1, trade_type="3", price=None)
    assert len(mocked.calls) == 0


# --- Orders ----------------------------------------------------------------------------------------------


def test_a_limit_buy_is_kt10000_with_the_example_body(client, serve, mocked, examples):
    serve(ORDER, examples["kt10000"]["response"]["body"])
    ack = client.place_order(
        TOKEN, side=OrderSide.BUY, stock_code="005930", quantity=10, trade_type=TradeType.LIMIT, price=70000
    )
    assert mocked.calls[0].request.url == f"{BASE_URL}{ORDER}"
    assert mocked.calls[0].request.headers["api-id"] == "kt10000"
    assert sent_json(mocked.calls[0]) == examples["kt10000"]["request"]["body"]
    assert ack == kiwoom.OrderAck(order_number="0000139", exchange="KRX", message="모의투자 매수주문완료")


def test_a_market_sell_is_kt10001_with_an_empty_price(client, serve, mocked, examples):
    serve(ORDER, examples["kt10001"]["response"]["body"])
    ack = client.place_order(TOKEN, side="sell", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert mocked.calls[0].request.headers["api-id"] == "kt10001"
    assert sent_json(mocked.calls[0]) == examples["kt10001"]["request"]["body"]
    assert ack.order_number == "0000140"
    assert ack.message == "매도주문이 완료되었습니다."


def test_a_stop_limit_order_sends_the_condition_price(client, serve, mocked, examples):
    serve(ORDER, examples["kt10000"]["response"]["body"])
    client.place_order(
        TOKEN,
        side="buy",
        stock_code="005930",
        quantity=1,
        trade_type="28",
        price=71000,
        condition_price=70500,
    )
    body = sent_json(mocked.calls[0])
    assert (body["trde_tp"], body["ord_uv"], body["cond_uv"]) == ("28", "71000", "70500")


@pytest.mark.parametrize("trade_type", [t for t in TradeType if t.requires_price])
def test_types_that_take_a_price_refuse_to_go_without_one(client, mocked, trade_type):
    with pytest.raises(ValueError, match="needs a price"):
        client.place_order(
            TOKEN, side="buy", stock_code="005930", quantity=1, trade_type=trade_type, price=None
        )
    assert len(mocked.calls) == 0


@pytest.mark.parametrize("trade_type", [t for t in TradeType if not t.requires_price])
def test_types_without_a_price_refuse_one(client, mocked, trade_type):
    with pytest.raises(ValueError, match="takes no price"):
        client.place_order(
            TOKEN, side="buy", stock_code="005930", quantity=1, trade_type=trade_type, price=70000
        )
    assert len(mocked.calls) == 0


def test_price_requirement_matches_protocol_section_4_3():
    assert {t.value for t in TradeType if t.requires_price} == {"0", "5", "10", "20", "28", "62"}
    assert {t.value for t in TradeType} == {
        "0", "3", "5", "6", "7", "10", "13", "16", "20", "23", "26", "28", "29", "30", "31", "61", "62", "81",
    }  # fmt: skip
    assert TradeType.MARKET.label.startswith("시장가")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"quantity": 0}, ValueError),
        ({"quantity": -1}, ValueError),
        ({"quantity": "1"}, TypeError),
        ({"quantity": True}, TypeError),
        ({"trade_type": "1"}, ValueError),  # there is no code 1
        ({"trade_type": "00"}, ValueError),  # two-digit legacy form
        ({"side": "short"}, ValueError),
        ({"exchange": "NASDAQ"}, ValueError),
        ({"price": 0, "trade_type": "0"}, ValueError),
        ({"price": 70000.0, "trade_type": "0"}, TypeError),
    ],
)
def test_invalid_order_arguments_are_refused_before_sending(client, mocked, kwargs, error):
    arguments = {"side": "buy", "stock_code": "005930", "quantity": 1, "trade_type": "3", "price": None}
    with pytest.raises(error):
        client.place_order(TOKEN, **{**arguments, **kwargs})
    assert len(mocked.calls) == 0


REJECTIONS = [
    ("rejected_market_closed_mock", kiwoom.KiwoomOrderRejected, "RC4058", "모의투자 장종료"),
    ("rejected_before_open_mock", kiwoom.KiwoomOrderRejected, "RC4057", "모의투자 장시작전"),
    ("rejected_tick_size_mock", kiwoom.KiwoomOrderRejected, "RC4003", "모의투자 호가단위 오류입니다."),
    (
        "rejected_insufficient_margin_mock",
        kiwoom.KiwoomOrderRejected,
        "RC4025",
        "모의투자 매수증거금이 부족합니다.",
    ),
    (
        "rejected_nxt_on_mock",
        kiwoom.KiwoomOrderRejected,
        "RC9000",
        "모의투자에서는 해당업무가 제공되지 않습니다.",
    ),
    ("rejected_unknown_stock", kiwoom.KiwoomUnknownSymbol, "1902", None),
    ("rejected_missing_field", kiwoom.KiwoomBadRequest, "1511", None),
    ("rate_limited_mock", kiwoom.KiwoomRateLimited, "1700", None),
]


@pytest.mark.parametrize(("variant", "cls", "code", "message"), REJECTIONS)
def test_order_rejections_raise_the_right_class_with_kiwoom_code_and_message(
    client, serve, mocked, examples, variant, cls, code, message
):
    answer = examples["kt10000"]["variants"][variant]
    serve(ORDER, answer["body"], status=answer["status"])
    with pytest.raises(cls) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=10, trade_type="0", price=70000)
    assert caught.value.code == code
    assert caught.value.return_code == answer["body"]["return_code"]
    assert caught.value.http_status == answer["status"]
    assert caught.value.api_id == "kt10000"
    if message is not None:
        assert caught.value.message == message
    assert len(mocked.calls) == 1


def test_insufficient_sellable_quantity_is_an_order_rejection(client, serve, examples):
    serve(ORDER, examples["kt10001"]["variants"]["rejected_insufficient_sellable_qty_mock"]["body"])
    with pytest.raises(kiwoom.KiwoomOrderRejected) as caught:
        client.place_order(TOKEN, side="sell", stock_code="005930", quantity=99, trade_type="3", price=None)
    assert (caught.value.code, caught.value.message) == ("800033", "모의투자 매도가능수량이 부족합니다.")


def test_missing_price_rejection_with_return_code_2000_is_an_order_rejection(client, serve):
    serve(ORDER, {"return_code": 2000, "return_msg": "[2000](308003:주문단가를 입력하십시요)"})
    with pytest.raises(kiwoom.KiwoomOrderRejected) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="0", price=70000)
    assert caught.value.code == "308003"


@pytest.mark.parametrize("body", [{"dmst_stex_tp": "KRX"}, {"ord_no": "", "dmst_stex_tp": "KRX"}])
def test_an_accepted_order_without_an_order_number_is_outcome_unknown(client, serve, body):
    serve(ORDER, {**body, "return_code": 0, "return_msg": "모의투자 매수주문완료"})
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert caught.value.request_sent is True


def test_an_accepted_order_with_odd_secondary_fields_still_returns_its_number(client, serve):
    # The order exists once Kiwoom gives its number; a surprise elsewhere must not turn it into "unknown".
    serve(
        ORDER, {"ord_no": "0000139", "dmst_stex_tp": 1, "mdfy_qty": "x", "return_code": 0, "return_msg": "ok"}
    )
    ack = client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert (ack.order_number, ack.exchange, ack.quantity, ack.base_order_number) == (
        "0000139",
        "KRX",
        None,
        None,
    )


def test_modify_is_kt10002_and_returns_the_new_number_and_the_root_order(client, serve, mocked):
    serve(
        ORDER,
        {
            "ord_no": "0000140",
            "base_orig_ord_no": "0000139",
            "mdfy_qty": "000000000001",
            "dmst_stex_tp": "KRX",
            "return_code": 0,
            "return_msg": "매수정정 주문입력이 완료되었습니다",
        },
    )
    ack = client.modify_order(
        TOKEN, original_order_number="0000139", stock_code="005930", quantity=1, price=69900
    )
    assert mocked.calls[0].request.headers["api-id"] == "kt10002"
    assert sent_json(mocked.calls[0]) == {
        "dmst_stex_tp": "KRX",
        "orig_ord_no": "0000139",
        "stk_cd": "005930",
        "mdfy_qty": "1",
        "mdfy_uv": "69900",
        "mdfy_cond_uv": "",
    }
    assert ack == kiwoom.OrderAck(
        order_number="0000140",
        exchange="KRX",
        message="매수정정 주문입력이 완료되었습니다",
        base_order_number="0000139",
        quantity=1,
    )


def test_cancel_is_kt10003_and_quantity_zero_means_the_whole_remainder(client, serve, mocked):
    serve(
        ORDER,
        {
            "ord_no": "0000141",
            "base_orig_ord_no": "0000139",
            "cncl_qty": "000000000010",
            "dmst_stex_tp": "KRX",
            "return_code": 0,
            "return_msg": "매수취소 주문입력이 완료되었습니다",
        },
    )
    ack = client.cancel_order(TOKEN, original_order_number="0000140", stock_code="005930")
    assert mocked.calls[0].request.headers["api-id"] == "kt10003"
    assert sent_json(mocked.calls[0]) == {
        "dmst_stex_tp": "KRX",
        "orig_ord_no": "0000140",
        "stk_cd": "005930",
        "cncl_qty": "0",
    }
    assert (ack.order_number, ack.base_order_number, ack.quantity) == ("0000141", "0000139", 10)


@pytest.mark.parametrize("number", ["", "12345678", "abc", None])
def test_modify_and_cancel_refuse_a_malformed_original_order_number(client, mocked, number):
    with pytest.raises(ValueError):
        client.cancel_order(TOKEN, original_order_number=number, stock_code="005930")
    with pytest.raises(ValueError):
        client.modify_order(TOKEN, original_order_number=number, stock_code="005930", quantity=0, price=70000)
    assert len(mocked.calls) == 0


# --- Open orders, fills, order details -------------------------------------------------------------------


def test_open_orders_read_ka10075(client, serve, mocked, examples):
    serve(ACCOUNT, examples["ka10075"]["response"]["body"])
    (order,) = client.get_open_orders(TOKEN)
    assert order == kiwoom.OpenOrder(
        order_number="0000142",
        original_order_number=None,  # "0000000"
        stock_code="005930",
        name="삼성전자",
        side=OrderSide.BUY,
        status_text="접수",
        order_quantity=5,
        order_price=69_500,
        remaining_quantity=5,
        filled_amount=0,
        trade_type_text="보통",
        time_text="101503",
    )
    assert mocked.calls[0].request.headers["api-id"] == "ka10075"
    assert sent_json(mocked.calls[0]) == {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"}


def test_open_orders_for_one_stock_send_all_stk_tp_1(client, serve, mocked, examples):
    serve(ACCOUNT, examples["ka10075"]["response"]["body"])
    client.get_open_orders(TOKEN, stock_code="005930")
    assert sent_json(mocked.calls[0]) == examples["ka10075"]["request"]["body"]


@pytest.mark.parametrize(("text", "side"), [("-매도정정", OrderSide.SELL), ("매수취소", OrderSide.BUY)])
def test_open_order_side_covers_modify_and_cancel_variants(client, serve, examples, text, side):
    body = examples["ka10075"]["response"]["body"]
    body["oso"][0]["io_tp_nm"] = text
    serve(ACCOUNT, body)
    assert client.get_open_orders(TOKEN)[0].side is side


def test_no_open_orders_is_an_empty_tuple(client, serve):
    serve(ACCOUNT, {"oso": [], **OK})
    assert client.get_open_orders(TOKEN) == ()


def test_fills_read_ka10076(client, serve, mocked, examples):
    serve(ACCOUNT, examples["ka10076"]["response"]["body"])
    sell, buy = client.get_fills(TOKEN)
    assert sell == kiwoom.Fill(
        order_number="0000140",
        original_order_number=None,
        stock_code="005930",
        name="삼성전자",
        side=OrderSide.SELL,
        order_price=0,
        order_quantity=1,
        fill_price=72_000,
        fill_quantity=1,
        remaining_quantity=0,
        fee=10,
        tax=129,
        status_text="체결",
        trade_type_text="시장가",
        time_text="101233",
    )
    assert (buy.side, buy.fill_price, buy.fill_quantity, buy.fee) == (OrderSide.BUY, 70_000, 10, 100)
    assert mocked.calls[0].request.headers["api-id"] == "ka10076"
    assert sent_json(mocked.calls[0]) == {
        "stk_cd": "",
        "qry_tp": "0",
        "sell_tp": "0",
        "ord_no": "",
        "stex_tp": "0",
    }


def test_fills_for_one_stock_before_an_order_number(client, serve, mocked, examples):
    serve(ACCOUNT, examples["ka10076"]["response"]["body"])
    client.get_fills(TOKEN, stock_code="005930", before_order_number="0000141")
    assert sent_json(mocked.calls[0]) == {**examples["ka10076"]["request"]["body"], "ord_no": "0000141"}


def test_order_details_read_kt00007_with_prefixed_codes_and_padded_numbers(client, serve, mocked):
    row = {
        "ord_no": "0000140",
        "stk_cd": "A005930",
        "trde_tp": "보통",
        "crd_tp": "보통매매",
        "ord_qty": "0000000010",
        "ord_uv": "0000069900",
        "cnfm_qty": "0000000010",
        "acpt_tp": "접수",
        "rsrv_tp": "",
        "ord_tm": "10:15:03",
        "ori_ord": "0000139",
        "stk_nm": "삼성전자",
        "io_tp_nm": "현금매수",
        "loan_dt": "",
        "cntr_qty": "0000000004",
        "cntr_uv": "0000069900",
        "ord_remnq": "0000000006",
        "comm_ord_tp": "REST API",
        "mdfy_cncl": "정정",
        "cnfm_tm": "10:15:03",
        "dmst_stex_tp": "KRX",
        "cond_uv": "0000000000",
    }
    serve(ACCOUNT, {"acnt_ord_cntr_prps_dtl": [row], **OK})
    (detail,) = client.get_order_details(TOKEN, order_date=date(2025, 7, 15), stock_code="005930")
    assert detail == kiwoom.OrderDetail(
        order_number="0000140",
        original_order_number="0000139",
        stock_code="005930",
        name="삼성전자",
        side=OrderSide.BUY,
        trade_type_text="보통",
        order_quantity=10,
        order_price=69_900,
        confirmed_quantity=10,
        filled_quantity=4,
        fill_price=69_900,
        remaining_quantity=6,
        accept_text="접수",
        modify_cancel_text="정정",
        time_text="10:15:03",
    )
    assert mocked.calls[0].request.headers["api-id"] == "kt00007"
    assert sent_json(mocked.calls[0]) == {
        "ord_dt": "20250715",
        "qry_tp": "1",
        "stk_bond_tp": "0",
        "sell_tp": "0",
        "stk_cd": "005930",
        "fr_ord_no": "",
        "dmst_stex_tp": "%",
    }


def test_order_details_default_to_today_and_every_stock(client, serve, mocked):
    serve(ACCOUNT, {"acnt_ord_cntr_prps_dtl": [], **OK})
    assert client.get_order_details(TOKEN, from_order_number="0000139") == ()
    body = sent_json(mocked.calls[0])
    assert (body["ord_dt"], body["stk_cd"], body["fr_ord_no"]) == ("", "", "0000139")


# --- Errors on the wire ----------------------------------------------------------------------------------


def test_an_invalid_or_expired_token_raises_invalid_token_with_code_8005(client, serve, examples):
    serve(ACCOUNT, examples["_common_errors"]["token_invalid_or_expired"]["body"])
    with pytest.raises(kiwoom.KiwoomInvalidToken) as caught:
        client.get_balance(TOKEN)
    assert (caught.value.code, caught.value.return_code, caught.value.http_status) == ("8005", 3, 200)
    assert_no_secret(str(caught.value))
    assert_no_secret(repr(caught.value))


def test_a_token_of_the_other_mode_raises_mode_mismatch(client, serve, examples):
    serve(ACCOUNT, examples["_common_errors"]["mode_mismatch"]["body"])
    with pytest.raises(kiwoom.KiwoomModeMismatch) as caught:
        client.get_deposit(TOKEN)
    assert caught.value.code == "8031"


def test_an_unknown_api_id_raises_bad_request(client, serve, examples):
    serve(ACCOUNT, examples["_common_errors"]["unknown_api_id"]["body"])
    with pytest.raises(kiwoom.KiwoomBadRequest) as caught:
        client.get_deposit(TOKEN)
    assert caught.value.code == "1505"


def test_http_429_raises_rate_limited_with_kiwoom_code(client, serve, examples):
    serve(ACCOUNT, examples["_common_errors"]["rate_limited_real"]["body"], status=429)
    with pytest.raises(kiwoom.KiwoomRateLimited) as caught:
        client.get_balance(TOKEN)
    assert (caught.value.code, caught.value.http_status, caught.value.return_code) == ("1700", 429, 5)


def test_http_429_without_a_json_body_is_still_rate_limited(client, mocked):
    mocked.add(responses.POST, f"{BASE_URL}{ACCOUNT}", body="Too Many Requests", status=429)
    with pytest.raises(kiwoom.KiwoomRateLimited):
        client.get_balance(TOKEN)


def test_a_rate_limit_answered_with_http_200_is_rate_limited(client, serve, examples):
    serve(ACCOUNT, examples["_common_errors"]["rate_limited_real"]["body"], status=200)
    with pytest.raises(kiwoom.KiwoomRateLimited):
        client.get_balance(TOKEN)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_5xx_is_unavailable_and_the_outcome_unknown(client, mocked, status):
    mocked.add(
        responses.POST,
        f"{BASE_URL}{ORDER}",
        body="<html>Bad Gateway</html>",
        status=status,
        content_type="text/html",
    )
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert caught.value.request_sent is True
    assert caught.value.http_status == status
    assert len(mocked.calls) == 1


def test_http_5xx_with_a_json_error_body_is_unavailable(client, serve):
    serve(ORDER, {"return_code": 1, "return_msg": "시스템 오류"}, status=500)
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert caught.value.message == "시스템 오류"


def test_code_1999_unexpected_error_is_unavailable(client, serve):
    serve(ACCOUNT, {"return_code": 1, "return_msg": "오류[1999:예기치 못한 에러가 발생했습니다]"})
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.get_deposit(TOKEN)
    assert caught.value.code == "1999"


def test_an_html_waf_page_is_unavailable(client, mocked):
    mocked.add(
        responses.POST,
        f"{BASE_URL}{ACCOUNT}",
        body="<html><head><title>Request Blocked</title></head><body>Request Blocked</body></html>",
        status=400,
        content_type="text/html",
    )
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.get_balance(TOKEN)
    assert caught.value.http_status == 400
    assert "text/html" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        b'{"return_code": 0, "return_msg": "\xec\xa1\xb0\xed\x9a\x8c", "tot_pur_amt": "0000',  # truncated
        b"",
        b"null",
        b"[1, 2, 3]",
        b'"just a string"',
        b"\xff\xfe garbage",
        b'{"tot_pur_amt": "000000000000000"}',  # no return_code
        b'{"return_code": "zero", "return_msg": ""}',
    ],
)
def test_a_body_that_is_not_a_json_object_with_return_code_is_unavailable(client, mocked, body):
    mocked.add(responses.POST, f"{BASE_URL}{ACCOUNT}", body=body, status=200)
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.get_balance(TOKEN)
    assert caught.value.request_sent is True


def test_return_code_sent_as_a_string_is_understood(client, serve, examples):
    body = examples["kt00018"]["response"]["body"]
    serve(ACCOUNT, {**body, "return_code": "0"})
    assert len(client.get_balance(TOKEN).holdings) == 2
    serve(ACCOUNT, {"return_code": "3", "return_msg": "인증에 실패했습니다[8005:Token이 유효하지 않습니다]"})
    with pytest.raises(kiwoom.KiwoomInvalidToken):
        client.get_balance(TOKEN)


def test_a_category_7_error_without_code_is_a_plain_kiwoom_error(client, serve):
    serve(ACCOUNT, {"return_code": 7, "return_msg": "서비스를 처리하는 중에 오류가 발생했습니다"})
    with pytest.raises(kiwoom.KiwoomError) as caught:
        client.get_deposit(TOKEN)
    assert type(caught.value) is kiwoom.KiwoomError
    assert caught.value.return_code == 7


# --- Transport failures ----------------------------------------------------------------------------------


def test_connect_timeout_means_the_order_was_not_sent(client, mocked):
    mocked.add(
        responses.POST, f"{BASE_URL}{ORDER}", body=requests.exceptions.ConnectTimeout("connect timed out")
    )
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert caught.value.request_sent is False
    assert caught.value.http_status is None
    assert len(mocked.calls) == 1


def test_read_timeout_means_outcome_unknown_and_the_order_is_not_resent(client, mocked):
    mocked.add(responses.POST, f"{BASE_URL}{ORDER}", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert caught.value.request_sent is True
    assert len(mocked.calls) == 1


def test_a_connection_dropped_mid_response_means_outcome_unknown(client, mocked):
    mocked.add(responses.POST, f"{BASE_URL}{ORDER}", body=requests.exceptions.ChunkedEncodingError("broken"))
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert caught.value.request_sent is True
    assert len(mocked.calls) == 1


def test_a_transport_error_mentioning_a_secret_is_redacted_and_not_chained(client, mocked):
    mocked.add(
        responses.POST,
        f"{BASE_URL}{ORDER}",
        body=requests.exceptions.ConnectionError(f"reset after Bearer {TOKEN}"),
    )
    with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        client.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert_no_secret(str(caught.value))
    assert_no_secret(repr(caught.value))
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_means_the_order_was_not_sent():
    local = KiwoomClient(f"http://127.0.0.1:{_closed_port()}", connect_timeout=2, read_timeout=2)
    with local, pytest.raises(kiwoom.KiwoomUnavailable) as caught:
        local.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)
    assert caught.value.request_sent is False
    assert_no_secret(str(caught.value))


class _ScriptedServer:
    """A real HTTP/1.1 server (a thread per connection): for each request received it follows `script`.

    Actions: "answer" (a kt10000 success, connection kept alive), "hang" (never answer), "hang_up" (close
    the connection without answering). Counts connections and the requests that fully arrived.
    """

    ANSWER = json.dumps({"ord_no": "0000139", "dmst_stex_tp": "KRX", "return_code": 0, "return_msg": "ok"})

    def __init__(self, *script: str) -> None:
        self.script = list(script)
        self.requests = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(3)
            self._converse(conn)

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
        while len(body) < length:
            chunk = conn.recv(4096)
            if not chunk:
                return False
            body += chunk
        return True

    def _converse(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                if not self._read_request(conn):
                    return
            except OSError:
                return
            with self._lock:
                self.requests += 1
                action = self.script.pop(0) if self.script else "hang_up"
            if action == "answer":
                payload = self.ANSWER.encode()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
                )
            elif action == "hang":
                self._stop.wait(3)
                return
            else:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()


def _place_market_buy(local: KiwoomClient) -> kiwoom.OrderAck:
    return local.place_order(TOKEN, side="buy", stock_code="005930", quantity=1, trade_type="3", price=None)


@pytest.mark.parametrize("action", ["hang", "hang_up"])
def test_an_order_reaches_the_server_exactly_once_when_no_answer_comes_back(action):
    server = _ScriptedServer(action)
    try:
        with KiwoomClient(server.url, connect_timeout=2, read_timeout=0.5) as local:
            with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
                _place_market_buy(local)
            time.sleep(0.3)  # room for a (forbidden) second attempt to arrive
        assert caught.value.request_sent is True
        assert server.requests == 1
        assert server.connections == 1
    finally:
        server.close()


def test_an_order_is_not_resent_when_a_kept_alive_connection_drops():
    # The first order is answered and the connection kept alive; the second order goes out on that pooled
    # connection, which the server closes without answering. That must not be resent on a new connection.
    server = _ScriptedServer("answer", "hang_up")
    try:
        with KiwoomClient(server.url, connect_timeout=2, read_timeout=2) as local:
            assert _place_market_buy(local).order_number == "0000139"
            with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
                _place_market_buy(local)
            time.sleep(0.3)
        assert caught.value.request_sent is True
        assert server.requests == 2
        assert server.connections == 1
    finally:
        server.close()


def test_examples_file_is_the_shared_protocol_examples():
    """The copy kept here (for clones without the shared folder beside them) is the shared file itself."""
    here = Path(__file__).with_name("examples.json")
    beside = Path(__file__).resolve().parents[3].parent / "shared" / "kiwoom" / "examples.json"
    workplace = Path("/work/shared/kiwoom/examples.json")
    shared = next((path for path in (beside, workplace) if path.exists()), None)
    if shared is None:
        pytest.skip("no shared examples.json beside this clone or at /work/shared")
    assert json.loads(here.read_text(encoding="utf-8")) == json.loads(shared.read_text(encoding="utf-8"))
