"""The market's services: a quote kept per process as long as in the cache, the stock master's sync and
whose keys it uses, and the limits of 관심종목."""

import time

import pytest
import time_machine
from django.core.cache import cache
from django.db.models import QuerySet

from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import credential_connect
from brokerage.market import services
from brokerage.market.errors import (
    MarketDataNotConnected,
    WatchlistFull,
    WatchlistLimitReached,
    WatchlistNameTaken,
    WatchlistNotFound,
)
from brokerage.market.models import Stock
from brokerage.market.search import stocks_search
from brokerage.market.services import (
    STOCK_INFO_SECONDS,
    master_credential,
    stock_info_forget,
    stock_info_get,
    stock_master_sync,
    watchlist_create,
    watchlist_delete,
    watchlist_item_add,
    watchlists_reorder,
)
from tests.brokerage.market.conftest import listed
from tests.factories import UserFactory

SEED_CODES = ["005930", "000660", "035420", "035720", "005380", "000270", "068270", "105560", "373220"]

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


# --- The stock master -------------------------------------------------------------------------------------


def test_a_fresh_install_knows_the_26_names_before_any_sync():
    assert Stock.objects.filter(is_listed=True).count() >= 26
    assert Stock.objects.get(code="005930").search_key == "ㅅㅅㅈㅈ"


def test_the_sync_lists_every_kospi_kosdaq_and_etf_code(connected_api, user, kiwoom):
    steps = []

    result = stock_master_sync(progress=lambda step, done, total: steps.append((step, done, total)))

    assert result.listed >= 2_500
    assert set(Stock.objects.filter(is_listed=True).values_list("market", flat=True)) >= {"KOSPI", "KOSDAQ"}
    assert steps[-1] == ("write", 4, 4)
    assert [done for _step, done, _total in steps] == [1, 2, 3, 4]
    samsung = Stock.objects.get(code="005930")
    assert (samsung.name, samsung.market, samsung.search_key) == ("삼성전자", "KOSPI", "ㅅㅅㅈㅈ")
    assert samsung.listed_shares > 0 and samsung.base_price > 0
    assert kiwoom.control.stats()["calls"]["ka10099"] >= 3


def test_a_second_sync_changes_nothing_and_search_sees_the_new_codes(connected_api, user, kiwoom):
    stock_master_sync()
    again = stock_master_sync()

    assert (again.created, again.updated, again.delisted) == (0, 0, 0)
    some = Stock.objects.exclude(code__in=SEED_CODES).filter(is_listed=True).first()
    assert some.code in [hit.stock_code for hit in stocks_search(text=some.name, limit=50)]


def test_a_code_gone_from_kiwoom_stays_unlisted(connected_api, user, kiwoom):
    listed("0000X0", "사라진회사")

    result = stock_master_sync()

    assert result.delisted == 1
    assert not Stock.objects.get(code="0000X0").is_listed


def test_an_answer_far_shorter_than_the_master_delists_nothing(connected_api, user, kiwoom, monkeypatch):
    stock_master_sync()
    monkeypatch.setattr(services, "MASTER_MARKETS", services.MASTER_MARKETS[2:])  # ETFs only

    result = stock_master_sync()

    assert result.delisted == 0
    assert Stock.objects.get(code="005930").is_listed


def test_the_operator_s_user_is_used_when_set(user, kiwoom, settings):
    operator, someone = UserFactory(username="market-operator"), UserFactory()
    for person, key in (
        (operator, "operatorKey0000000000000000000001"),
        (someone, "someoneKey00000000000000000000001"),
    ):
        credential_connect(user=person, app_key=key, app_secret=f"secret-{key}")

    settings.MARKET_DATA_CREDENTIAL_USER = ""
    assert master_credential().user_id in {operator.pk, someone.pk}
    settings.MARKET_DATA_CREDENTIAL_USER = "market-operator"
    assert master_credential().user_id == operator.pk


def test_an_operator_without_keys_is_refused_rather_than_someone_else_s_keys_used(connected_api, settings):
    UserFactory(username="keyless-operator")
    settings.MARKET_DATA_CREDENTIAL_USER = "keyless-operator"

    with pytest.raises(MarketDataNotConnected):
        master_credential()


def test_without_any_connected_keys_the_sync_is_refused(db, kiwoom):
    with pytest.raises(MarketDataNotConnected):
        stock_master_sync()
    assert "ka10099" not in kiwoom.control.stats()["calls"]


# --- 관심종목 ---------------------------------------------------------------------------------------------


def test_a_group_holds_at_most_a_hundred_codes(user):
    codes = [f"{n:06d}" for n in range(100_000, 100_101)]
    for code in codes:
        listed(code, f"종목{code}")
    watchlist = watchlist_create(user=user, name="full")
    for code in codes[:100]:
        watchlist_item_add(user=user, watchlist_id=watchlist.pk, stock_code=code)

    with pytest.raises(WatchlistFull):
        watchlist_item_add(user=user, watchlist_id=watchlist.pk, stock_code=codes[100])


def test_a_user_has_at_most_twenty_groups(user):
    for n in range(20):
        watchlist_create(user=user, name=f"group {n}")

    with pytest.raises(WatchlistLimitReached):
        watchlist_create(user=user, name="one more")


def test_a_name_another_request_took_meanwhile_is_taken_not_a_server_error(user, monkeypatch):
    """Two first groups of one name at once: the user has no row to lock, both pass the name check, and the
    second insert meets the unique constraint."""
    watchlist_create(user=user, name="반도체")
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)  # the check ran before the other's insert

    with pytest.raises(WatchlistNameTaken):
        watchlist_create(user=user, name="반도체")


def test_one_user_s_groups_are_out_of_another_s_reach(user):
    other = UserFactory()
    theirs = watchlist_create(user=other, name="theirs")

    with pytest.raises(WatchlistNotFound):
        watchlist_item_add(user=user, watchlist_id=theirs.pk, stock_code="005930")
    with pytest.raises(WatchlistNotFound):
        watchlist_delete(user=user, watchlist_id=theirs.pk)
    mine = watchlist_create(user=user, name="mine")
    watchlists_reorder(user=user, ids=[theirs.pk, mine.pk])  # theirs is passed over
    theirs.refresh_from_db()
    assert (theirs.user_id, theirs.position) == (other.pk, 0)
