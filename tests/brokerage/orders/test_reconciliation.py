"""Reconciliation: an order whose answer was lost is found at Kiwoom or proven absent, and never resent."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import translation

from brokerage.connections.services import kiwoom_call
from brokerage.orders.models import Order, OrderKind, OrderStatus
from brokerage.orders.serializers import OrderSerializer
from tests.brokerage.orders.helpers import (
    SAMSUNG,
    calls,
    credential_of,
    limit_buy,
    market_buy,
    order_url,
    post,
)
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

SETTLED = timedelta(seconds=30)  # longer than the connect and read timeouts plus the margin


def backdate_sending(order_id: int, by: timedelta) -> None:
    """As if the request had gone out `by` earlier: Kiwoom has certainly finished with it by now."""
    Order.objects.filter(pk=order_id).update(sent_at=F("sent_at") - by, created_at=F("created_at") - by)


def kiwoom_orders(kiwoom, user) -> list[dict]:
    return kiwoom.control.orders(credential_of(user).app_key)


class TestDropAfterKiwoomAccepted:
    def test_reconciliation_finds_the_order_and_its_number(self, connected_api, user, kiwoom):
        kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)
        failed = market_buy(connected_api, 2)
        order_id = failed.json()["order_id"]
        assert Order.objects.get(pk=order_id).status == OrderStatus.UNRESOLVED

        response = connected_api.post(order_url(order_id, "reconcile"))

        [at_kiwoom] = kiwoom_orders(kiwoom, user)
        assert response.status_code == 200
        assert response.json()["order_number"] == at_kiwoom["ord_no"]
        assert response.json()["status"] == "filled"  # a market order: synced right after it was found
        assert response.json()["filled_quantity"] == 2
        assert at_kiwoom["ord_no"] in response.json()["kiwoom_message"]  # how it was found, in words
        assert calls(kiwoom, "kt10000") == 1

    def test_the_lost_answer_is_told_in_the_readers_language_without_transport_details(
        self, connected_api, user, kiwoom
    ):
        kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)
        failed = limit_buy(connected_api, 1, 60_000)
        order_id = failed.json()["order_id"]

        entry = Order.objects.get(pk=order_id)  # as the ledger shows it before reconciliation
        with translation.override("en"):
            english = OrderSerializer(entry).data["kiwoom_message"]
        with translation.override("ko"):
            korean = OrderSerializer(entry).data["kiwoom_message"]

        assert "kiwoom_message" not in failed.json()  # the answer's detail says it all, in words
        assert english.startswith("Kiwoom's answer was lost on the way")
        assert korean != english
        assert entry.kiwoom_message == ""  # no host, port or exception name stored for the reader

    def test_what_reconciliation_found_is_said_beside_what_kiwoom_answered_before(
        self, connected_api, kiwoom
    ):
        kiwoom.control.inject_fault("http_5xx", api_id="kt10000", count=1)  # 1999: Kiwoom's own words
        order_id = limit_buy(connected_api, 1, 60_000).json()["order_id"]
        backdate_sending(order_id, SETTLED)

        response = connected_api.post(order_url(order_id, "reconcile"), HTTP_ACCEPT_LANGUAGE="en")

        assert response.json()["status"] == "not_placed"
        message = response.json()["kiwoom_message"]
        assert message.startswith("Not found among the day's orders at Kiwoom")
        assert Order.objects.get(pk=order_id).kiwoom_message in message

    def test_a_resting_order_is_found_as_accepted(self, connected_api, user, kiwoom):
        kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)
        order_id = limit_buy(connected_api, 3, 60_000).json()["order_id"]

        response = connected_api.get(order_url(order_id))  # looking at it reconciles too

        assert response.json()["status"] == "accepted"
        assert response.json()["order_number"] == kiwoom_orders(kiwoom, user)[0]["ord_no"]
        assert response.json()["remaining_quantity"] == 3
        assert calls(kiwoom, "kt10000") == 1

    def test_the_periodic_task_finds_it_too(self, connected_api, user, kiwoom):
        from brokerage.orders.tasks import order_sync_user

        kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)
        order_id = limit_buy(connected_api, 1, 60_000).json()["order_id"]

        order_sync_user(user.pk)

        assert Order.objects.get(pk=order_id).kiwoom_order_number == kiwoom_orders(kiwoom, user)[0]["ord_no"]

    def test_an_identical_order_already_in_the_ledger_is_not_taken_twice(self, connected_api, user, kiwoom):
        placed = limit_buy(connected_api, 1, 60_000).json()
        kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)
        lost = limit_buy(connected_api, 1, 60_000).json()

        response = connected_api.post(order_url(lost["order_id"], "reconcile"))

        numbers = {o["ord_no"] for o in kiwoom_orders(kiwoom, user)}
        assert response.json()["order_number"] in numbers - {placed["order_number"]}
        assert calls(kiwoom, "kt10000") == 2


class TestDropBeforeKiwoomProcessed:
    def test_is_not_placed_once_the_request_has_settled(self, connected_api, user, kiwoom):
        kiwoom.control.inject_fault("drop_before", api_id="kt10000", count=1)
        order_id = market_buy(connected_api, 1).json()["order_id"]

        too_soon = connected_api.post(order_url(order_id, "reconcile"))
        backdate_sending(order_id, SETTLED)
        settled = connected_api.post(order_url(order_id, "reconcile"))

        assert too_soon.json()["status"] == "unresolved"  # Kiwoom might still have been working on it
        assert settled.json()["status"] == "not_placed"
        assert kiwoom_orders(kiwoom, user) == []
        assert calls(kiwoom, "kt10000") == 1

    def test_a_look_alike_order_keeps_it_unresolved(self, connected_api, user, kiwoom):
        kiwoom.control.inject_fault("drop_before", api_id="kt10000", count=1)
        order_id = limit_buy(connected_api, 1, 60_000).json()["order_id"]
        # Placed elsewhere (HTS) meanwhile: same stock, side and quantity, another price. It is not ours, but
        # it is too close to call the lost one absent.
        kiwoom_call(
            credential=credential_of(user),
            operation=lambda client, token: client.place_order(
                token, side="buy", stock_code=SAMSUNG, quantity=1, trade_type="0", price=59_000
            ),
        )
        backdate_sending(order_id, timedelta(seconds=25))

        response = connected_api.post(order_url(order_id, "reconcile"))

        assert response.json()["status"] == "unresolved"
        assert response.json()["order_number"] == ""


class TestChildren:
    def test_a_lost_cancellation_is_found_and_cancels_its_order(self, connected_api, user, kiwoom):
        parent = limit_buy(connected_api, 4, 60_000).json()
        kiwoom.control.inject_fault("drop_after", api_id="kt10003", count=1)

        failed = post(connected_api, order_url(parent["id"], "cancel"), {})
        reconciled = connected_api.post(order_url(failed.json()["order_id"], "reconcile"))

        cancel = Order.objects.get(pk=failed.json()["order_id"])
        assert failed.status_code == 503
        assert reconciled.json()["status"] == "accepted"
        assert cancel.kind == OrderKind.CANCEL
        assert cancel.quantity == 4
        assert Order.objects.get(pk=parent["id"]).status == OrderStatus.CANCELLED
        assert calls(kiwoom, "kt10003") == 1

    def test_a_lost_modification_is_found_and_takes_over(self, connected_api, user, kiwoom):
        parent = limit_buy(connected_api, 4, 60_000).json()
        kiwoom.control.inject_fault("drop_after", api_id="kt10002", count=1)

        failed = post(connected_api, order_url(parent["id"], "modify"), {"price": 61_000})
        reconciled = connected_api.post(order_url(failed.json()["order_id"], "reconcile")).json()

        at_kiwoom = {o["ord_no"]: o for o in kiwoom_orders(kiwoom, user)}
        assert reconciled["status"] == "accepted"
        assert at_kiwoom[reconciled["order_number"]]["kind"] == "modify"
        assert at_kiwoom[reconciled["order_number"]]["orig_ord_no"] == parent["order_number"]
        assert Order.objects.get(pk=parent["id"]).status == OrderStatus.MODIFIED
        assert calls(kiwoom, "kt10002") == 1

    def test_while_a_modification_is_unresolved_its_shares_are_not_called_cancelled(
        self, connected_api, user, kiwoom
    ):
        kiwoom.control.set_price(SAMSUNG, 71_000)
        parent = limit_buy(connected_api, 10, 70_000).json()
        kiwoom.control.set_price(SAMSUNG, 70_000, liquidity=4)
        kiwoom.control.set_price(SAMSUNG, 71_000)  # four traded; the rest waits
        kiwoom.control.inject_fault("drop_after", api_id="kt10002", count=1)
        failed = post(connected_api, order_url(parent["id"], "modify"), {"price": 69_000})
        # Another buy of the stock is in flight: it may own what reconciliation would find, so it waits.
        in_flight = OrderFactory(credential=credential_of(user), status=OrderStatus.PENDING)

        # The six moved at Kiwoom: the order is in neither open list, its fill row says 0 open.
        meanwhile = connected_api.post(order_url(parent["id"], "reconcile")).json()
        Order.objects.filter(pk=in_flight.pk).update(status=OrderStatus.NOT_PLACED)
        found = connected_api.post(order_url(failed.json()["order_id"], "reconcile")).json()

        now = Order.objects.get(pk=parent["id"])
        assert failed.json()["order_status"] == "unresolved"
        assert (meanwhile["status"], meanwhile["filled_quantity"], meanwhile["cancelled_quantity"]) == (
            "partially_filled",
            4,
            0,
        )
        assert (found["status"], found["quantity"]) == ("accepted", 6)
        assert (now.status, now.filled_quantity, now.cancelled_quantity, now.modified_quantity) == (
            OrderStatus.MODIFIED,
            4,
            0,
            6,
        )
        assert calls(kiwoom, "kt10002") == 1

    @pytest.mark.parametrize(
        "action, body, closed, cancelled, modified",
        [
            ("modify", {"price": 61_000}, OrderStatus.MODIFIED, 0, 4),
            ("cancel", {}, OrderStatus.CANCELLED, 4, 0),
        ],
    )
    def test_a_change_found_after_its_shares_were_counted_cancelled_counts_them_once(
        self, connected_api, user, kiwoom, action, body, closed, cancelled, modified
    ):
        parent = limit_buy(connected_api, 4, 60_000).json()
        kiwoom.control.inject_fault("drop_after", api_id={"modify": "kt10002", "cancel": "kt10003"}[action])
        failed = post(connected_api, order_url(parent["id"], action), body)
        # Closed as cancelled by a sync that did not know of the change (it left ka10075 with nothing filled).
        Order.objects.filter(pk=parent["id"]).update(status=OrderStatus.CANCELLED, cancelled_quantity=4)

        reconciled = connected_api.post(order_url(failed.json()["order_id"], "reconcile")).json()

        now = Order.objects.get(pk=parent["id"])
        assert reconciled["status"] == "accepted"
        assert (now.status, now.cancelled_quantity, now.modified_quantity) == (closed, cancelled, modified)
        assert now.filled_quantity + now.cancelled_quantity + now.modified_quantity == now.quantity
