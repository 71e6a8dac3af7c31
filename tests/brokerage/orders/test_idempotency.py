"""`Idempotency-Key`: a repeat gets the first answer and sends nothing; never two orders for one key."""

import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from brokerage.kiwoom import KiwoomClient
from brokerage.orders.models import Order, OrderStatus
from brokerage.orders.services.timing import pending_timeout
from tests.brokerage.orders.helpers import (
    SAMSUNG,
    SELL,
    calls,
    credential_of,
    limit_buy,
    market_buy,
    order_calls,
    order_url,
    post,
)
from tests.conftest import bearer_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = "6f1c2b1e-5d1a-4a8e-9c55-0d8b1f0c4a11"


@contextmanager
def in_flight(send, *, reserved):
    """`send()` in a thread of its own, held until `reserved` (a queryset) shows its ledger entry; the block
    runs while it is in flight, and the yielded dict gets its `response` once it has finished."""
    first: dict = {}

    def run():
        try:
            first["response"] = send()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 5
    while not reserved.exists():
        assert time.monotonic() < deadline, "the first request never reserved its entry"
        time.sleep(0.01)
    try:
        yield first
    finally:
        thread.join()


class TestRepeats:
    def test_a_repeat_gets_the_first_answer_and_kiwoom_hears_once(self, connected_api, user, kiwoom):
        first = limit_buy(connected_api, 1, 60_000, key=KEY)
        kiwoom.control.set_price(SAMSUNG, 60_000)  # the order fills meanwhile: the answer does not change

        repeat = limit_buy(connected_api, 1, 60_000, key=KEY)

        assert first.status_code == repeat.status_code == 201
        assert repeat.json() == first.json()
        assert repeat["Idempotent-Replayed"] == "true"
        assert calls(kiwoom, "kt10000") == 1
        assert Order.objects.filter(user=user).count() == 1

    def test_a_repeated_rejection_is_the_same_rejection(self, connected_api, kiwoom):
        body = {"stock_code": SAMSUNG, "quantity": 11, "trade_type": "3"}

        first = post(connected_api, SELL, body, key=KEY)
        repeat = post(connected_api, SELL, body, key=KEY)

        assert first.status_code == repeat.status_code == 422
        assert repeat.json() == first.json()
        assert repeat.json()["kiwoom_code"] == "800033"
        assert calls(kiwoom, "kt10001") == 1

    def test_a_repeat_after_our_own_429_is_tried_afresh(self, connected_api, user, kiwoom, settings):
        settings.KIWOOM_RATE_LIMIT_MOCK = 1.0  # one kt10000 a second, and no waiting for a slot
        settings.KIWOOM_RATE_LIMIT_WAIT = 0.0
        limit_buy(connected_api, 1, 60_000, key="an-earlier-order")

        refused = limit_buy(connected_api, 1, 60_000, key=KEY)
        time.sleep(float(refused["Retry-After"]) + 0.2)
        placed = limit_buy(connected_api, 1, 60_000, key=KEY)

        assert (refused.status_code, refused.json()["code"]) == (429, "kiwoom_rate_limited")
        assert placed.status_code == 201
        assert "Idempotent-Replayed" not in placed
        not_placed = Order.objects.get(pk=refused.json()["order_id"])
        assert (not_placed.status, not_placed.sent_at) == (OrderStatus.NOT_PLACED, None)
        assert placed.json()["status"] == "accepted"
        assert calls(kiwoom, "kt10000") == 2

    def test_a_repeat_after_kiwooms_429_is_tried_afresh(self, connected_api, user, kiwoom):
        # Kiwoom refuses unprocessed, twice: the first request and `kiwoom_call`'s one retry.
        kiwoom.control.inject_fault("rate_limit", api_id="kt10000", count=2)

        refused = limit_buy(connected_api, 1, 60_000, key=KEY)
        time.sleep(float(refused["Retry-After"]))
        placed = limit_buy(connected_api, 1, 60_000, key=KEY)

        assert (refused.status_code, refused.json()["code"]) == (429, "kiwoom_rate_limited")
        assert refused.json()["order_status"] == "not_placed"
        assert placed.status_code == 201
        assert "Idempotent-Replayed" not in placed
        assert placed.json()["status"] == "accepted"
        not_placed = Order.objects.get(pk=refused.json()["order_id"])
        assert (not_placed.status, not_placed.sent_at, not_placed.kiwoom_code) == (
            OrderStatus.NOT_PLACED,
            None,
            "1700",
        )
        assert calls(kiwoom, "kt10000") == 3
        assert len(kiwoom.control.orders(credential_of(user).app_key)) == 1

    def test_a_repeat_after_a_lost_answer_is_not_sent_again(self, connected_api, user, kiwoom):
        kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)

        first = market_buy(connected_api, 1, key=KEY)
        repeat = market_buy(connected_api, 1, key=KEY)

        assert first.status_code == repeat.status_code == 503
        assert repeat.json() == first.json()
        assert repeat.json()["order_status"] == "unresolved"
        assert calls(kiwoom, "kt10000") == 1

    def test_a_repeat_after_disconnecting_still_gets_the_first_answer(self, connected_api, kiwoom):
        first = limit_buy(connected_api, 1, 60_000, key=KEY)
        assert connected_api.delete("/api/v1/kiwoom/credentials").status_code == 204

        repeat = limit_buy(connected_api, 1, 60_000, key=KEY)

        assert repeat.status_code == 201
        assert repeat.json() == first.json()
        assert repeat["Idempotent-Replayed"] == "true"
        assert calls(kiwoom, "kt10000") == 1

    def test_the_same_key_with_other_parameters_is_refused(self, connected_api, kiwoom):
        limit_buy(connected_api, 1, 60_000, key=KEY)

        response = limit_buy(connected_api, 2, 60_000, key=KEY)

        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert calls(kiwoom, "kt10000") == 1

    def test_a_key_is_the_users_own(self, connected_api, kiwoom):
        limit_buy(connected_api, 1, 60_000, key=KEY)

        response = limit_buy(bearer_client(UserFactory()), 1, 60_000, key=KEY)

        assert response.status_code == 409
        assert response.json()["code"] == "kiwoom_not_connected"  # not a replay of someone else's answer

    def test_without_a_key_every_request_is_a_new_order(self, connected_api, user, kiwoom):
        limit_buy(connected_api, 1, 60_000)
        limit_buy(connected_api, 1, 60_000)

        assert calls(kiwoom, "kt10000") == 2
        assert Order.objects.filter(user=user).count() == 2

    def test_a_refusal_before_the_order_is_written_records_nothing(self, connected_api, kiwoom):
        refused = limit_buy(connected_api, 1, 60_050, key=KEY)

        corrected = limit_buy(connected_api, 1, 60_000, key=KEY)

        assert refused.json()["code"] == "order_price_off_tick"
        assert corrected.status_code == 201
        assert calls(kiwoom, "kt10000") == 1

    @pytest.mark.parametrize("key", ["", " ", "x" * 256, "주문-1"])
    def test_an_unusable_key_is_refused(self, connected_api, kiwoom, key):
        response = limit_buy(connected_api, 1, 60_000, key=key)

        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_invalid"
        assert order_calls(kiwoom) == 0

    def test_a_cancel_repeated_with_its_key_cancels_once(self, connected_api, user, kiwoom):
        order_id = limit_buy(connected_api, 3, 60_000).json()["id"]

        first = post(connected_api, order_url(order_id, "cancel"), {}, key=KEY)
        repeat = post(connected_api, order_url(order_id, "cancel"), {}, key=KEY)

        assert first.status_code == repeat.status_code == 201
        assert repeat.json() == first.json()
        assert calls(kiwoom, "kt10003") == 1

    def test_a_modify_repeated_with_its_key_modifies_once(self, connected_api, kiwoom):
        order_id = limit_buy(connected_api, 3, 60_000).json()["id"]

        first = post(connected_api, order_url(order_id, "modify"), {"price": 61_000}, key=KEY)
        repeat = post(connected_api, order_url(order_id, "modify"), {"price": 61_000}, key=KEY)
        other = post(connected_api, order_url(order_id, "modify"), {"price": 62_000}, key=KEY)

        assert first.status_code == repeat.status_code == 201
        assert repeat.json() == first.json()
        assert other.json()["code"] == "idempotency_key_reused"
        assert calls(kiwoom, "kt10002") == 1

    def test_a_key_whose_request_died_unanswered_shows_the_entry_as_it_is(self, connected_api, user, kiwoom):
        limit_buy(connected_api, 1, 60_000, key=KEY)
        # As if the process had died before answering, long enough ago that no send can still be running.
        Order.objects.filter(user=user).update(
            status=OrderStatus.PENDING,
            answer=None,
            created_at=timezone.now() - pending_timeout() - timedelta(seconds=1),
        )

        repeat = limit_buy(connected_api, 1, 60_000, key=KEY)

        assert repeat.status_code == 200
        assert repeat["Idempotent-Replayed"] == "true"
        assert repeat.json()["id"] == Order.objects.get(user=user).pk
        assert calls(kiwoom, "kt10000") == 1

    def test_a_key_whose_request_failed_unexpectedly_shows_the_entry(
        self, connected_api, user, kiwoom, monkeypatch
    ):
        def broken(*args, **kwargs):
            raise RuntimeError("a bug, not an answer from Kiwoom")

        monkeypatch.setattr(KiwoomClient, "place_order", broken)
        with pytest.raises(RuntimeError):
            limit_buy(connected_api, 1, 60_000, key=KEY)
        monkeypatch.undo()

        repeat = limit_buy(connected_api, 1, 60_000, key=KEY)

        # Not "in flight": the first request is over. What it left is shown, and nothing is sent.
        assert repeat.status_code == 200
        assert repeat["Idempotent-Replayed"] == "true"
        assert repeat.json()["status"] == "unresolved"
        assert order_calls(kiwoom) == 0


class TestAChangeInDoubt:
    """A modification or cancellation whose answer was lost may have reached Kiwoom: the order is not changed
    again, under any key, until reconciliation has settled it."""

    @pytest.fixture
    def lost_modify(self, connected_api, kiwoom):
        """An order of 6 whose modification of 3 shares reached Kiwoom, with the answer lost on the way."""
        kiwoom.control.set_price(SAMSUNG, 71_000)
        order_id = limit_buy(connected_api, 6, 70_000).json()["id"]
        kiwoom.control.inject_fault("drop_after", api_id="kt10002", count=1)
        first = post(connected_api, order_url(order_id, "modify"), {"price": 69_000, "quantity": 3}, key=KEY)
        assert (first.status_code, first.json()["order_status"]) == (503, "unresolved")
        return order_id, first

    def test_is_not_sent_again_under_a_new_key(self, connected_api, kiwoom, lost_modify):
        order_id, first = lost_modify

        again = post(connected_api, order_url(order_id, "modify"), {"price": 69_000, "quantity": 3}, key="k2")
        cancel = post(connected_api, order_url(order_id, "cancel"), {}, key="k3")
        repeat = post(connected_api, order_url(order_id, "modify"), {"price": 69_000, "quantity": 3}, key=KEY)

        assert (again.status_code, again.json()["code"]) == (409, "order_change_unresolved")
        assert (again.json()["change_id"], again.json()["change_status"]) == (
            first.json()["order_id"],
            "unresolved",
        )
        assert (cancel.status_code, cancel.json()["code"]) == (409, "order_change_unresolved")
        assert repeat.json() == first.json()  # its own key still replays its own answer
        assert calls(kiwoom, "kt10002", "kt10003") == 1
        assert Order.objects.filter(parent_id=order_id).count() == 1

    def test_once_reconciled_the_order_can_change_again(self, connected_api, kiwoom, lost_modify):
        order_id, first = lost_modify
        connected_api.post(order_url(first.json()["order_id"], "reconcile"))

        cancel = post(connected_api, order_url(order_id, "cancel"), {}, key="k2")

        assert (cancel.status_code, cancel.json()["quantity"]) == (201, 3)
        assert Order.objects.get(pk=order_id).status == OrderStatus.MODIFIED  # 3 moved, 3 cancelled
        assert calls(kiwoom, "kt10002", "kt10003") == 2


@pytest.mark.django_db(transaction=True)
class TestConcurrentRepeats:
    def test_a_repeat_while_the_first_is_in_flight_gets_409(self, connected_api, user, kiwoom):
        kiwoom.control.inject_fault("latency", api_id="kt10000", count=1, latency_ms=1500)

        with in_flight(
            lambda: limit_buy(bearer_client(user), 1, 60_000, key=KEY),
            reserved=Order.objects.filter(user=user, status=OrderStatus.PENDING),
        ) as first:
            during = limit_buy(connected_api, 1, 60_000, key=KEY)
        after = limit_buy(connected_api, 1, 60_000, key=KEY)

        assert during.status_code == 409
        assert during.json()["code"] == "idempotency_key_in_flight"
        assert first["response"].status_code == after.status_code == 201
        assert after.json() == first["response"].json()
        assert calls(kiwoom, "kt10000") == 1

    def test_ten_identical_requests_at_once_make_one_order(self, connected_api, user, kiwoom):
        kiwoom.control.inject_fault("latency", api_id="kt10000", count=1, latency_ms=300)
        start = threading.Barrier(10)
        responses = []

        def place():
            client = bearer_client(user)
            try:
                start.wait()
                responses.append(limit_buy(client, 1, 60_000, key=KEY))
            finally:
                connection.close()

        threads = [threading.Thread(target=place) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        statuses = sorted(response.status_code for response in responses)
        created = [response.json() for response in responses if response.status_code == 201]
        assert len(responses) == 10
        assert set(statuses) <= {201, 409}, [response.json() for response in responses]
        assert created and all(body == created[0] for body in created)
        assert calls(kiwoom, "kt10000") == 1
        assert Order.objects.filter(user=user).count() == 1

    def test_a_change_while_another_is_in_flight_is_refused(self, connected_api, user, kiwoom):
        order_id = limit_buy(connected_api, 3, 60_000).json()["id"]
        kiwoom.control.inject_fault("latency", api_id="kt10002", count=1, latency_ms=1500)

        with in_flight(
            lambda: post(bearer_client(user), order_url(order_id, "modify"), {"price": 61_000}),
            reserved=Order.objects.filter(parent_id=order_id, status=OrderStatus.PENDING),
        ) as first:
            during = post(connected_api, order_url(order_id, "cancel"), {}, key="another-key")

        assert (during.status_code, during.json()["code"]) == (409, "order_change_unresolved")
        assert during.json()["change_status"] == "pending"
        assert first["response"].status_code == 201
        assert calls(kiwoom, "kt10002") == 1
        assert calls(kiwoom, "kt10003") == 0

    def test_changes_racing_under_different_keys_send_one(self, connected_api, user, kiwoom):
        order_id = limit_buy(connected_api, 3, 60_000).json()["id"]
        kiwoom.control.inject_fault("latency", api_id="kt10003", count=1, latency_ms=300)
        start = threading.Barrier(5)
        responses = []

        def cancel(key: str):
            client = bearer_client(user)
            try:
                start.wait()
                responses.append(post(client, order_url(order_id, "cancel"), {}, key=key))
            finally:
                connection.close()

        threads = [threading.Thread(target=cancel, args=(f"dialog-{n}",)) for n in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        refused = {response.json()["code"] for response in responses if response.status_code == 409}
        assert sorted(response.status_code for response in responses) == [201, 409, 409, 409, 409]
        assert refused <= {"order_change_unresolved", "order_not_open"}, refused
        assert calls(kiwoom, "kt10003") == 1
        assert Order.objects.filter(parent_id=order_id).count() == 1
