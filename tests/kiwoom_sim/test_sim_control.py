"""The `/_sim/` control API: loopback only, reset, seed, prices, clock, accounts, stats, config, faults."""

from __future__ import annotations

import asyncio
import time
from unittest import mock

import pytest
import requests
from aiohttp.test_utils import make_mocked_request

from kiwoom_sim.app import create_app
from kiwoom_sim.config import SimConfig
from kiwoom_sim.handlers.control import is_loopback
from kiwoom_sim.testing import DEMO_APP_KEY, SimControlError

BALANCE = {"qry_tp": "1", "dmst_stex_tp": "KRX"}


def market_buy(sim, token, qty: int = 1):
    return sim.order(token, "buy", "005930", qty, trde_tp="3")


class TestLoopbackOnly:
    @pytest.mark.parametrize(
        ("remote", "allowed"),
        [
            ("127.0.0.1", True),
            ("127.8.9.10", True),
            ("::1", True),
            ("10.0.0.5", False),
            ("192.168.1.2", False),
            (None, False),
            ("garbage", False),
        ],
    )
    def test_is_loopback(self, remote, allowed):
        assert is_loopback(remote) is allowed

    @pytest.mark.parametrize(("peer", "status"), [(("10.1.2.3", 5555), 403), (("127.0.0.1", 5555), 200)])
    def test_a_remote_client_gets_403(self, peer, status):
        async def scenario() -> int:
            app = create_app(SimConfig(freeze_clock=True))
            transport = mock.Mock()
            transport.get_extra_info.side_effect = lambda name, default=None: (
                peer if name == "peername" else default
            )
            request = make_mocked_request("GET", "/_sim/stats", app=app, transport=transport)
            match = await app.router.resolve(request)
            response = await match.handler(request)
            return response.status

        assert asyncio.run(scenario()) == status


class TestResetAndSeed:
    def test_reset_restores_accounts_tokens_settings_and_the_book(self, sim, token):
        market_buy(sim, token, 5)
        sim.control.configure(rate_limit=7, reissue_mode="same")
        sim.control.add_account("tempKey", "tempSecret", cash=1)
        sim.control.set_price("005930", 80_000)

        sim.control.reset()

        assert sim.tr("kt00018", BALANCE, token).json()["return_code"] == 3  # tokens are gone
        fresh = sim.token()
        assert sim.deposit(fresh)["entr"] == "000000010000000"
        assert sim.control.orders(DEMO_APP_KEY) == []
        assert sim.control.config()["rate_limit"] == 1000 and sim.control.config()["reissue_mode"] == "new"
        assert "[8001:" not in sim.issue("tempKey", "x").json()["return_msg"]  # auto-provisioned afresh
        assert sim.control.price("005930")["price"] == 71_500
        assert sim.control.now() == "20250715100000"

    def test_same_seed_same_walk_other_seed_other_walk(self, sim):
        def walk(seed: int) -> list[int]:
            sim.control.reset(seed=seed)
            sim.control.advance_clock(900)
            return [p["price"] for p in sim.control._call("GET", "price")["prices"]]

        first, again, other = walk(3), walk(3), walk(4)
        assert first == again
        assert first != other

    def test_seed_restarts_the_walk_but_keeps_accounts(self, sim, token):
        market_buy(sim, token, 2)
        sim.control.advance_clock(600)
        sim.control.seed(11)
        assert sim.control.price("000660")["price"] == 176_000
        assert len(sim.control.orders(DEMO_APP_KEY)) == 1


class TestPricesAndClock:
    def test_set_price_validates(self, sim):
        with pytest.raises(SimControlError) as off_grid:
            sim.control.set_price("005930", 70_050)
        assert off_grid.value.status == 400 and "tick" in str(off_grid.value)
        with pytest.raises(SimControlError) as beyond:
            sim.control.set_price("005930", 100_000)
        assert "limits" in str(beyond.value)
        with pytest.raises(SimControlError) as unknown:
            sim.control.set_price("999999", 1_000)
        assert unknown.value.status == 404

    def test_a_pinned_price_holds_while_the_clock_runs_and_release_lets_it_walk(self, sim):
        sim.control.set_price("000660", 180_000)
        sim.control.advance_clock(3600)
        assert sim.control.price("000660")["price"] == 180_000
        sim.control.release_price("000660")
        prices = set()
        for _ in range(5):
            sim.control.advance_clock(600)
            prices.add(sim.control.price("000660")["price"])
        assert len(prices) > 1

    def test_base_price_moves_the_limits(self, sim):
        quote = sim.control.set_price("005930", 80_000, base_price=80_000)
        assert (quote["base_price"], quote["upper"], quote["lower"]) == (80_000, 104_000, 56_000)

    def test_clock_advance_and_set(self, sim):
        assert sim.control.advance_clock(90)["now"] == "20250715100130"
        assert sim.control.set_clock("20250716083000")["now"] == "20250716083000"
        with pytest.raises(SimControlError):
            sim.control.advance_clock(-1)
        with pytest.raises(SimControlError):
            sim.control.set_clock("2025-07-16")

    @pytest.mark.parametrize(
        "change",
        [{"freeze": False, "set": "tomorrow"}, {"freeze": False, "advance": -5}, {"advance": 1e300}],
    )
    def test_a_refused_clock_change_changes_nothing(self, sim, change):
        clock_url = sim.base_url + "/_sim/clock"
        assert sim.http.post(clock_url, json=change, timeout=5).status_code == 400
        assert sim.http.get(clock_url, timeout=5).json() == {"now": "20250715100000", "frozen": True}

    def test_a_new_day_makes_the_close_the_base_price(self, sim):
        sim.control.set_price("005930", 73_000)
        sim.control.set_clock("20250716090000")
        quote = sim.control.price("005930")
        assert (quote["base_price"], quote["price"], quote["volume"]) == (73_000, 73_000, 0)
        assert quote["upper"] == 94_900


class TestAccountsStatsOrders:
    def test_add_account_and_read_it_back(self, sim):
        created = sim.control.add_account(
            "ctlKey",
            "ctlSecret",
            cash=2_000_000,
            holdings=[{"stk_cd": "035720", "qty": 4, "avg_price": 40_000}],
        )
        assert created["acnt_no"].startswith("81") and len(created["acnt_no"]) == 10
        account = sim.control.account("ctlKey")
        assert account["cash"] == 2_000_000
        assert account["holdings"] == [
            {"stk_cd": "035720", "qty": 4, "pur_amt": 160_000, "avg_price": 40_000, "sellable": 4}
        ]
        with pytest.raises(SimControlError):
            sim.control.add_account("badKey", "s", holdings=[("999999", 1, 1_000)])
        with pytest.raises(SimControlError):
            sim.control.add_account("", "s")

    def test_stats_count_every_routed_call_including_rejections(self, sim, token):
        sim.control.reset_stats()
        sim.tr("kt00018", BALANCE, token)
        sim.tr("kt00018", {}, token)  # 1511
        sim.tr("kt00018", BALANCE, "bogus")  # 8005
        sim.issue()

        stats = sim.control.stats()
        assert stats["calls"] == {"kt00018": 3, "au10001": 1}
        assert stats["calls_by_app_key"] == {DEMO_APP_KEY: {"kt00018": 2, "au10001": 1}}
        assert sim.control.reset_stats() == {"calls": {}, "calls_by_app_key": {}}

    def test_stats_keep_no_entry_for_keys_without_an_account(self, sim):
        sim.control.reset_stats()
        junk = "k" * 5_000  # longer than any app key: refused (8001) even with auto-provision
        assert "[8001:" in sim.issue(junk, "secret").json()["return_msg"]
        revoked = sim.post("/oauth2/revoke", {"appkey": junk, "secretkey": "secret", "token": "t"})
        assert "[8001:" in revoked.json()["return_msg"]
        assert "[8001:" in sim.issue(DEMO_APP_KEY, "wrong secret").json()["return_msg"]

        stats = sim.control.stats()
        assert stats["calls"] == {"au10001": 2, "au10002": 1}
        assert stats["calls_by_app_key"] == {DEMO_APP_KEY: {"au10001": 1}}

    def test_orders_of_an_app_key(self, sim, token):
        market_buy(sim, token, 2)
        [order] = sim.control.orders(DEMO_APP_KEY)
        assert (order["side"], order["qty"], order["filled_qty"], order["status"]) == ("buy", 2, 2, "체결")
        with pytest.raises(SimControlError) as missing:
            sim.control.orders("nobody")
        assert missing.value.status == 404

    def test_configure_validates(self, sim):
        assert sim.control.configure(latency_ms=0, enforce_hours=False)["enforce_hours"] is False
        for bad in ({"rate_limit": 0}, {"reissue_mode": "maybe"}, {"nonsense": 1}, {"token_ttl": "60"}):
            with pytest.raises(SimControlError):
                sim.control.configure(**bad)

    def test_latency_setting_delays_every_tr(self, sim, token):
        sim.control.configure(latency_ms=150)
        started = time.perf_counter()
        sim.tr("kt00018", BALANCE, token)
        assert time.perf_counter() - started >= 0.15


class TestFaults:
    def test_latency_fault_for_one_call(self, sim, token):
        sim.control.inject_fault("latency", api_id="kt00018", latency_ms=300)
        started = time.perf_counter()
        assert sim.tr("kt00018", BALANCE, token).json()["return_code"] == 0
        assert time.perf_counter() - started >= 0.3
        started = time.perf_counter()
        sim.tr("kt00018", BALANCE, token)
        assert time.perf_counter() - started < 0.3

    def test_http_5xx_processes_nothing(self, sim, token):
        sim.control.inject_fault("http_5xx", api_id="kt10000", status=502)
        response = market_buy(sim, token)
        assert response.status_code == 502
        assert response.json()["return_msg"].endswith("[1999:예기치 못한 에러가 발생했습니다]")
        assert sim.control.orders(DEMO_APP_KEY) == []
        assert market_buy(sim, token).status_code == 200

    def test_drop_before_closes_the_connection_and_places_nothing(self, sim, token):
        sim.control.inject_fault("drop_before", api_id="kt10000")
        with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            market_buy(sim, token)
        assert sim.control.orders(DEMO_APP_KEY) == []
        assert market_buy(sim, token).json()["return_code"] == 0

    def test_drop_after_places_the_order_and_then_closes_the_connection(self, sim, token):
        sim.control.inject_fault("drop_after", api_id="kt10000")
        with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            market_buy(sim, token, 3)
        [order] = sim.control.orders(DEMO_APP_KEY)
        assert order["filled_qty"] == 3
        assert [f["ord_no"] for f in sim.fills(token)] == [order["ord_no"]]  # the order is really in the book

    def test_malformed_json_after_processing(self, sim, token):
        sim.control.inject_fault("malformed_json", api_id="kt10000")
        response = market_buy(sim, token)
        assert response.status_code == 200
        with pytest.raises(ValueError):
            response.json()
        assert len(sim.control.orders(DEMO_APP_KEY)) == 1

    def test_forced_rate_limit(self, sim, token):
        sim.control.inject_fault("rate_limit", api_id="kt00018", count=2)
        statuses = [sim.tr("kt00018", BALANCE, token).status_code for _ in range(3)]
        assert statuses == [429, 429, 200]

    def test_faults_only_hit_their_api_id_and_any_without_one(self, sim, token):
        sim.control.inject_fault("http_5xx", api_id="kt10000")
        assert sim.tr("kt00018", BALANCE, token).status_code == 200
        assert market_buy(sim, token).status_code == 500
        sim.control.inject_fault("http_5xx", status=503)
        assert sim.issue().status_code == 503

    def test_a_time_window(self, sim, token):
        sim.control.inject_fault("http_5xx", api_id="kt00018", seconds=0.4)
        assert [sim.tr("kt00018", BALANCE, token).status_code for _ in range(3)] == [500, 500, 500]
        time.sleep(0.45)
        assert sim.tr("kt00018", BALANCE, token).status_code == 200

    def test_list_and_clear(self, sim, token):
        sim.control.inject_fault("latency", api_id="ka10001", latency_ms=5, count=3)
        [fault] = sim.control.faults()
        assert (fault["kind"], fault["api_id"], fault["count"]) == ("latency", "ka10001", 3)
        sim.control.clear_faults()
        assert sim.control.faults() == []
        with pytest.raises(SimControlError):
            sim.control.inject_fault("explode")
        with pytest.raises(SimControlError):
            sim.control.inject_fault("http_5xx", status=404)
