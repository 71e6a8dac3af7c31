"""Balance: kt00018 (every page) and kt00001 through the API, and the token kept valid on the way."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.connections.models import KiwoomCredential

pytestmark = pytest.mark.django_db

URL = "/api/v1/kiwoom/account/balance"


class TestBalance:
    def test_shape_and_types_follow_the_contract(self, connected_api):
        response = connected_api.get(URL)

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"summary", "holdings", "fetched_at"}
        summary = body["summary"]
        for field in [
            "total_purchase",
            "total_evaluation",
            "total_profit_loss",
            "estimated_deposit_asset",
            "deposit",
            "orderable_amount",
        ]:
            assert isinstance(summary[field], int), field
        assert Decimal(summary["total_return_rate"]).as_tuple().exponent == -2
        codes = {h["stock_code"] for h in body["holdings"]}
        assert codes == {"005930", "000660", "035420"}  # the simulator's demo account
        for holding in body["holdings"]:
            assert len(holding["stock_code"]) == 6 and holding["stock_code"].isdigit()
            assert holding["current_price"] > 0
            for field in [
                "quantity",
                "tradable_quantity",
                "average_price",
                "purchase_amount",
                "evaluation_amount",
            ]:
                assert isinstance(holding[field], int), field
            assert isinstance(holding["return_rate"], str) and isinstance(holding["weight"], str)

    def test_the_numbers_agree_with_each_other(self, connected_api):
        body = connected_api.get(URL).json()

        holdings = body["holdings"]
        assert sum(h["purchase_amount"] for h in holdings) == body["summary"]["total_purchase"]
        assert sum(h["evaluation_amount"] for h in holdings) == body["summary"]["total_evaluation"]
        for holding in holdings:
            assert holding["evaluation_amount"] == holding["current_price"] * holding["quantity"]

    def test_a_pinned_price_shows_through(self, connected_api, kiwoom):
        kiwoom.control.set_price("005930", 81_000)

        samsung = next(h for h in connected_api.get(URL).json()["holdings"] if h["stock_code"] == "005930")

        assert samsung["current_price"] == 81_000
        assert samsung["evaluation_amount"] == 81_000 * samsung["quantity"]

    def test_without_coalescing_each_request_shows_its_own_fetch(self, connected_api, kiwoom, settings):
        settings.KIWOOM_BALANCE_COALESCING = False
        kiwoom.control.set_price("005930", 81_000)
        first = connected_api.get(URL).json()
        kiwoom.control.set_price("005930", 82_000)

        second = connected_api.get(URL).json()

        prices = [
            next(h["current_price"] for h in answer["holdings"] if h["stock_code"] == "005930")
            for answer in (first, second)
        ]
        assert prices == [81_000, 82_000]
        assert first["fetched_at"] != second["fetched_at"]

    def test_every_page_is_followed(self, user_api, kiwoom):
        codes = [
            "005930",
            "000660",
            "035420",
            "035720",
            "005380",
            "000270",
            "068270",
            "105560",
            "373220",
            "323410",
        ]
        holdings = [{"stk_cd": code, "qty": 1 + i, "avg_price": 10_000} for i, code in enumerate(codes)]
        kiwoom.control.add_account(
            app_key="manyHoldings0000000000000000003", secret="s3", cash=1_000, holdings=holdings
        )
        user_api.post(
            "/api/v1/kiwoom/credentials",
            {"app_key": "manyHoldings0000000000000000003", "app_secret": "s3"},
            format="json",
        )
        kiwoom.control.configure(holdings_page_size=3)

        body = user_api.get(URL).json()

        assert len(body["holdings"]) == len(codes)
        assert kiwoom.control.stats()["calls"]["kt00018"] == 4

    def test_not_connected_is_409(self, user_api):
        response = user_api.get(URL)

        assert response.status_code == 409
        assert response.json()["code"] == "kiwoom_not_connected"

    def test_kiwoom_down_is_503_not_500(self, connected_api, kiwoom):
        kiwoom.control.inject_fault("http_5xx", api_id="kt00018", count=1, status=502)

        response = connected_api.get(URL)

        assert response.status_code == 503
        assert response.json()["code"] == "kiwoom_unavailable"

    def test_kiwoom_unreachable_is_told_in_plain_words(self, connected_api, settings):
        settings.KIWOOM_MOCK_BASE_URL = "http://127.0.0.1:9"  # nothing listens there

        response = connected_api.get(URL, HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 503
        body = response.json()
        assert body["detail"] == "Kiwoom cannot be reached right now. Try again shortly."
        assert "kiwoom_message" not in body  # no host, port or exception name: those are for the logs


class TestTokenOnTheRequestPath:
    def test_a_token_expiring_within_ten_minutes_is_replaced_before_use(self, connected_api, user, kiwoom):
        KiwoomCredential.objects.filter(user=user).update(
            token_expires_at=timezone.now() + timedelta(minutes=9)
        )
        kiwoom.control.reset_stats()

        assert connected_api.get(URL).status_code == 200

        assert kiwoom.control.stats()["calls"]["au10001"] == 1
        assert KiwoomCredential.objects.get(user=user).token_expires_at > timezone.now() + timedelta(hours=1)

    def test_8005_mid_request_renews_the_token_and_retries_once(self, connected_api, user, kiwoom):
        old = KiwoomCredential.objects.get(user=user).access_token
        kiwoom.control.expire_tokens()
        kiwoom.control.reset_stats()

        response = connected_api.get(URL)

        assert response.status_code == 200
        calls = kiwoom.control.stats()["calls"]
        assert calls["au10001"] == 1
        assert calls["kt00018"] == 2  # the refused call, then the retry
        assert KiwoomCredential.objects.get(user=user).access_token != old

    def test_refused_keys_on_renewal_mark_the_credential_invalid(self, connected_api, user, kiwoom):
        KiwoomCredential.objects.filter(user=user).update(
            app_secret="no-longer-valid", token_expires_at=timezone.now()
        )

        response = connected_api.get(URL)

        assert response.status_code == 400
        assert response.json()["code"] == "kiwoom_invalid_credentials"
        credential = KiwoomCredential.objects.get(user=user)
        assert credential.status == "invalid"
        assert credential.last_error_code == "8001"
