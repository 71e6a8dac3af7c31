"""Drill: Kiwoom accepts an order, a modification or a cancellation after our client stopped waiting.

The simulator's `late_accept` fault reads the request, waits longer than the site's read timeout and only then
processes it, whether or not anyone is still listening; `late_answer` processes it at once and never answers.
Either way the site has answered 503 with the attempt `unresolved`, and reconciliation must find Kiwoom's
order number without sending anything again.
"""

import time

import pytest

from accounts.models import SecurityEvent
from brokerage.orders.models import Order, OrderStatus
from tests.brokerage.orders.helpers import (
    ORDER_TRS,
    ORDERS,
    credential_of,
    limit_buy,
    market_buy,
    order_url,
    post,
)

pytestmark = pytest.mark.django_db

READ_TIMEOUT = 0.5  # seconds the site waits for Kiwoom's answer
LATE_MS = 2_000  # when the simulator gets round to the request: well after the site gave up


@pytest.fixture
def impatient(settings, kiwoom):
    """The site gives up on Kiwoom's answer after READ_TIMEOUT."""
    settings.KIWOOM_READ_TIMEOUT = READ_TIMEOUT
    return kiwoom


def order_requests(kiwoom) -> dict[str, int]:
    """How many requests of each order TR reached the simulator."""
    counted = kiwoom.control.stats()["calls"]
    return {api_id: counted[api_id] for api_id in ORDER_TRS if api_id in counted}


def kiwoom_book(kiwoom, user, size: int, within: float = 10.0) -> list[dict]:
    """The user's orders at Kiwoom once it holds `size` of them (the late request has been processed)."""
    app_key = credential_of(user).app_key
    deadline = time.monotonic() + within
    while len(orders := kiwoom.control.orders(app_key)) < size:
        assert time.monotonic() < deadline, f"Kiwoom still holds {len(orders)} orders"
        time.sleep(0.05)
    return orders


def assert_gave_up(response) -> int:
    """The site's answer when Kiwoom did not answer in time: 503, the attempt unresolved; its ledger id."""
    assert response.status_code == 503, response.content
    assert response.json()["order_status"] == "unresolved"
    return response.json()["order_id"]


class TestPlacement:
    def test_an_order_accepted_after_we_gave_up_is_found_with_its_number(
        self, connected_api, user, impatient
    ):
        impatient.control.inject_fault("late_accept", api_id="kt10000", latency_ms=LATE_MS)

        order_id = assert_gave_up(limit_buy(connected_api, 3, 60_000))
        too_soon = connected_api.post(order_url(order_id, "reconcile")).json()
        [at_kiwoom] = kiwoom_book(impatient, user, 1)
        found = connected_api.post(order_url(order_id, "reconcile")).json()

        # Not at Kiwoom yet, but Kiwoom may still be working on it: not called absent.
        assert (too_soon["status"], too_soon["order_number"]) == ("unresolved", "")
        assert found["order_number"] == at_kiwoom["ord_no"]
        assert (found["status"], found["remaining_quantity"]) == ("accepted", 3)
        assert Order.objects.get(pk=order_id).kiwoom_order_number == at_kiwoom["ord_no"]
        assert order_requests(impatient) == {"kt10000": 1}
        # The audit trail: the request's outcome unknown, then what reconciliation learned of it.
        placing, learned = SecurityEvent.objects.filter(
            action__in=[SecurityEvent.Action.ORDER_PLACE, SecurityEvent.Action.ORDER_OUTCOME]
        ).order_by("pk")
        assert (placing.outcome, placing.details["order_id"]) == (SecurityEvent.Outcome.UNKNOWN, order_id)
        assert (learned.outcome, learned.details["kiwoom_order_number"]) == (
            SecurityEvent.Outcome.SUCCESS,
            at_kiwoom["ord_no"],
        )

    def test_a_market_order_never_answered_is_found_filled_by_the_ledgers_sync(
        self, connected_api, user, impatient
    ):
        impatient.control.inject_fault("late_answer", api_id="kt10000")  # processed at once, never answered

        order_id = assert_gave_up(market_buy(connected_api, 2))
        [at_kiwoom] = kiwoom_book(impatient, user, 1)
        listed = connected_api.get(ORDERS)  # reading the ledger syncs and reconciles it

        [entry] = [o for o in listed.json()["results"] if o["id"] == order_id]
        assert entry["order_number"] == at_kiwoom["ord_no"]
        assert (entry["status"], entry["filled_quantity"]) == ("filled", 2)
        assert order_requests(impatient) == {"kt10000": 1}


class TestChanges:
    @pytest.fixture
    def resting(self, connected_api):
        """A buy of 4 resting at Kiwoom, placed with a normal answer."""
        placed = limit_buy(connected_api, 4, 60_000)
        assert placed.status_code == 201, placed.content
        return placed.json()

    def test_a_modification_accepted_after_we_gave_up_takes_over(
        self, connected_api, user, impatient, resting
    ):
        impatient.control.inject_fault("late_accept", api_id="kt10002", latency_ms=LATE_MS)

        change_id = assert_gave_up(post(connected_api, order_url(resting["id"], "modify"), {"price": 61_000}))
        too_soon = connected_api.post(order_url(change_id, "reconcile")).json()
        at_kiwoom = {o["kind"]: o for o in kiwoom_book(impatient, user, 2)}
        found = connected_api.post(order_url(change_id, "reconcile")).json()
        parent = connected_api.get(order_url(resting["id"])).json()

        assert (too_soon["status"], too_soon["order_number"]) == ("unresolved", "")
        assert at_kiwoom["modify"]["orig_ord_no"] == resting["order_number"]
        assert found["order_number"] == at_kiwoom["modify"]["ord_no"]
        assert (found["status"], found["quantity"], found["price"]) == ("accepted", 4, 61_000)
        assert (parent["status"], parent["order_number"]) == ("modified", resting["order_number"])
        assert order_requests(impatient) == {"kt10000": 1, "kt10002": 1}

    def test_a_cancellation_accepted_after_we_gave_up_cancels_the_order(
        self, connected_api, user, impatient, resting
    ):
        impatient.control.inject_fault("late_accept", api_id="kt10003", latency_ms=LATE_MS)

        change_id = assert_gave_up(post(connected_api, order_url(resting["id"], "cancel"), {}))
        too_soon = connected_api.post(order_url(change_id, "reconcile")).json()
        at_kiwoom = {o["kind"]: o for o in kiwoom_book(impatient, user, 2)}
        found = connected_api.post(order_url(change_id, "reconcile")).json()
        parent = connected_api.get(order_url(resting["id"])).json()

        assert (too_soon["status"], too_soon["order_number"]) == ("unresolved", "")
        assert found["order_number"] == at_kiwoom["cancel"]["ord_no"]
        assert (found["status"], found["quantity"]) == ("accepted", 4)
        assert (parent["status"], parent["cancelled_quantity"]) == ("cancelled", 4)
        assert Order.objects.get(pk=resting["id"]).status == OrderStatus.CANCELLED
        assert order_requests(impatient) == {"kt10000": 1, "kt10003": 1}
