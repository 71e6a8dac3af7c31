"""0006: answers recorded as rendered HTTP (`response_status`, `response_body`) still replay as they were."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from brokerage.orders.models import Order
from brokerage.orders.serializers import OrderInputSerializer, OrderSerializer
from brokerage.orders.services import idempotency_claim
from tests.brokerage.orders.helpers import BUY, SAMSUNG, post
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("brokerage", "0005_order_note")]
AFTER = [("brokerage", "0006_order_answer")]
MARKET_BUY = {"stock_code": SAMSUNG, "quantity": 1, "trade_type": "3"}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_the_latest():
    """The tests that follow need every migration applied again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def fingerprint(key: str) -> str:
    """What the buy endpoint fingerprints a market buy of one Samsung share as."""
    serializer = OrderInputSerializer(data=MARKET_BUY)
    serializer.is_valid(raise_exception=True)
    return idempotency_claim(key=key, action="buy", params=serializer.validated_data).fingerprint


def rendered(historical_order) -> dict:
    """The entry as the API rendered it when it answered (OrderSerializer is unchanged by 0006)."""
    values = {
        field.attname: getattr(historical_order, field.attname)
        for field in historical_order._meta.concrete_fields
        if field.name not in ("response_status", "response_body")
    }
    return json.loads(json.dumps(OrderSerializer(Order(**values)).data))


def test_recorded_answers_replay_as_they_were_answered():
    apps = migrate(BEFORE)
    HistoricalUser = apps.get_model("accounts", "User")
    HistoricalOrder = apps.get_model("brokerage", "Order")
    user_id = HistoricalUser.objects.create(username="before-0006").pk
    fields = {"user_id": user_id, "side": "buy", "stock_code": SAMSUNG, "quantity": 1, "trade_type": "3"}
    accepted = HistoricalOrder.objects.create(
        **fields,
        status="accepted",
        kiwoom_order_number="0000042",
        kiwoom_message="모의투자 매수주문완료",
        sent_at=timezone.now(),
        idempotency_key="accepted",
        request_fingerprint=fingerprint("accepted"),
    )
    accepted.response_status, accepted.response_body = 201, rendered(accepted)
    accepted.save()
    rejection = {
        "code": "kiwoom_order_rejected",
        "detail": "Kiwoom refused the order.",
        "kiwoom_code": "RC4025",
        "kiwoom_message": "모의투자 매수증거금이 부족합니다",
        "order_id": None,
        "order_status": "rejected",
    }
    rejected = HistoricalOrder.objects.create(
        **fields,
        status="rejected",
        idempotency_key="rejected",
        request_fingerprint=fingerprint("rejected"),
    )
    rejected.response_status, rejected.response_body = 422, {**rejection, "order_id": rejected.pk}
    rejected.save()
    lost = HistoricalOrder.objects.create(
        **fields,
        status="unresolved",
        sent_at=timezone.now(),
        idempotency_key="lost",
        request_fingerprint=fingerprint("lost"),
        response_status=503,
        response_body={"code": "kiwoom_unavailable", "detail": "Lost.", "order_status": "unresolved"},
    )

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # 0006 and all after: today's models
    # Since answering, the order filled: a repeat still gets the answer of its first request.
    Order.objects.filter(pk=accepted.pk).update(status="filled", filled_quantity=1, updated_at=timezone.now())
    api = bearer_client(User.objects.get(pk=user_id))

    replays = {key: post(api, BUY, MARKET_BUY, key=key) for key in ("accepted", "rejected", "lost")}

    assert {key: response.status_code for key, response in replays.items()} == {
        "accepted": 201,
        "rejected": 422,
        "lost": 503,
    }
    assert all(response["Idempotent-Replayed"] == "true" for response in replays.values())
    assert replays["accepted"].json() == accepted.response_body
    assert replays["accepted"].json()["status"] == "accepted"
    assert replays["rejected"].json() == {**rejection, "order_id": rejected.pk}
    assert replays["lost"].json() == lost.response_body
    assert Order.objects.count() == 3  # nothing was placed again


def test_going_back_restores_the_recorded_errors():
    migrate(AFTER)
    user = User.objects.create(username="after-0006")
    error = {"code": "kiwoom_order_rejected", "kind": "refused", "detail": "No.", "extra": {"order_id": 7}}
    order = Order.objects.create(
        user=user, side="buy", stock_code=SAMSUNG, quantity=1, trade_type="3", answer={"error": error}
    )

    apps = migrate(BEFORE)

    restored = apps.get_model("brokerage", "Order").objects.get(pk=order.pk)
    assert (restored.response_status, restored.response_body) == (
        422,
        {"code": "kiwoom_order_rejected", "detail": "No.", "order_id": 7},
    )
