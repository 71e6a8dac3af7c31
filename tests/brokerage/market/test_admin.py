"""The stock master in the admin: searchable by 초성, and an edit is seen by search at once."""

import pytest
from django.test import Client

from brokerage.market.models import Stock
from brokerage.market.search import stocks_search
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_stock_list_is_searched_by_initials(operator):
    response = operator.get("/admin/brokerage/stock/", {"q": "ㅅㅅㅈㅈ"})

    assert response.status_code == 200
    assert "005930" in response.content.decode()


def test_a_renamed_stock_is_found_by_its_new_name(operator):
    stocks_search(text="삼성")  # this process holds a copy
    stock = Stock.objects.get(code="003280")

    response = operator.post(
        f"/admin/brokerage/stock/{stock.code}/change/",
        {
            "code": stock.code,
            "name": "흥아해운홀딩스",
            "market": "KOSPI",
            "listed_shares": 1,
            "base_price": 1,
            "sector": "",
            "warnings": "[]",
            "nxt_enabled": "",
            "is_listed": "on",
        },
    )

    assert response.status_code == 302, response.content
    assert [hit.stock_code for hit in stocks_search(text="ㅎㅇㅎㅇㅎㄷ")] == ["003280"]
