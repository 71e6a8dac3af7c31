"""The WebSocket client: frames read from PROTOCOL.md's FIDs, and a session against the simulator's socket."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from brokerage import kiwoom
from brokerage.kiwoom.realtime import (
    ACCOUNT_TYPES,
    BalanceEvent,
    KiwoomStreamSession,
    LoginAnswer,
    OrderBook,
    OrderEvent,
    Ping,
    RegistrationAnswer,
    SystemMessage,
    TradeTick,
    UnknownEvent,
    parse_message,
)
from kiwoom_sim.testing import DEMO_APP_KEY, DEMO_SECRET

EXAMPLES = Path("/work/shared/kiwoom/examples.json")
if not EXAMPLES.exists():
    EXAMPLES = Path(__file__).parent / "examples.json"
WS = json.loads(EXAMPLES.read_text(encoding="utf-8"))["_websocket"]


def real(type_code: str, item: str, values) -> str:
    return json.dumps(
        {"data": [{"type": type_code, "name": "", "item": item, "values": values}], "trnm": "REAL"}
    )


class TestParse:
    def test_login_answers(self):
        [ok] = parse_message(json.dumps(WS["login_ok"]))
        assert ok == LoginAnswer(return_code=0, message="", code=None) and ok.ok
        [refused] = parse_message(json.dumps(WS["login_fail"]))
        assert not refused.ok and refused.code == "8005"

    def test_a_ping_keeps_its_text_to_be_echoed_unchanged(self):
        text = '{"trnm":"PING","seq":"1"}'
        assert parse_message(text) == [Ping(text)]

    def test_system_frames_read_code_and_message(self):
        [frame] = parse_message(json.dumps(WS["system_duplicate_app_key"]))
        assert isinstance(frame, SystemMessage) and frame.code == "R10001"

    def test_registration_acks(self):
        assert parse_message('{"trnm":"REG","return_code":0,"return_msg":""}') == [
            RegistrationAnswer("REG", 0, "")
        ]
        [refused] = parse_message('{"trnm":"REMOVE","return_code":1,"return_msg":"등록 종목수 초과"}')
        assert not refused.ok

    def test_order_fill_keeps_cumulative_and_unit_quantities(self):
        [event] = parse_message(json.dumps(WS["real_00_order_filled"]))
        assert isinstance(event, OrderEvent)
        values = WS["real_00_order_filled"]["data"][0]["values"]
        assert event.state == "체결" and event.order_number == values["9203"]
        assert event.filled_quantity == int(values["911"]) and event.fill_quantity == int(values["915"])
        assert event.current_price == abs(int(values["10"]))  # the sign is a direction, not a negative price
        assert event.side == kiwoom.OrderSide.BUY if values["907"] == "2" else kiwoom.OrderSide.SELL

    def test_balance_event(self):
        [event] = parse_message(json.dumps(WS["real_04_balance"]))
        values = WS["real_04_balance"]["data"][0]["values"]
        assert isinstance(event, BalanceEvent)
        assert (event.quantity, event.average_price) == (int(values["930"]), int(values["931"]))
        assert event.current_price == abs(int(values["10"]))

    def test_trade_tick_keeps_the_sign_of_the_change_and_not_of_the_price(self):
        values = {
            "20": "093012",
            "10": "-71500",
            "11": "-300",
            "12": "-0.42",
            "27": "+71500",
            "28": "+71400",
            "15": "-15",
            "13": "1234567",
            "14": "88000",
            "16": "71800",
            "17": "71900",
            "18": "71300",
        }
        [tick] = parse_message(real("0B", "005930", values))
        assert tick == TradeTick(
            stock_code="005930",
            time="093012",
            price=71500,
            change=-300,
            change_rate=Decimal("-0.42"),
            volume=-15,
            cumulative_volume=1234567,
            best_ask=71500,
            best_bid=71400,
            open=71800,
            high=71900,
            low=71300,
        )

    def test_book_levels_come_from_their_fid_blocks(self):
        values = {
            "21": "165207",
            "41": "-20800",
            "61": "82",
            "51": "-20700",
            "71": "23847",
            "42": "+20900",
            "62": "10",
            "121": "12622527",
            "125": "14453430",
        }
        [book] = parse_message(real("0D", "005930", [values]))  # `values` as a one-element list
        assert book == OrderBook(
            stock_code="005930",
            time="165207",
            asks=((20800, 82), (20900, 10)),
            bids=((20700, 23847),),
            total_ask_quantity=12622527,
            total_bid_quantity=14453430,
        )

    def test_several_items_in_one_frame_and_unknown_types(self):
        frame = {
            "trnm": "REAL",
            "data": [
                {"type": "0J", "item": "001", "values": {"10": "1"}},
                {"type": "0B", "item": "005930", "values": {"10": "+1"}},
            ],
        }
        unknown, tick = parse_message(json.dumps(frame))
        assert isinstance(unknown, UnknownEvent) and unknown.type == "0J"
        assert isinstance(tick, TradeTick) and tick.price == 1

    @pytest.mark.parametrize("text", ["", "[]", "{", '{"trnm":"CNSRLST"}', '"PING"'])
    def test_anything_else_gives_no_frames(self, text):
        assert parse_message(text) == []


# --- Against the simulator --------------------------------------------------------------------------------


def issue_token(sim, app_key=DEMO_APP_KEY, secret=DEMO_SECRET) -> str:
    body = {"grant_type": "client_credentials", "appkey": app_key, "secretkey": secret}
    answer = requests.post(f"{sim.base_url}/oauth2/token", json=body, timeout=5).json()
    return answer["token"]


def place_buy(sim, token: str, code: str, quantity: int, price: int) -> str:
    body = {
        "dmst_stex_tp": "KRX",
        "stk_cd": code,
        "ord_qty": str(quantity),
        "ord_uv": str(price),
        "trde_tp": "0",
        "cond_uv": "",
    }
    headers = {"api-id": "kt10000", "authorization": f"Bearer {token}"}
    answer = requests.post(f"{sim.base_url}/api/dostk/ordr", json=body, headers=headers, timeout=5).json()
    assert answer["return_code"] == 0, answer
    return answer["ord_no"]


@pytest.fixture
def sim(simulator):
    simulator.control.reset()
    yield simulator
    simulator.control.configure(ws_ping_interval=10.0, ws_max_missed_pings=5)


async def next_event(session: KiwoomStreamSession, kind: type, timeout: float = 5.0):
    async def find():
        async for event in session.events():
            if isinstance(event, kind):
                return event
        return None

    return await asyncio.wait_for(find(), timeout)


@pytest.mark.asyncio
class TestSession:
    async def test_login_registers_and_receives_its_orders(self, sim):
        token = issue_token(sim)
        session = KiwoomStreamSession(sim.ws_url)
        await session.connect(token)
        try:
            await session.register(ACCOUNT_TYPES)
            number = await asyncio.to_thread(place_buy, sim, token, "005930", 3, 60_000)
            event = await next_event(session, OrderEvent)
            assert (event.order_number, event.state, event.quantity, event.remaining_quantity) == (
                number,
                "접수",
                3,
                3,
            )
        finally:
            await session.close()

    async def test_a_refused_token_raises_invalid_token(self, sim):
        with pytest.raises(kiwoom.KiwoomInvalidToken) as caught:
            await KiwoomStreamSession(sim.ws_url).connect("not-a-token")
        assert caught.value.code == "8005"

    async def test_nothing_listening_is_unavailable_and_certainly_unsent(self):
        with pytest.raises(kiwoom.KiwoomUnavailable) as caught:
            await KiwoomStreamSession("ws://127.0.0.1:9/api/dostk/websocket", open_timeout=1).connect("t")
        assert caught.value.request_sent is False

    async def test_pings_are_echoed_so_the_session_outlives_the_heartbeat_limit(self, sim):
        sim.control.configure(ws_ping_interval=0.1, ws_max_missed_pings=2)
        session = KiwoomStreamSession(sim.ws_url)
        await session.connect(issue_token(sim))
        try:
            await asyncio.sleep(1.0)  # ten PINGs; two missed echoes would have closed it
            assert session.pings >= 5 and session.ended is None
        finally:
            await session.close()

    async def test_trade_ticks_of_registered_codes(self, sim):
        session = KiwoomStreamSession(sim.ws_url)
        await session.connect(issue_token(sim))
        try:
            await session.register(["0B"], ["005930"])
            await asyncio.to_thread(sim.control.set_price, "005930", 72_000)
            tick = await next_event(session, TradeTick, timeout=4)
            assert tick.stock_code == "005930" and tick.price > 0
            assert session.codes == {"005930"}
        finally:
            await session.close()

    async def test_a_second_login_with_the_key_ends_the_first_with_session_replaced(self, sim):
        first, second = KiwoomStreamSession(sim.ws_url), KiwoomStreamSession(sim.ws_url)
        await first.connect(issue_token(sim))
        try:
            await second.connect(issue_token(sim))
            with pytest.raises(kiwoom.KiwoomSessionReplaced) as caught:
                await next_event(first, OrderEvent)
            assert caught.value.code == "R10001"
            assert isinstance(caught.value, kiwoom.KiwoomStreamClosed)
        finally:
            await first.close()
            await second.close()

    async def test_more_than_200_codes_are_refused_before_anything_is_sent(self, sim):
        session = KiwoomStreamSession(sim.ws_url)
        await session.connect(issue_token(sim))
        try:
            with pytest.raises(kiwoom.KiwoomRegistrationRefused):
                await session.register(["0B"], [f"{n:06d}" for n in range(201)])
            assert session.codes == set()
        finally:
            await session.close()

    async def test_a_dropped_connection_ends_the_events(self, sim):
        session = KiwoomStreamSession(sim.ws_url)
        await session.connect(issue_token(sim))
        try:
            assert await asyncio.to_thread(sim.control.drop_streams, DEMO_APP_KEY) == 1
            with pytest.raises(kiwoom.KiwoomStreamClosed):
                await next_event(session, OrderEvent)
        finally:
            await session.close()
