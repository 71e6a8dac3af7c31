"""A quote is fetched once for every user and process, and kept in each process as long as in the cache."""

import time

import pytest
import time_machine
from django.core.cache import cache

from brokerage.connections.models import KiwoomCredential
from brokerage.market.services import STOCK_INFO_SECONDS, stock_info_forget, stock_info_get

pytestmark = pytest.mark.django_db


def quotes_fetched(kiwoom) -> int:
    return kiwoom.control.stats()["calls"].get("ka10001", 0)


def test_a_process_answers_a_quote_it_fetched_from_memory_for_as_long_as_the_cache_keeps_it(
    connected_api, user, kiwoom
):
    credential = KiwoomCredential.objects.get(user=user)
    with time_machine.travel(time.time(), tick=False) as traveller:
        first = stock_info_get(credential=credential, stock_code="005930")
        cache.clear()  # what this process saw needs no cache
        kiwoom.control.set_price("005930", first.current_price + 100)

        traveller.shift(STOCK_INFO_SECONDS - 0.01)
        assert stock_info_get(credential=credential, stock_code="005930") == first
        assert quotes_fetched(kiwoom) == 1

        traveller.shift(0.01)
        assert stock_info_get(credential=credential, stock_code="005930").current_price == (
            first.current_price + 100
        )
        assert quotes_fetched(kiwoom) == 2


def test_a_quote_another_process_fetched_is_taken_from_the_cache_only_while_it_is_fresh(
    connected_api, user, kiwoom
):
    credential = KiwoomCredential.objects.get(user=user)
    with time_machine.travel(time.time(), tick=False) as traveller:
        first = stock_info_get(credential=credential, stock_code="005930")
        stock_info_forget()  # as another process would find it: in the cache only
        assert stock_info_get(credential=credential, stock_code="005930") == first
        assert quotes_fetched(kiwoom) == 1

        stock_info_forget()
        traveller.shift(STOCK_INFO_SECONDS)  # the cache entry outlived its age (a clock apart): fetched anew
        stock_info_get(credential=credential, stock_code="005930")
        assert quotes_fetched(kiwoom) == 2
