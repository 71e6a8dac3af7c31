"""Buy and sell, the prototype's way: validated before Kiwoom is called, answered with the ledger entry."""

import pytest

from brokerage.models import Order

pytestmark = pytest.mark.django_db

BUY = "/api/v1/kiwoom/order/buy"
SELL = "/api/v1/kiwoom/order/sell"


def order_calls(kiwoom) -> int:
    calls = kiwoom.control.stats()["calls"]
    return calls.get("kt10000", 0) + calls.get("kt10001", 0)


class TestBuyAndSell:
    def test_a_market_buy_with_the_prototypes_string_quantity(self, connected_api, user, kiwoom):
        response = connected_api.post(
            BUY, {"stock_code": "005930", "quantity": "1", "trade_type": "3"}, format="json"
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["side"] == "buy"
        assert body["stock_code"] == "005930"
        assert body["quantity"] == 1
        assert body["trade_type"] == "3"
        assert body["price"] is None
        assert body["status"] in {"accepted", "filled"}
        assert len(body["order_number"]) == 7 and body["order_number"].isdigit()
        assert Order.objects.get(pk=body["id"], user=user).kiwoom_order_number == body["order_number"]
        assert kiwoom.control.stats()["calls"]["kt10000"] == 1

    def test_a_limit_sell_with_an_integer_quantity(self, connected_api, kiwoom):
        kiwoom.control.set_price("005930", 70_000)

        response = connected_api.post(
            SELL, {"stock_code": "005930", "quantity": 2, "trade_type": "0", "price": 90_000}, format="json"
        )

        assert response.status_code == 201, response.content
        assert response.json()["side"] == "sell"
        assert response.json()["price"] == 90_000
        assert kiwoom.control.stats()["calls"]["kt10001"] == 1

    def test_a_market_buy_changes_the_holding(self, connected_api, kiwoom):
        def samsung_quantity():
            holdings = connected_api.get("/api/v1/kiwoom/account/balance").json()["holdings"]
            return next(h["quantity"] for h in holdings if h["stock_code"] == "005930")

        before = samsung_quantity()
        connected_api.post(BUY, {"stock_code": "005930", "quantity": 3, "trade_type": "3"}, format="json")

        assert samsung_quantity() == before + 3


class TestKiwoomRejections:
    def test_off_tick_price_is_422_with_kiwooms_code(self, connected_api, user, kiwoom, settings):
        kiwoom.control.set_price("005930", 70_000)

        response = connected_api.post(
            BUY, {"stock_code": "005930", "quantity": 1, "trade_type": "0", "price": 70_050}, format="json"
        )

        assert response.status_code in {400, 422}
        body = response.json()
        assert body["code"] in {"kiwoom_order_rejected", "order_price_off_tick"}
        assert "detail" in body

    def test_selling_more_than_held_is_rejected_with_800033(self, connected_api, user, kiwoom):
        response = connected_api.post(
            SELL, {"stock_code": "005930", "quantity": 100, "trade_type": "3"}, format="json"
        )

        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "kiwoom_order_rejected"
        assert body["kiwoom_code"] == "800033"
        assert Order.objects.get(user=user).status == "rejected"

    def test_not_connected_is_409_and_nothing_is_recorded(self, user_api, user):
        response = user_api.post(
            BUY, {"stock_code": "005930", "quantity": 1, "trade_type": "3"}, format="json"
        )

        assert response.status_code == 409
        assert not Order.objects.filter(user=user).exists()


class TestBadInput:
    @pytest.mark.parametrize(
        "body, field",
        [
            ({"stock_code": "5930", "quantity": 1, "trade_type": "3"}, "stock_code"),
            ({"stock_code": "A05930", "quantity": 1, "trade_type": "3"}, "stock_code"),
            ({"stock_code": "005930", "quantity": 0, "trade_type": "3"}, "quantity"),
            ({"stock_code": "005930", "quantity": "-1", "trade_type": "3"}, "quantity"),
            ({"stock_code": "005930", "quantity": "1.5", "trade_type": "3"}, "quantity"),
            ({"stock_code": "005930", "quantity": "abc", "trade_type": "3"}, "quantity"),
            ({"stock_code": "005930", "quantity": True, "trade_type": "3"}, "quantity"),
            ({"stock_code": "005930", "quantity": 10**12, "trade_type": "3"}, "quantity"),
            ({"stock_code": "005930", "quantity": 1, "trade_type": "1"}, "trade_type"),
            ({"stock_code": "005930", "quantity": 1, "trade_type": "0"}, "price"),
            ({"stock_code": "005930", "quantity": 1, "trade_type": "3", "price": 70_000}, "price"),
            ({"stock_code": "005930", "quantity": 1, "trade_type": "0", "price": "-70000"}, "price"),
        ],
    )
    def test_is_refused_naming_the_field_and_kiwoom_hears_nothing(
        self, connected_api, user, kiwoom, body, field
    ):
        response = connected_api.post(BUY, body, format="json")

        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"
        assert field in response.json()["errors"]
        assert order_calls(kiwoom) == 0
        assert not Order.objects.filter(user=user).exists()

    def test_broken_json_is_a_clear_400(self, connected_api, kiwoom):
        response = connected_api.generic("POST", BUY, "{not json", content_type="application/json")

        assert response.status_code == 400
        assert response.json()["code"] == "malformed_request"
        assert order_calls(kiwoom) == 0
