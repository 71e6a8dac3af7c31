"""The periodic tasks: one sync per user with something to follow; abandoned attempts settled."""

from datetime import timedelta

import pytest
from django.utils import timezone

from brokerage.orders import tasks as tasks
from brokerage.orders.models import Order, OrderStatus
from tests.brokerage.orders.helpers import (
    SAMSUNG,
    connected_client,
    limit_buy,
    market_buy,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The users whose sync `orders_sync_all` queued."""
    user_ids: list[int] = []
    monkeypatch.setattr(tasks.order_sync_user, "delay", user_ids.append)
    return user_ids


class TestOrdersSyncAll:
    def test_queues_one_sync_per_user_with_open_or_unresolved_orders(
        self, connected_api, user, kiwoom, queued, django_capture_on_commit_callbacks
    ):
        limit_buy(connected_api, 1, 60_000)
        limit_buy(connected_api, 1, 60_100)
        finished = UserFactory()  # a filled order and a cancellation: nothing left to follow
        finished_api = connected_client(finished, app_key="finishedAppKey0000000000000001")
        resting = limit_buy(finished_api, 2, 60_000).json()
        finished_api.post(f"/api/v1/kiwoom/orders/{resting['id']}/cancel", {}, format="json")
        market_buy(finished_api, 1)
        Order.objects.filter(user=finished, kind="new", status="accepted").update(status=OrderStatus.FILLED)

        with django_capture_on_commit_callbacks(execute=True):
            count = tasks.orders_sync_all()

        assert count == 1
        assert queued == [user.pk]

    def test_queues_the_syncs_only_once_its_transaction_commits(
        self, connected_api, user, kiwoom, queued, django_capture_on_commit_callbacks
    ):
        limit_buy(connected_api, 1, 60_000)

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            tasks.orders_sync_all()
            assert queued == []  # a worker must not look before the settled attempts are committed

        assert len(callbacks) == 1
        callbacks[0]()
        assert queued == [user.pk]

    def test_settles_attempts_abandoned_by_a_dead_process(
        self, user, queued, django_capture_on_commit_callbacks
    ):
        order = Order.objects.create(user=user, side="buy", stock_code=SAMSUNG, quantity=1, trade_type="3")
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=5))

        with django_capture_on_commit_callbacks(execute=True):
            tasks.orders_sync_all()

        assert Order.objects.get(pk=order.pk).status == OrderStatus.NOT_PLACED
        assert queued == []  # nothing left to ask Kiwoom about


class TestOrderSyncUser:
    def test_brings_the_users_open_orders_up_to_date(self, connected_api, user, kiwoom):
        order_id = limit_buy(connected_api, 2, 60_000).json()["id"]
        kiwoom.control.set_price(SAMSUNG, 60_000)

        tasks.order_sync_user(user.pk)

        assert Order.objects.get(pk=order_id).status == OrderStatus.FILLED

    def test_ignores_a_user_who_is_gone(self, kiwoom):
        tasks.order_sync_user(987_654_321)

        assert kiwoom.control.stats()["calls"] == {}
