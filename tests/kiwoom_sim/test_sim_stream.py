"""The simulator's live side (issue 14): 0B ticks of registered codes, sockets closed when their token dies,
faults that drop, stall or refuse a socket, and counts of logins and R10001 kicks per app key."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from kiwoom_sim.testing import DEMO_APP_KEY

from .test_sim_websocket import login, receive, run

REG_TRADES = {"trnm": "REG", "grp_no": "1", "refresh": "1", "data": [{"item": ["005930"], "type": ["0B"]}]}


async def until_real(ws, type_code: str, timeout: float = 4.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            frame = await receive(ws, timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            return None
        if isinstance(frame, dict) and frame.get("trnm") == "REAL" and frame["data"][0]["type"] == type_code:
            return frame["data"][0]
    return None


class TestTicks:
    def test_a_registered_code_gets_0b_with_signed_prices_as_it_trades(self, sim, token):
        sim.control.set_price("005930", 71_500)

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                await ws.send_json(REG_TRADES)
                assert (await receive(ws))["return_code"] == 0
                sim.control.set_price("005930", 70_000)
                return await until_real(ws, "0B")

        entry = run(scenario())
        assert (entry["name"], entry["item"]) == ("주식체결", "005930")
        values = entry["values"]
        base = 71_500  # the seeded base price of 005930
        assert values["10"] == "-70000" and values["11"] == str(70_000 - base)
        assert values["12"].startswith("-") and len(values["20"]) == 6

    def test_a_registered_code_gets_0d_with_ten_levels_a_side(self, sim, token):
        sim.control.set_price("005930", 71_500)
        reg = {"trnm": "REG", "grp_no": "1", "refresh": "1", "data": [{"item": ["005930"], "type": ["0D"]}]}

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                await ws.send_json(reg)
                assert (await receive(ws))["return_code"] == 0
                return await until_real(ws, "0D")

        entry = run(scenario())
        assert (entry["name"], entry["item"]) == ("주식호가잔량", "005930")
        values = entry["values"]
        asks = [abs(int(values[str(41 + n)])) for n in range(10)]
        bids = [abs(int(values[str(51 + n)])) for n in range(10)]
        assert asks == sorted(asks) and bids == sorted(bids, reverse=True) and bids[0] < asks[0]
        assert int(values["121"]) == sum(int(values[str(61 + n)]) for n in range(10))

    def test_unregistered_codes_and_other_sockets_get_nothing(self, sim, token):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                sim.control.set_price("005930", 70_000)
                return await until_real(ws, "0B", timeout=1.5)

        assert run(scenario()) is None


class TestDeadTokens:
    def test_a_socket_is_closed_once_its_token_expires(self, sim, token):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                sim.control.expire_tokens()
                return await receive(ws, timeout=3)

        assert run(scenario()) in ("CLOSE", "CLOSED", "CLOSING")

    def test_a_socket_is_closed_when_a_new_token_replaces_its_own(self, sim, token):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                sim.token()  # re-issue: the old token stops working
                return await receive(ws, timeout=3)

        assert run(scenario()) in ("CLOSE", "CLOSED", "CLOSING")


class TestFaults:
    def test_drop_cuts_the_connection(self, sim, token):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                assert sim.control.drop_streams(DEMO_APP_KEY) == 1
                return await receive(ws, timeout=3)

        assert run(scenario()) in ("CLOSE", "CLOSED", "CLOSING", "ERROR")

    def test_stall_sends_nothing_for_a_while_then_resumes(self, sim, token):
        sim.control.configure(ws_ping_interval=0.1)

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                sim.control.stall_streams(1.0)
                started = time.monotonic()
                frame = await receive(ws, timeout=3, skip_ping=False)
                return frame, time.monotonic() - started

        try:
            frame, waited = run(scenario())
        finally:
            sim.control.configure(ws_ping_interval=10.0)
        assert frame == {"trnm": "PING"} and waited >= 0.8

    def test_refused_logins(self, sim, token, examples):
        sim.control.inject_fault("ws_refuse_login", count=1)

        async def scenario():
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(sim.ws_url) as ws:
                    refused = await login(ws, token)
                async with http.ws_connect(sim.ws_url) as ws:
                    return refused, await login(ws, token)

        refused, accepted = run(scenario())
        assert refused == examples["_websocket"]["login_fail"]
        assert accepted["return_code"] == 0
        assert sim.control.stats()["calls"].get("au10001", 0) == 1  # a TR call never takes a socket fault


class TestCounts:
    def test_logins_kicks_and_sessions_at_once_per_key(self, sim, token):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as first:
                await login(first, token)
                async with http.ws_connect(sim.ws_url) as second:
                    await login(second, token)
                    await asyncio.sleep(0.2)

        before = sim.control.stream_stats()
        assert before["logins"] == {} and before["replaced"] == {}
        run(scenario())
        stats = sim.control.stream_stats()
        assert stats["logins"] == {DEMO_APP_KEY: 2}
        assert stats["replaced"] == {DEMO_APP_KEY: 1}
        assert stats["max_concurrent"] == {DEMO_APP_KEY: 2}
