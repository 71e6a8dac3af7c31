"""Market data through the API: the price grid, search, a stock's quote, 호가, candles and order limits from
Kiwoom, the user's 관심종목, and the errors of each."""

import pytest
import yaml
from django.core.cache import cache
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from brokerage.connections.services import credential_connect
from brokerage.kiwoom.market import is_on_tick, tick_size
from brokerage.market.models import Stock
from tests.conftest import bearer_client
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

    @pytest.mark.parametrize("part", ["", "/quote", "/orderbook"])
    def test_a_code_with_capital_letters_is_a_stock_code(self, connected_api, kiwoom, part):
        # 0000J0 is an ETN: six digits or capital letters, the rule of the Kiwoom client (STOCK_CODE_PATTERN).
        response = connected_api.get(stock("0000J0") + part)

        assert response.json().get("code") != "invalid_input", response.content

    def test_the_stock_page_takes_every_stock_code(self, client):
        assert reverse("stock-detail", args=["0000J0"]) == "/stocks/0000J0/"
        with pytest.raises(NoReverseMatch):
            reverse("stock-detail", args=["00593a"])

    def test_a_code_kiwoom_does_not_know_is_refused_with_kiwoom_s_words(self, connected_api):
        response = connected_api.get(stock("999999"))

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "kiwoom_unknown_symbol"
        assert "999999" in body["kiwoom_message"]


class TestStockDetail:
    def test_the_master_adds_market_warnings_and_nxt(self, connected_api):
        Stock.objects.filter(code="005930").update(warnings=["caution"], nxt_enabled=True)

        body = connected_api.get(stock("005930")).json()

        assert (body["market"], body["nxt_enabled"]) == ("KOSPI", True)
        assert (body["warnings"], body["warning_codes"]) == (["투자주의"], ["caution"])


class TestSearch:
    URL = "/api/v1/kiwoom/stocks/search"

    def test_initials_find_the_stock_with_its_market_and_warnings(self, user_api):
        response = user_api.get(self.URL, {"q": "ㅅㅅㅈㅈ"})

        assert response.status_code == 200
        (first, *_rest) = response.json()["results"]
        assert first == {
            "stock_code": "005930",
            "name": "삼성전자",
            "market": "KOSPI",
            "warnings": [],
            "warning_codes": [],
        }

    def test_no_kiwoom_keys_are_needed_and_kiwoom_hears_nothing(self, user_api, kiwoom):
        kiwoom.control.reset_stats()

        assert user_api.get(self.URL, {"q": "삼성"}).json()["results"][0]["stock_code"] == "005930"
        assert kiwoom.control.stats()["calls"] == {}

    def test_the_limit_is_bounded(self, user_api):
        assert len(user_api.get(self.URL, {"q": "ㅅ", "limit": 2}).json()["results"]) == 2
        response = user_api.get(self.URL, {"q": "ㅅ", "limit": 500})
        assert response.status_code == 400
        assert "limit" in response.json()["errors"]

    def test_without_q_the_request_is_invalid(self, user_api):
        response = user_api.get(self.URL)

        assert response.status_code == 400
        assert "q" in response.json()["errors"]

    def test_a_visitor_is_refused(self):
        assert APIClient().get(self.URL, {"q": "삼성"}).status_code == 401


class TestQuote:
    def test_the_header_s_fields_come_from_kiwoom(self, connected_api, kiwoom):
        kiwoom.control.set_price("005930", 71_200)

        response = connected_api.get(stock("005930") + "/quote")

        assert response.status_code == 200
        body = response.json()
        assert (body["stock_code"], body["name"], body["price"], body["market"]) == (
            "005930",
            "삼성전자",
            71_200,
            "KOSPI",
        )
        assert body["change"] == 71_200 - body["base_price"]
        assert body["lower_limit"] <= body["low"] <= body["price"] <= body["high"] <= body["upper_limit"]
        assert {"volume", "open", "change_rate", "warnings", "as_of"} <= set(body)

    def test_without_keys_kiwoom_is_not_connected(self, user_api, kiwoom):
        response = user_api.get(stock("005930") + "/quote")

        assert (response.status_code, response.json()["code"]) == (409, "kiwoom_not_connected")
        assert "ka10001" not in kiwoom.control.stats()["calls"]

    def test_a_bad_code_is_invalid_input_and_never_sent(self, connected_api, kiwoom):
        response = connected_api.get(stock("12345") + "/quote")

        assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
        assert "ka10001" not in kiwoom.control.stats()["calls"]


class TestOrderBook:
    def test_ten_levels_a_side_best_first(self, connected_api):
        response = connected_api.get(stock("005930") + "/orderbook")

        assert response.status_code == 200, response.content
        body = response.json()
        asks, bids = [a["price"] for a in body["asks"]], [b["price"] for b in body["bids"]]
        assert len(asks) == len(bids) == 10
        assert asks == sorted(asks) and bids == sorted(bids, reverse=True)
        assert bids[0] < asks[0]
        assert body["total_ask_quantity"] >= sum(a["quantity"] for a in body["asks"])


class TestCandles:
    def test_daily_candles_are_oldest_first(self, connected_api):
        response = connected_api.get(stock("005930") + "/candles", {"interval": "day", "range": "3M"})

        assert response.status_code == 200, response.content
        body = response.json()
        times = [c["time"] for c in body["candles"]]
        assert len(times) > 40 and times == sorted(times)
        assert all(
            c["low"] <= min(c["open"], c["close"]) <= max(c["open"], c["close"]) <= c["high"]
            for c in body["candles"]
        )

    def test_minute_candles_carry_korea_time(self, connected_api):
        response = connected_api.get(stock("005930") + "/candles", {"interval": "1m", "range": "1D"})

        assert response.status_code == 200, response.content
        assert response.json()["candles"][-1]["time"].endswith("+09:00")

    def test_minute_bars_over_a_long_range_come_for_the_longest_range_offered(self, connected_api):
        response = connected_api.get(stock("005930") + "/candles", {"interval": "1m", "range": "1Y"})

        assert response.status_code == 200, response.content
        assert response.json()["range"] == "1W"

    def test_an_unknown_interval_is_invalid(self, connected_api):
        response = connected_api.get(stock("005930") + "/candles", {"interval": "2h"})

        assert (response.status_code, response.json()["code"]) == (400, "invalid_input")


class TestOrderable:
    def test_a_purchase_is_bounded_by_the_orderable_cash(self, connected_api):
        response = connected_api.get(stock("005930") + "/orderable", {"side": "buy", "price": 70_000})

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["source"] == "kt00011"
        assert 0 < body["max_quantity"] * 70_000 <= body["orderable_cash"]
        assert body["sellable_quantity"] is None

    def test_serves_the_cost_rule_of_the_mode(self, connected_api, settings):
        settings.HISTORY_COSTS = {
            **settings.HISTORY_COSTS,
            "mock": {"commission_rate": "0.0123", "sell_tax_rate": "0.0021"},
        }

        body = connected_api.get(stock("005930") + "/orderable", {"side": "buy", "price": 70_000}).json()

        assert (body["commission_rate"], body["tax_rate"]) == ("0.012300", "0.002100")
        assert (body["commission_unit"], body["commission_minimum"], body["tax_unit"]) == (10, 0, 1)

    def test_a_sale_is_bounded_by_the_shares_held(self, connected_api):
        # The demo account holds 10 shares of 005930 (kiwoom_sim/README.md).
        body = connected_api.get(stock("005930") + "/orderable", {"side": "sell"}).json()

        assert (body["max_quantity"], body["sellable_quantity"], body["source"]) == (10, 10, "kt00018")

    def test_a_stock_not_held_cannot_be_sold(self, connected_api):
        assert connected_api.get(stock("005380") + "/orderable", {"side": "sell"}).json()["max_quantity"] == 0

    def test_the_side_is_required(self, connected_api):
        response = connected_api.get(stock("005930") + "/orderable")

        assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
        assert "side" in response.json()["errors"]

    def test_a_price_longer_than_kiwooms_ten_digits_is_refused_before_anything_is_sent(
        self, connected_api, kiwoom
    ):
        kiwoom.control.reset_stats()
        response = connected_api.get(stock("005930") + "/orderable", {"side": "buy", "price": 10**10})

        assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
        assert "price" in response.json()["errors"]
        assert kiwoom.control.stats()["calls"].get("kt00011", 0) == 0


WATCHLISTS = "/api/v1/kiwoom/watchlists"


def watchlist(pk) -> str:
    return f"{WATCHLISTS}/{pk}"


class TestWatchlists:
    def test_a_first_group_is_made_for_a_user_without_one(self, user_api):
        response = user_api.get(WATCHLISTS)

        assert response.status_code == 200
        (group,) = response.json()
        assert group["items"] == []

    def test_create_add_reorder_and_remove(self, user_api):
        pk = user_api.post(WATCHLISTS, {"name": "반도체"}, format="json").json()["id"]
        for code in ("005930", "000660", "035420"):
            assert (
                user_api.post(f"{watchlist(pk)}/items", {"stock_code": code}, format="json").status_code
                == 201
            )

        reordered = user_api.post(
            f"{watchlist(pk)}/reorder", {"codes": ["035420", "005930", "000660"]}, format="json"
        )
        assert [item["stock_code"] for item in reordered.json()["items"]] == ["035420", "005930", "000660"]

        assert user_api.delete(f"{watchlist(pk)}/items/005930").status_code == 204
        assert [i["stock_code"] for i in user_api.get(watchlist(pk)).json()["items"]] == ["035420", "000660"]

    def test_groups_are_reordered_and_renamed(self, user_api):
        first = user_api.post(WATCHLISTS, {"name": "one"}, format="json").json()["id"]
        second = user_api.post(WATCHLISTS, {"name": "two"}, format="json").json()["id"]

        response = user_api.post(f"{WATCHLISTS}/reorder", {"ids": [second, first]}, format="json")
        assert [g["id"] for g in response.json()] == [second, first]
        assert user_api.patch(watchlist(first), {"name": "uno"}, format="json").json()["name"] == "uno"

    def test_a_code_appears_once_per_group(self, user_api):
        pk = user_api.post(WATCHLISTS, {"name": "dup"}, format="json").json()["id"]
        user_api.post(f"{watchlist(pk)}/items", {"stock_code": "005930"}, format="json")

        response = user_api.post(f"{watchlist(pk)}/items", {"stock_code": "005930"}, format="json")

        assert (response.status_code, response.json()["code"]) == (409, "watchlist_item_exists")

    def test_a_code_the_master_does_not_list_is_refused(self, user_api):
        pk = user_api.post(WATCHLISTS, {"name": "x"}, format="json").json()["id"]

        response = user_api.post(f"{watchlist(pk)}/items", {"stock_code": "999999"}, format="json")

        assert (response.status_code, response.json()["code"]) == (404, "stock_not_found")

    def test_names_are_unique_per_user(self, user_api):
        user_api.post(WATCHLISTS, {"name": "same"}, format="json")

        response = user_api.post(WATCHLISTS, {"name": "same"}, format="json")

        assert (response.status_code, response.json()["code"]) == (409, "watchlist_name_taken")

    def test_a_reorder_puts_the_named_codes_first_and_passes_over_strangers(self, user_api):
        pk = user_api.post(WATCHLISTS, {"name": "r"}, format="json").json()["id"]
        for code in ("005930", "000660", "035420"):
            user_api.post(f"{watchlist(pk)}/items", {"stock_code": code}, format="json")

        response = user_api.post(f"{watchlist(pk)}/reorder", {"codes": ["035420", "999999"]}, format="json")

        assert response.status_code == 200
        assert [i["stock_code"] for i in response.json()["items"]] == ["035420", "005930", "000660"]

    def test_another_user_s_group_does_not_exist_for_you(self, user_api):
        other = bearer_client(UserFactory())
        pk = other.post(WATCHLISTS, {"name": "private"}, format="json").json()["id"]
        other.post(f"{watchlist(pk)}/items", {"stock_code": "005930"}, format="json")

        for response in (
            user_api.get(watchlist(pk)),
            user_api.patch(watchlist(pk), {"name": "mine"}, format="json"),
            user_api.post(f"{watchlist(pk)}/items", {"stock_code": "000660"}, format="json"),
            user_api.delete(f"{watchlist(pk)}/items/005930"),
            user_api.post(f"{watchlist(pk)}/reorder", {"codes": ["005930"]}, format="json"),
            user_api.patch(watchlist(pk), {}, format="json"),
            user_api.get(f"{watchlist(pk)}/quotes"),
            user_api.delete(watchlist(pk)),
        ):
            assert (response.status_code, response.json()["code"]) == (404, "watchlist_not_found")
        assert pk not in [g["id"] for g in user_api.get(WATCHLISTS).json()]
        assert [i["stock_code"] for i in other.get(watchlist(pk)).json()["items"]] == ["005930"]

    def test_quotes_come_in_the_group_s_order_in_one_kiwoom_call(self, connected_api, kiwoom):
        pk = connected_api.post(WATCHLISTS, {"name": "q"}, format="json").json()["id"]
        for code in ("000660", "005930"):
            connected_api.post(f"{watchlist(pk)}/items", {"stock_code": code}, format="json")
        kiwoom.control.set_price("005930", 71_200)
        kiwoom.control.reset_stats()

        response = connected_api.get(f"{watchlist(pk)}/quotes")

        assert response.status_code == 200, response.content
        rows = response.json()["rows"]
        assert [row["stock_code"] for row in rows] == ["000660", "005930"]
        assert rows[1]["price"] == 71_200 and rows[1]["name"] == "삼성전자"
        assert kiwoom.control.stats()["calls"].get("ka10095") == 1


class TestSchema:
    def test_every_operation_documents_its_answers_and_errors(self, user_api):
        paths = yaml.safe_load(user_api.get("/api/schema/").content)["paths"]

        grid = paths["/api/v1/kiwoom/market/tick-grid"]["get"]["responses"]
        assert {"200", "401"} <= set(grid)
        quote = paths["/api/v1/kiwoom/stocks/{stock_code}"]["get"]
        assert {"200", "400", "401", "409", "503"} <= set(quote["responses"])
        assert {p["name"] for p in quote["parameters"]} == {"stock_code", "mode"}
        for part in ("quote", "orderbook", "candles", "orderable"):
            responses = paths[f"/api/v1/kiwoom/stocks/{{stock_code}}/{part}"]["get"]["responses"]
            assert {"200", "400", "401", "409", "429", "503"} <= set(responses), part
        assert {"200", "400", "401"} <= set(paths["/api/v1/kiwoom/stocks/search"]["get"]["responses"])
        items = paths["/api/v1/kiwoom/watchlists/{id}/items"]["post"]["responses"]
        assert {"201", "400", "401", "404", "409", "422"} <= set(items)
