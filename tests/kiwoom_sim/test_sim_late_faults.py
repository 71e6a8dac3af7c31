"""`late_accept` and `late_answer`: Kiwoom goes on with a call whose client has already given up waiting."""

from __future__ import annotations

import json
import time

import pytest
import requests

from kiwoom_sim.testing import DEMO_APP_KEY, SimControlError

CLIENT_TIMEOUT = 0.3  # the client's read timeout: shorter than every delay below
LIMIT_BUY = {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "2", "ord_uv": "60000", "trde_tp": "0"}


def send(sim, api_id: str, body: dict, token: str, *, timeout: float = CLIENT_TIMEOUT) -> requests.Response:
    """One order TR with a short read timeout, on a connection of its own."""
    return requests.post(
        sim.base_url + "/api/dostk/ordr",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json;charset=UTF-8",
            "api-id": api_id,
            "authorization": f"Bearer {token}",
        },
        timeout=timeout,
    )


def book(sim) -> list[dict]:
    return sim.control.orders(DEMO_APP_KEY)


def wait_for_book(sim, size: int, within: float = 5.0) -> list[dict]:
    """The demo account's book once it holds `size` orders (the late call has been processed)."""
    deadline = time.monotonic() + within
    while len(orders := book(sim)) < size:
        assert time.monotonic() < deadline, f"the simulator still holds {len(orders)} orders"
        time.sleep(0.05)
    return orders


class TestLateAccept:
    def test_the_order_is_accepted_after_the_client_gave_up(self, sim, token):
        sim.control.inject_fault("late_accept", api_id="kt10000", latency_ms=600)

        with pytest.raises(requests.exceptions.ReadTimeout):
            send(sim, "kt10000", LIMIT_BUY, token)
        when_the_client_gave_up = book(sim)
        [order] = wait_for_book(sim, 1)

        assert when_the_client_gave_up == []
        assert (order["kind"], order["qty"], order["open_qty"]) == ("new", 2, 2)
        assert [o["ord_no"] for o in sim.open_orders(token)] == [order["ord_no"]]  # ka10075
        assert [o["ord_no"] for o in sim.order_detail(token)] == [order["ord_no"]]  # kt00007
        assert sim.control.stats()["calls"]["kt10000"] == 1

    def test_a_market_order_accepted_late_fills_and_shows_in_the_fills(self, sim, token):
        sim.control.inject_fault("late_accept", api_id="kt10000", latency_ms=500)

        with pytest.raises(requests.exceptions.ReadTimeout):
            send(sim, "kt10000", {**LIMIT_BUY, "ord_uv": "", "trde_tp": "3"}, token)
        [order] = wait_for_book(sim, 1)

        assert order["filled_qty"] == 2
        assert [f["ord_no"] for f in sim.fills(token)] == [order["ord_no"]]  # ka10076

    @pytest.mark.parametrize(
        ("api_id", "change", "kind"),
        [
            ("kt10002", {"mdfy_qty": "0", "mdfy_uv": "61000"}, "modify"),
            ("kt10003", {"cncl_qty": "0"}, "cancel"),
        ],
    )
    def test_a_change_is_made_after_the_client_gave_up(self, sim, token, api_id, change, kind):
        parent = sim.buy(token, "005930", 2, 60_000)
        sim.control.inject_fault("late_accept", api_id=api_id, latency_ms=500)

        with pytest.raises(requests.exceptions.ReadTimeout):
            send(
                sim,
                api_id,
                {"dmst_stex_tp": "KRX", "orig_ord_no": parent, "stk_cd": "005930", **change},
                token,
            )
        orders = wait_for_book(sim, 2)

        [child] = [o for o in orders if o["kind"] == kind]
        assert child["orig_ord_no"] == parent
        assert {o["ord_no"] for o in sim.order_detail(token)} == {parent, child["ord_no"]}
        assert sim.control.stats()["calls"][api_id] == 1

    def test_a_patient_client_gets_the_answer_after_the_delay(self, sim, token):
        sim.control.inject_fault("late_accept", api_id="kt10000", latency_ms=400)

        started = time.perf_counter()
        answer = send(sim, "kt10000", LIMIT_BUY, token, timeout=5).json()

        assert time.perf_counter() - started >= 0.4
        assert answer["return_code"] == 0
        assert [o["ord_no"] for o in book(sim)] == [answer["ord_no"]]

    def test_a_rejection_is_decided_when_the_call_is_processed(self, sim, token):
        sim.control.inject_fault("late_accept", api_id="kt10000", latency_ms=400)

        answer = send(sim, "kt10000", {**LIMIT_BUY, "ord_uv": "60050"}, token, timeout=5).json()

        assert (answer["return_code"], "RC4003" in answer["return_msg"]) == (20, True)  # off the tick grid
        assert book(sim) == []


class TestLateAnswer:
    def test_never_answers_but_the_order_is_in_the_book(self, sim, token):
        sim.control.inject_fault("late_answer", api_id="kt10000")

        with pytest.raises(requests.exceptions.ReadTimeout):
            send(sim, "kt10000", LIMIT_BUY, token)

        [order] = book(sim)  # processed before the client gave up
        assert [o["ord_no"] for o in sim.open_orders(token)] == [order["ord_no"]]
        assert sim.control.stats()["calls"]["kt10000"] == 1
        assert sim.control.faults() == []  # used up by the one call

    def test_a_delayed_answer_reaches_a_patient_client(self, sim, token):
        sim.control.inject_fault("late_answer", api_id="kt10000", latency_ms=400)

        started = time.perf_counter()
        answer = send(sim, "kt10000", LIMIT_BUY, token, timeout=5).json()

        assert time.perf_counter() - started >= 0.4
        assert [o["ord_no"] for o in book(sim)] == [answer["ord_no"]]

    def test_the_next_call_is_answered_at_once(self, sim, token):
        sim.control.inject_fault("late_answer", api_id="kt10000", latency_ms=2_000)
        with pytest.raises(requests.exceptions.ReadTimeout):
            send(sim, "kt10000", LIMIT_BUY, token)

        assert send(sim, "kt10000", LIMIT_BUY, token).json()["return_code"] == 0
        assert len(book(sim)) == 2


class TestValidation:
    def test_late_accept_needs_a_delay(self, sim):
        with pytest.raises(SimControlError):
            sim.control.inject_fault("late_accept", api_id="kt10000")

    def test_late_answer_refuses_a_negative_delay(self, sim):
        with pytest.raises(SimControlError):
            sim.control.inject_fault("late_answer", latency_ms=-1)

    def test_they_are_listed_with_their_delay(self, sim):
        sim.control.inject_fault("late_accept", api_id="kt10002", latency_ms=1_500, count=2)
        sim.control.inject_fault("late_answer", api_id="kt10003")

        listed = [(f["kind"], f["api_id"], f["count"], f["latency_ms"]) for f in sim.control.faults()]

        assert listed == [("late_accept", "kt10002", 2, 1_500), ("late_answer", "kt10003", 1, None)]
