"""Shared by the order tests: the endpoints, what reached Kiwoom, and Kiwoom's own view of the account."""

from __future__ import annotations

from typing import Any

from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.connections.services import kiwoom_call
from tests.conftest import bearer_client

BUY = "/api/v1/kiwoom/order/buy"
SELL = "/api/v1/kiwoom/order/sell"
ORDERS = "/api/v1/kiwoom/orders"
FILLS = "/api/v1/kiwoom/account/fills"
ORDER_TRS = ("kt10000", "kt10001", "kt10002", "kt10003")
SAMSUNG = "005930"  # base price 71,500 in the simulator: limits 50,100 to 92,900, tick 100


def calls(kiwoom, *api_ids: str) -> int:
    """How many requests for these TRs reached the simulator (rejected ones included)."""
    counted = kiwoom.control.stats()["calls"]
    return sum(counted.get(api_id, 0) for api_id in api_ids)


def order_calls(kiwoom) -> int:
    """Requests that could have placed, changed or cancelled an order at Kiwoom."""
    return calls(kiwoom, *ORDER_TRS)


def order_url(order_id: int, action: str | None = None) -> str:
    return f"{ORDERS}/{order_id}" + (f"/{action}" if action else "")


def post(api, url: str, body: dict[str, Any], *, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(url, body, format="json", **headers)


def limit_buy(api, quantity: int, price: int, *, code: str = SAMSUNG, key: str | None = None):
    return post(
        api, BUY, {"stock_code": code, "quantity": quantity, "trade_type": "0", "price": price}, key=key
    )


def market_buy(api, quantity: int, *, code: str = SAMSUNG, key: str | None = None):
    return post(api, BUY, {"stock_code": code, "quantity": quantity, "trade_type": "3"}, key=key)


def credential_of(user, mode: str = Mode.MOCK) -> KiwoomCredential:
    return KiwoomCredential.objects.get(user=user, mode=mode)


def kiwoom_view(user, operation):
    """Ask Kiwoom directly with the user's keys: `kiwoom_view(user, lambda c, t: c.get_fills(t))`."""
    return kiwoom_call(credential=credential_of(user), operation=operation)


def connected_client(user, *, app_key: str, app_secret: str = "otherSecret0000000000000000000001"):
    """An API client of `user` with their own simulator account (the simulator provisions unknown keys)."""
    client = bearer_client(user)
    response = client.post(
        "/api/v1/kiwoom/credentials", {"app_key": app_key, "app_secret": app_secret}, format="json"
    )
    assert response.status_code == 201, response.content
    return client
