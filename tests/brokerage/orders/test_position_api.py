"""A stock page's position: the user's holding, open orders and today's fills in that one stock."""

import pytest

from tests.brokerage.orders.helpers import limit_buy

pytestmark = pytest.mark.django_db


def position(code: str) -> str:
    return f"/api/v1/kiwoom/stocks/{code}/position"


def test_a_held_stock_shows_its_holding_and_its_open_order(connected_api, kiwoom):
    placed = limit_buy(connected_api, 1, 50_100)  # the lower limit: it rests
    assert placed.status_code == 201, placed.content

    response = connected_api.get(position("005930"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["holding"]["quantity"] == 10  # the demo account's 005930 (kiwoom_sim/README.md)
    assert [order["id"] for order in body["open_orders"]] == [placed.json()["id"]]
    assert body["fills"] == []


def test_a_stock_not_held_has_no_holding(connected_api):
    body = connected_api.get(position("005380")).json()

    assert (body["holding"], body["open_orders"]) == (None, [])


def test_without_keys_kiwoom_is_not_connected(user_api):
    response = user_api.get(position("005930"))

    assert (response.status_code, response.json()["code"]) == (409, "kiwoom_not_connected")


def test_a_bad_code_is_invalid_input(connected_api):
    assert connected_api.get(position("5930")).json()["code"] == "invalid_input"
    assert connected_api.get(position("00593a")).json()["code"] == "invalid_input"


def test_a_code_with_capital_letters_is_a_stock_code(connected_api):
    # 0000J0 is an ETN (brokerage.kiwoom.STOCK_CODE_PATTERN); nobody holds it here.
    response = connected_api.get(position("0000J0"))

    assert response.status_code == 200, response.content
    assert (response.json()["stock_code"], response.json()["holding"]) == ("0000J0", None)
