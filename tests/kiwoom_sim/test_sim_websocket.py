"""WebSocket: LOGIN, PING echo and R10002, REG/REMOVE, REAL 00/04 for the own account, R10001 (PROTOCOL 5)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from kiwoom_sim.testing import running_simulator

from .conftest import Kiwoom

REG_ACCOUNT = {
    "trnm": "REG",
    "grp_no": "1",
    "refresh": "1",
    "data": [{"item": [""], "type": ["00"]}, {"item": [""], "type": ["04"]}],
}


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = 3.0, skip_ping: bool = True) -> Any:
    """The next JSON frame, or the aiohttp message type name when the socket closes."""
    while True:
        message = await ws.receive(timeout=timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            return message.type.name
        frame = json.loads(message.data)
        if skip_ping and frame.get("trnm") == "PING":
            await ws.send_str(message.data)  # echo unchanged, as Kiwoom requires
            continue
        return frame


async def login(ws: aiohttp.ClientWebSocketResponse, token: str) -> dict[str, Any]:
    await ws.send_json({"trnm": "LOGIN", "token": token})
    return await receive(ws)


def run(coro) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout=20))


class TestLogin:
    def test_login_success(self, sim, token, examples):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                return await login(ws, token)

        assert run(scenario()) == examples["_websocket"]["login_ok"]

    def test_bad_token_gets_805004_and_the_socket_closes(self, sim, examples):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                return await login(ws, "not-a-token"), await receive(ws)

        reply, after = run(scenario())
        assert reply == examples["_websocket"]["login_fail"]
        assert after in ("CLOSE", "CLOSED", "CLOSING")

    def test_a_later_login_with_a_bad_token_is_refused_too(self, sim, token, examples):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                first = await login(ws, token)
                return first, await login(ws, "not-a-token"), await receive(ws)

        first, second, after = run(scenario())
        assert first == examples["_websocket"]["login_ok"]
        assert second == examples["_websocket"]["login_fail"]
        assert after in ("CLOSE", "CLOSED", "CLOSING")

    def test_a_later_login_with_another_keys_token_moves_the_socket_to_that_account(self, sim, token):
        other = sim.token("wsOtherKey", "wsOtherSecret")  # auto-provisioned

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                assert (await login(ws, other))["return_code"] == 0
                await ws.send_json(REG_ACCOUNT)
                await receive(ws)
                sim.buy(token, "005930", 1, trde_tp="3")  # the first account's order: not for this socket
                sim.buy(other, "005930", 1, trde_tp="3")
                return await receive(ws)

        frame = run(scenario())
        assert frame["data"][0]["values"]["9201"] == sim.ok("ka00001", {}, other)["acctNo"]

    def test_an_expired_token_cannot_log_in(self, sim, token):
        sim.control.expire_tokens()

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                return await login(ws, token)

        assert run(scenario())["return_code"] == 805004

    def test_anything_before_login_gets_r10004_and_a_close(self, sim):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await ws.send_json(REG_ACCOUNT)
                return await receive(ws), await receive(ws)

        system, after = run(scenario())
        assert system == {
            "trnm": "SYSTEM",
            "code": "R10004",
            "message": "접속허용요청(토큰)이 들어오지 않았습니다",
        }
        assert after in ("CLOSE", "CLOSED", "CLOSING")

    def test_silence_instead_of_login_gets_r10004(self):
        async def scenario(url: str):
            async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
                return await receive(ws), await receive(ws)

        with running_simulator(ws_login_timeout=0.3) as handle:
            system, after = run(scenario(handle.ws_url))
        assert system["code"] == "R10004"
        assert after in ("CLOSE", "CLOSED", "CLOSING")

    def test_a_second_login_with_the_same_app_key_kicks_the_first(self, sim, token, examples):
        async def scenario():
            async with aiohttp.ClientSession() as http:
                first = await http.ws_connect(sim.ws_url)
                assert (await login(first, token))["return_code"] == 0
                second = await http.ws_connect(sim.ws_url)
                assert (await login(second, sim.token()))["return_code"] == 0
                kicked = await receive(first)
                closed = await receive(first)
                await second.send_json(REG_ACCOUNT)
                still_alive = await receive(second)
                await first.close()
                await second.close()
                return kicked, closed, still_alive

        kicked, closed, still_alive = run(scenario())
        assert kicked == examples["_websocket"]["system_duplicate_app_key"]
        assert closed in ("CLOSE", "CLOSED", "CLOSING")
        assert still_alive == examples["_websocket"]["reg_ack"]


class TestHeartbeat:
    def test_echoed_pings_keep_the_socket_and_silence_closes_it_with_r10002(self, sim, token, examples):
        sim.control.configure(ws_ping_interval=0.1, ws_max_missed_pings=3)

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                pings = 0
                while pings < 6:  # echo for a while: the socket must stay open
                    frame = await receive(ws, skip_ping=False)
                    assert frame == examples["_websocket"]["ping_from_server_echo_back_unchanged"]
                    await ws.send_json(frame)
                    pings += 1
                silent_pings = 0
                while True:  # now stay silent
                    frame = await receive(ws, skip_ping=False)
                    if frame != {"trnm": "PING"}:
                        return pings, silent_pings, frame, await receive(ws, skip_ping=False)
                    silent_pings += 1

        pings, silent, system, after = run(scenario())
        assert pings == 6
        assert silent == 3
        assert system == examples["_websocket"]["system_heartbeat_timeout"]
        assert after in ("CLOSE", "CLOSED", "CLOSING")


class TestRegistrationAndRealFrames:
    def test_reg_ack_for_arrays_and_scalars_and_errors(self, sim, token, examples):
        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                replies = []
                for frame in (
                    REG_ACCOUNT,
                    examples["_websocket"]["reg_request_trades"],
                    {"trnm": "REG", "grp_no": "2", "refresh": "1", "data": [{"item": "", "type": "00"}]},
                    examples["_websocket"]["remove_request"],
                    {"trnm": "REG", "grp_no": "1", "data": []},
                    {"trnm": "REG", "grp_no": "1", "data": [{"item": [1], "type": ["00"]}]},
                ):
                    await ws.send_json(frame)
                    replies.append(await receive(ws))
                return replies

        replies = run(scenario())
        assert replies[:3] == [examples["_websocket"]["reg_ack"]] * 3
        assert replies[3] == {"trnm": "REMOVE", "return_code": 0, "return_msg": ""}
        assert [r["return_code"] for r in replies[4:]] == [1, 1]

    def test_a_socket_holds_at_most_ten_thousand_registrations(self, sim, token):
        def reg(group: str, first: int, refresh: str = "1") -> dict[str, Any]:
            items = [f"{i:06d}" for i in range(first, first + 6_000)]
            return {
                "trnm": "REG",
                "grp_no": group,
                "refresh": refresh,
                "data": [{"item": items, "type": ["0B"]}],
            }

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                replies = []
                for frame in (reg("1", 0), reg("2", 6_000), reg("1", 12_000, refresh="0"), reg("2", 18_000)):
                    await ws.send_json(frame)
                    replies.append(await receive(ws))
                return replies

        first, too_many, replaced, still_too_many = run(scenario())
        assert first["return_code"] == 0 and replaced["return_code"] == 0
        refused = {"trnm": "REG", "return_code": 1, "return_msg": "등록 종목수 초과"}
        assert too_many == still_too_many == refused

    def test_order_accepted_filled_and_balance_frames(self, sim, token, examples):
        sim.control.set_price("005930", 71_500)

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                await ws.send_json(REG_ACCOUNT)
                await receive(ws)
                ord_no = sim.buy(token, "005930", 10, 70_000)
                accepted = await receive(ws)
                sim.control.set_price("005930", 70_000, liquidity=4)
                filled = await receive(ws)
                balance = await receive(ws)
                return ord_no, accepted, filled, balance

        ord_no, accepted, filled, balance = run(scenario())
        example_00 = examples["_websocket"]["real_00_order_accepted"]["data"][0]
        example_04 = examples["_websocket"]["real_04_balance"]["data"][0]

        assert accepted["trnm"] == "REAL"
        [entry] = accepted["data"]
        assert (entry["type"], entry["name"], entry["item"]) == ("00", "주문체결", "005930")
        assert set(entry["values"]) == set(example_00["values"])
        values = entry["values"]
        assert values["9201"] == "8100000011" and values["9203"] == ord_no and values["904"] == "0000000"
        assert (values["913"], values["900"], values["901"], values["902"]) == ("접수", "10", "70000", "10")
        assert (values["905"], values["906"], values["907"]) == ("+매수", "보통", "2")
        assert values["908"] == "100000" and values["909"] == values["910"] == values["911"] == ""

        fill = filled["data"][0]["values"]
        assert set(fill) == set(example_00["values"])
        assert (fill["913"], fill["902"], fill["903"], fill["910"], fill["911"]) == (
            "체결",
            "6",
            "280000",
            "70000",
            "4",
        )
        assert (fill["914"], fill["915"], fill["938"]) == ("70000", "4", "40")
        assert fill["10"] == "-70000" and fill["909"].isdigit()

        [entry] = balance["data"]
        assert (entry["type"], entry["name"], entry["item"]) == ("04", "현물잔고", "005930")
        assert set(entry["values"]) == set(example_04["values"])
        values = entry["values"]
        assert (values["930"], values["931"], values["932"], values["933"]) == ("14", "70000", "980000", "14")
        assert (values["945"], values["946"], values["307"]) == ("4", "2", "71500")

    def test_frames_go_to_the_owner_only_and_stop_after_remove(self, sim, token):
        sim.control.set_price("005930", 71_500)
        other = sim.token("wsOtherKey", "wsOtherSecret")

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                await ws.send_json(REG_ACCOUNT)
                await receive(ws)
                sim.buy(other, "005930", 1, trde_tp="3")  # someone else's order: nothing for us
                mine = sim.buy(token, "005930", 1, 70_000)
                first = await receive(ws)
                await ws.send_json(
                    {"trnm": "REMOVE", "grp_no": "1", "data": [{"item": [""], "type": ["00", "04"]}]}
                )
                removed = await receive(ws)
                sim.buy(token, "005930", 1, trde_tp="3")
                try:
                    extra = await receive(ws, timeout=0.4)
                except TimeoutError:
                    extra = None
                return mine, first, removed, extra

        mine, first, removed, extra = run(scenario())
        assert first["data"][0]["values"]["9203"] == mine
        assert removed["trnm"] == "REMOVE" and removed["return_code"] == 0
        assert extra is None

    def test_only_registered_types_are_sent(self, sim, token):
        sim.control.set_price("005930", 71_500)

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                await ws.send_json(
                    {"trnm": "REG", "grp_no": "1", "refresh": "1", "data": [{"item": [""], "type": ["04"]}]}
                )
                await receive(ws)
                sim.buy(token, "005930", 2, trde_tp="3")
                return await receive(ws)

        frame = run(scenario())
        assert frame["data"][0]["type"] == "04"
        assert frame["data"][0]["values"]["930"] == "12"

    def test_cancel_and_ioc_remainders_are_reported(self, sim, token):
        sim.control.set_price("005930", 71_500, liquidity=1)

        async def scenario():
            async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url) as ws:
                await login(ws, token)
                await ws.send_json(
                    {"trnm": "REG", "grp_no": "1", "refresh": "1", "data": [{"item": [""], "type": ["00"]}]}
                )
                await receive(ws)
                sim.buy(token, "005930", 3, 71_500, trde_tp="10")  # IOC: 1 fills, 2 cancelled
                states = [(await receive(ws))["data"][0]["values"]["913"] for _ in range(3)]
                resting = sim.buy(token, "005930", 2, 70_000)
                await receive(ws)
                body = {"dmst_stex_tp": "KRX", "orig_ord_no": resting, "stk_cd": "005930", "cncl_qty": "0"}
                sim.tr("kt10003", body, token)
                cancel_frames = [(await receive(ws))["data"][0]["values"] for _ in range(2)]
                return states, resting, cancel_frames

        states, resting, cancel_frames = run(scenario())
        assert states == ["접수", "체결", "취소"]
        assert [f["913"] for f in cancel_frames] == ["접수", "확인"]
        assert all(f["904"] == resting and f["905"] == "매수취소" for f in cancel_frames)


class TestPushedByTheMarket:
    def test_the_background_ticker_fills_resting_orders_and_pushes_frames(self):
        """No request after the orders: only the clock-driven market can produce the fill frames."""

        async def scenario(handle) -> list[dict[str, Any]]:
            client = Kiwoom(handle)
            token = client.token()
            async with aiohttp.ClientSession() as http, http.ws_connect(handle.ws_url) as ws:
                await login(ws, token)
                await ws.send_json(REG_ACCOUNT)
                await receive(ws)
                below = client.buy(token, "005930", 1, 71_400)
                above = client.sell(token, "005930", 1, 71_600)
                accepted = [await receive(ws), await receive(ws)]
                assert {f["data"][0]["values"]["9203"] for f in accepted} == {below, above}
                handle.control.freeze_clock(False)  # every walk step now moves the price by one tick
                return [await receive(ws, timeout=5) for _ in range(2)]

        with running_simulator(
            start_time="20250715100000", freeze_clock=True, step_seconds=0.02, move_prob=1.0
        ) as handle:
            filled, balance = run(scenario(handle))
        assert filled["data"][0]["type"] == "00" and filled["data"][0]["values"]["913"] == "체결"
        assert filled["data"][0]["values"]["910"] in ("71400", "71600")
        assert balance["data"][0]["type"] == "04"
