"""Buy and sell, the prototype's way: validated before Kiwoom is called, answered with the ledger entry."""

import pytest

from brokerage.connections.models import KiwoomCredential
from brokerage.orders.models import Order, OrderStatus
from tests.brokerage.orders.helpers import BUY, SAMSUNG, SELL, calls, market_buy, post

pytestmark = pytest.mark.django_db


class TestBuyAndSell:
    def test_a_market_buy_with_the_prototypes_string_quantity(self, connected_api, user, kiwoom):
        response = post(connected_api, BUY, {"stock_code": SAMSUNG, "quantity": "1", "trade_type": "3"})

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["side"], body["stock_code"], body["quantity"], body["trade_type"], body["price"]) == (
            "buy",
            SAMSUNG,
            1,
            "3",
            None,
        )
        assert body["status"] == "accepted"
        assert len(body["order_number"]) == 7 and body["order_number"].isdigit()
        assert Order.objects.get(pk=body["id"], user=user).kiwoom_order_number == body["order_number"]
        assert calls(kiwoom, "kt10000") == 1

    def test_a_limit_sell_with_an_integer_quantity(self, connected_api, kiwoom):
        kiwoom.control.set_price(SAMSUNG, 70_000)

        response = post(
            connected_api, SELL, {"stock_code": SAMSUNG, "quantity": 2, "trade_type": "0", "price": 90_000}
        )

        assert response.status_code == 201, response.content
        assert (response.json()["side"], response.json()["price"]) == ("sell", 90_000)
        assert calls(kiwoom, "kt10001") == 1

    def test_a_market_buy_changes_the_holding(self, connected_api, kiwoom):
        def samsung_quantity():
            holdings = connected_api.get("/api/v1/kiwoom/account/balance").json()["holdings"]
            return next(h["quantity"] for h in holdings if h["stock_code"] == SAMSUNG)

        before = samsung_quantity()
        market_buy(connected_api, 3)

        assert samsung_quantity() == before + 3


class TestRefusals:
    def test_selling_more_than_held_is_kiwooms_rejection_800033(self, connected_api, user, kiwoom):
        response = post(connected_api, SELL, {"stock_code": SAMSUNG, "quantity": 100, "trade_type": "3"})

        assert response.status_code == 422
        assert response.json()["code"] == "kiwoom_order_rejected"
        assert response.json()["kiwoom_code"] == "800033"
        assert Order.objects.get(user=user).status == OrderStatus.REJECTED
        # A refused order says nothing about the connection: the keys' "last error" stays clear.
        assert KiwoomCredential.objects.get(user=user).last_error_code == ""

    def test_not_connected_is_409_and_nothing_is_recorded(self, user_api, user):
        response = market_buy(user_api, 1)

        assert response.status_code == 409
        assert response.json()["code"] == "kiwoom_not_connected"
        assert not Order.objects.filter(user=user).exists()


class TestBadInput:
    """A 400 naming the field; Kiwoom hears nothing, not even a quote request, and nothing is recorded."""

    @pytest.mark.parametrize("url", [BUY, SELL])
    @pytest.mark.parametrize(
        "changes, field",
        [
            ({"stock_code": "59300"}, "stock_code"),
            ({"stock_code": "A005930"}, "stock_code"),
            ({"stock_code": None}, "stock_code"),
            ({"stock_code": "００５９３０"}, "stock_code"),  # digits, but not the ASCII ones Kiwoom reads
            ({"stock_code": "٠٠٥٩٣٠"}, "stock_code"),
            ({"quantity": 0}, "quantity"),
            ({"quantity": -3}, "quantity"),
            ({"quantity": "-1"}, "quantity"),
            ({"quantity": "1.5"}, "quantity"),
            ({"quantity": "ten"}, "quantity"),
            ({"quantity": True}, "quantity"),
            ({"quantity": 10**12}, "quantity"),
            ({"quantity": "١٠"}, "quantity"),
            ({"trade_type": "1"}, "trade_type"),
            ({"trade_type": "00"}, "trade_type"),
            ({"trade_type": "0"}, "price"),  # a limit order needs a price
            ({"price": 70_000}, "price"),  # a market order takes none
            ({"trade_type": "0", "price": 0}, "price"),
            ({"trade_type": "0", "price": "-70000"}, "price"),
            ({"trade_type": "0", "price": "70,000"}, "price"),
            ({"exchange": "NYSE"}, "exchange"),
            ({"mode": "paper"}, "mode"),
            ({"confirm": "maybe"}, "confirm"),
        ],
    )
    def test_is_refused_naming_the_field(self, connected_api, user, kiwoom, url, changes, field):
        body = {"stock_code": SAMSUNG, "quantity": 1, "trade_type": "3", **changes}

        response = post(connected_api, url, body)

        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"
        assert field in response.json()["errors"]
        assert kiwoom.control.stats()["calls"] == {"au10001": 1}  # connecting the keys, nothing since
        assert not Order.objects.filter(user=user).exists()

    def test_json_nested_too_deep_to_read_is_a_clear_400(self, connected_api, kiwoom):
        response = connected_api.generic("POST", BUY, "[" * 100_000, content_type="application/json")

        assert response.status_code == 400
        assert response.json()["code"] == "malformed_request"
        assert kiwoom.control.stats()["calls"] == {"au10001": 1}

    def test_broken_json_is_a_clear_400(self, connected_api, kiwoom):
        response = connected_api.generic("POST", BUY, "{not json", content_type="application/json")

        assert response.status_code == 400
        assert response.json()["code"] == "malformed_request"
        assert kiwoom.control.stats()["calls"] == {"au10001": 1}


class TestTheOrdersBudget:
    def test_orders_meet_the_strictest_per_user_budget_and_reads_do_not(
        self, connected_api, kiwoom, monkeypatch
    ):
        from stocklab.api.throttling import FairUseThrottle

        monkeypatch.setattr(
            FairUseThrottle, "THROTTLE_RATES", {**FairUseThrottle.THROTTLE_RATES, "orders": "2/min"}
        )
        answers = [market_buy(connected_api, 1).status_code for _ in range(3)]

        assert answers == [201, 201, 429]
        assert calls(kiwoom, "kt10000") == 2  # the refused one never reached Kiwoom
        assert connected_api.get("/api/v1/kiwoom/orders").status_code == 200


class TestTheAuditTrail:
    def test_each_order_request_and_its_outcome_is_recorded_from_the_callers_address(
        self, connected_api, user, kiwoom
    ):
        from accounts.models import SecurityEvent

        placed = market_buy(connected_api, 1)
        refused = post(
            connected_api, BUY, {"stock_code": SAMSUNG, "quantity": "1", "trade_type": "0", "price": "70001"}
        )

        events = list(SecurityEvent.objects.filter(action=SecurityEvent.Action.ORDER_PLACE).order_by("pk"))
        assert [(e.user_id, e.outcome) for e in events] == [
            (user.pk, SecurityEvent.Outcome.SUCCESS),
            (user.pk, SecurityEvent.Outcome.REFUSED),
        ]
        assert events[0].details["order_id"] == placed.json()["id"]
        assert events[0].details["kiwoom_order_number"] == placed.json()["order_number"]
        assert events[1].details["code"] == refused.json()["code"] == "order_price_off_tick"
        assert all(event.ip_address == "127.0.0.1" and event.request_id for event in events)

    def test_an_order_kiwoom_took_is_answered_even_when_its_audit_line_cannot_be_written(
        self, connected_api, kiwoom, monkeypatch
    ):
        from brokerage.orders import api

        def broken(**kwargs):
            raise RuntimeError("the audit table is unreachable")

        monkeypatch.setattr(api, "security_event_record", broken)

        response = market_buy(connected_api, 1)

        assert response.status_code == 201  # not a 500 inviting a retry of an order already placed
        assert calls(kiwoom, "kt10000") == 1
