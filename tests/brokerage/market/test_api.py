"""Market data through the API: the price grid from its one definition, a stock's quote from Kiwoom."""

import pytest
import yaml
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from brokerage.connections.services import credential_connect
from brokerage.kiwoom.market import is_on_tick, tick_size
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GRID = "/api/v1/kiwoom/market/tick-grid"
OTHER_KEY = "otherAppKey00000000000000000000001"
OTHER_SECRET = "otherSecretKey00000000000000001"


def stock(code: str) -> str:
    return f"/api/v1/kiwoom/stocks/{code}"


def tick_of(bands: list[dict], price: int) -> int:
    """The grid as a client reads it: the band whose range holds the price."""
    (band,) = [b for b in bands if b["from_price"] <= price < (b["to_price"] or price + 1)]
    return band["tick"]


class TestTickGrid:
    def test_the_bands_are_the_server_s_grid_at_every_edge(self, user_api):
        response = user_api.get(GRID)

        assert response.status_code == 200
        bands = response.json()["bands"]
        assert bands[0] == {"from_price": 1, "to_price": 2_000, "tick": 1}
        assert bands[-1] == {"from_price": 500_000, "to_price": None, "tick": 1_000}
        edges = [b["from_price"] for b in bands[1:]]
        for price in {1, 999_999, 1_012_000} | {edge + d for edge in edges for d in (-1, 0, 1)}:
            assert tick_of(bands, price) == tick_size(price), price
        assert all(is_on_tick(b["from_price"]) for b in bands[1:])  # a band starts on its own grid

    def test_the_bands_are_contiguous(self, user_api):
        bands = user_api.get(GRID).json()["bands"]

        assert [b["to_price"] for b in bands[:-1]] == [b["from_price"] for b in bands[1:]]

    def test_a_page_s_session_is_enough_and_no_keys_are_needed(self, user):
        client = Client()
        client.force_login(user)

        assert client.get(GRID).status_code == 200

    def test_a_visitor_is_refused(self):
        response = APIClient().get(GRID)

        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


class TestStockQuote:
    def test_code_name_and_current_price_come_from_kiwoom(self, connected_api, kiwoom):
        kiwoom.control.set_price("005930", 71_200)

        response = connected_api.get(stock("005930"))

        assert response.status_code == 200
        body = response.json()
        assert body["stock_code"] == "005930"
        assert body["name"] == "삼성전자"
        assert body["current_price"] == 71_200
        assert body["lower_limit"] < body["base_price"] < body["upper_limit"]

    def test_one_quote_is_shared_between_users_for_a_few_seconds(self, connected_api, kiwoom):
        cache.clear()
        other = UserFactory()
        other_client = Client()
        other_client.force_login(other)
        kiwoom.control.add_account(OTHER_KEY, OTHER_SECRET, cash=1_000_000, holdings=[])
        credential_connect(user=other, app_key=OTHER_KEY, app_secret=OTHER_SECRET)
        before = kiwoom.control.stats()["calls"].get("ka10001", 0)

        assert connected_api.get(stock("000660")).status_code == 200
        assert other_client.get(stock("000660")).json()["name"] == "SK하이닉스"

        assert kiwoom.control.stats()["calls"].get("ka10001", 0) - before == 1

    def test_without_keys_kiwoom_is_not_connected_and_hears_nothing(self, user_api, kiwoom):
        response = user_api.get(stock("005930"))

        assert response.status_code == 409
        assert response.json()["code"] == "kiwoom_not_connected"
        assert "ka10001" not in kiwoom.control.stats()["calls"]

    @pytest.mark.parametrize("code", ["5930", "0059301", "00593a", "삼성전자"])
    def test_anything_but_six_digits_is_invalid_input_and_never_sent(self, connected_api, kiwoom, code):
        response = connected_api.get(stock(code))

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid_input"
        assert "stock_code" in body["errors"]
        assert "ka10001" not in kiwoom.control.stats()["calls"]

    def test_a_code_kiwoom_does_not_know_is_refused_with_kiwoom_s_words(self, connected_api):
        response = connected_api.get(stock("999999"))

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "kiwoom_unknown_symbol"
        assert "999999" in body["kiwoom_message"]


class TestSchema:
    def test_both_operations_document_their_answers_and_errors(self, user_api):
        paths = yaml.safe_load(user_api.get("/api/schema/").content)["paths"]

        grid = paths["/api/v1/kiwoom/market/tick-grid"]["get"]["responses"]
        assert {"200", "401"} <= set(grid)
        quote = paths["/api/v1/kiwoom/stocks/{stock_code}"]["get"]
        assert {"200", "400", "401", "409", "503"} <= set(quote["responses"])
        assert {p["name"] for p in quote["parameters"]} == {"stock_code", "mode"}
