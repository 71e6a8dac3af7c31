"""No database transaction is ever open while Kiwoom is being called, on any path that calls it."""

import io

import pytest
import requests.adapters
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from brokerage.connections import tasks as token_tasks
from brokerage.connections.models import KiwoomCredential
from brokerage.orders import tasks as order_tasks
from brokerage.orders.models import Order, OrderStatus
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET

pytestmark = pytest.mark.django_db(
    transaction=True
)  # real transactions, so `in_atomic_block` tells the truth


@pytest.fixture
def kiwoom_requests(monkeypatch):
    """Every HTTP request sent to Kiwoom, with whether a transaction was open at that moment."""
    sent: list[tuple[str, bool]] = []
    send = requests.adapters.HTTPAdapter.send

    def watching_send(adapter, request, *args, **kwargs):
        sent.append((request.headers.get("api-id", request.url), connection.in_atomic_block))
        return send(adapter, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", watching_send)
    return sent


def test_connect_balance_orders_and_disconnect_call_kiwoom_outside_transactions(
    user_api, kiwoom, kiwoom_requests, settings
):
    settings.KIWOOM_RATE_LIMIT_MOCK = 1000
    kiwoom.control.set_price("005930", 70_000)
    user_api.post(
        "/api/v1/kiwoom/credentials", {"app_key": DEMO_APP_KEY, "app_secret": DEMO_APP_SECRET}, format="json"
    )
    user_api.get("/api/v1/kiwoom/account/balance")
    user_api.post(
        "/api/v1/kiwoom/order/buy",
        {"stock_code": "005930", "quantity": 1, "trade_type": "3"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="tx-1",
    )
    resting = user_api.post(
        "/api/v1/kiwoom/order/buy",
        {"stock_code": "005930", "quantity": 2, "trade_type": "0", "price": 65_000},
        format="json",
    ).json()
    modified = user_api.post(
        f"/api/v1/kiwoom/orders/{resting['id']}/modify", {"price": 66_000}, format="json"
    )
    user_api.post(f"/api/v1/kiwoom/orders/{modified.json()['id']}/cancel", {}, format="json")
    user_api.get("/api/v1/kiwoom/orders")
    user_api.get("/api/v1/kiwoom/account/fills")
    user_api.delete("/api/v1/kiwoom/credentials")

    called = {api_id for api_id, _ in kiwoom_requests}
    assert {"au10001", "kt00018", "kt10000", "kt10002", "kt10003", "ka10075", "ka10076", "au10002"} <= called
    inside = [api_id for api_id, in_transaction in kiwoom_requests if in_transaction]
    assert inside == [], f"Kiwoom called inside a transaction: {inside}"


def test_reconciliation_tasks_commands_and_admin_actions_call_kiwoom_outside_transactions(
    connected_api, user, kiwoom, kiwoom_requests, admin_client, django_capture_on_commit_callbacks
):
    kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)
    connected_api.post(
        "/api/v1/kiwoom/order/buy", {"stock_code": "005930", "quantity": 1, "trade_type": "3"}, format="json"
    )
    lost = Order.objects.get(user=user, status=OrderStatus.UNRESOLVED)
    connected_api.post(
        "/api/v1/kiwoom/order/buy",
        {"stock_code": "005930", "quantity": 1, "trade_type": "0", "price": 60_000},
        format="json",
    )
    kiwoom_requests.clear()

    connected_api.post(f"/api/v1/kiwoom/orders/{lost.pk}/reconcile")
    credential = KiwoomCredential.objects.get(user=user)
    KiwoomCredential.objects.filter(pk=credential.pk).update(token_expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        token_tasks.kiwoom_token_sweep()  # queues the refresh, which runs here (eager) on commit
    order_tasks.order_sync_user(user.pk)
    KiwoomCredential.objects.filter(pk=credential.pk).update(token_expires_at=timezone.now())
    call_command("kiwoom_refresh_tokens", stdout=io.StringIO())
    changelist = reverse("admin:brokerage_kiwoomcredential_changelist")
    for action in ("refresh_token", "disconnect"):
        admin_client.post(changelist, {"action": action, "_selected_action": [credential.pk], "index": 0})

    called = [api_id for api_id, _ in kiwoom_requests]
    assert {"kt00007", "ka10075", "ka10076", "au10001", "au10002"} <= set(called)
    assert called.count("au10001") >= 3  # the sweep's task, the command and the admin's "refresh now"
    inside = [api_id for api_id, in_transaction in kiwoom_requests if in_transaction]
    assert inside == [], f"Kiwoom called inside a transaction: {inside}"
