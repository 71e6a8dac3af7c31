"""Balance coalescing: concurrent and repeated requests of one user share one upstream fetch."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.connections.coordination import lock_if_free
from brokerage.connections.errors import KiwoomNotConnected, KiwoomUnavailable
from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import credential_connect, credential_disconnect, credential_record_error
from brokerage.kiwoom import errors as kiwoom_errors
from brokerage.portfolio.services import (
    STALE_GRACE,
    _balance_refresh,
    _cache_key,
    account_balance_fetch,
)
from tests.conftest import bearer_client
from tests.factories import UserFactory

URL = "/api/v1/kiwoom/account/balance"


def connect(user=None, *, app_key: str | None = None):
    user = user or UserFactory()
    app_key = app_key or f"balanceTest{user.pk:022d}"
    credential_connect(user=user, app_key=app_key, app_secret=f"secret-{app_key}")
    return user


def upstream_calls(kiwoom) -> dict:
    return kiwoom.control.stats()["calls"]


def get_at_once(user, *, count: int) -> list:
    """`count` balance requests of `user`, each from its own thread, released together; their responses."""
    clients = [bearer_client(user) for _ in range(count)]
    barrier = threading.Barrier(count)
    responses = [None] * count

    def poll(index):
        try:
            barrier.wait(timeout=10)
            responses[index] = clients[index].get(URL)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return responses


@pytest.fixture(autouse=True)
def _coalescing(settings):
    settings.KIWOOM_BALANCE_COALESCING = True
    settings.KIWOOM_BALANCE_CACHE_SECONDS = 2.0


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_of_one_user_share_one_fetch(kiwoom):
    user = connect()
    kiwoom.control.configure(latency_ms=100)  # a slow Kiwoom: every request arrives while the fetch runs
    kiwoom.control.reset_stats()
    bodies = [response.json() for response in get_at_once(user, count=20)]

    calls = upstream_calls(kiwoom)
    assert (calls["kt00018"], calls["kt00001"]) == (1, 1)
    assert len({body["fetched_at"] for body in bodies}) == 1
    assert all(body["holdings"] for body in bodies)


@pytest.mark.django_db
class TestCache:
    def test_repeated_requests_within_the_window_are_answered_from_the_cache(self, kiwoom):
        user = connect()
        kiwoom.control.reset_stats()

        first = account_balance_fetch(user=user)
        second = account_balance_fetch(user=user)

        assert second == first
        assert upstream_calls(kiwoom)["kt00018"] == 1

    def test_after_the_window_the_balance_is_fetched_again(self, kiwoom, settings):
        settings.KIWOOM_BALANCE_CACHE_SECONDS = 0.3
        user = connect()
        kiwoom.control.reset_stats()
        first = account_balance_fetch(user=user)

        time.sleep(0.4)
        second = account_balance_fetch(user=user)

        assert second.fetched_at > first.fetched_at
        assert upstream_calls(kiwoom)["kt00018"] == 2

    def test_fetched_at_says_when_the_figures_were_fetched(self, kiwoom, connected_api):
        before = timezone.now()

        body = connected_api.get(URL).json()
        again = connected_api.get(URL).json()

        fetched_at = timezone.datetime.fromisoformat(body["fetched_at"])
        assert before - timedelta(seconds=1) <= fetched_at <= timezone.now()
        assert again["fetched_at"] == body["fetched_at"]  # the cached figures keep their age

    def test_users_never_share_a_balance(self, kiwoom):
        alice, bob = connect(), connect()
        kiwoom.control.add_account(app_key="richBob000000000000000000000001", secret="s", cash=77_000_000)
        credential_connect(user=bob, app_key="richBob000000000000000000000001", app_secret="s")
        kiwoom.control.reset_stats()

        alice_balance = account_balance_fetch(user=alice)
        bob_balance = account_balance_fetch(user=bob)

        assert bob_balance.summary.deposit == 77_000_000
        assert alice_balance.summary.deposit != bob_balance.summary.deposit
        assert upstream_calls(kiwoom)["kt00018"] == 2

    def test_new_keys_never_see_the_old_accounts_cached_balance(self, kiwoom):
        user = connect()
        old = account_balance_fetch(user=user)
        kiwoom.control.add_account(app_key="otherAccount00000000000000000001", secret="s", cash=1_234)

        credential_connect(user=user, app_key="otherAccount00000000000000000001", app_secret="s")
        new = account_balance_fetch(user=user)

        assert new.summary.deposit == 1_234 != old.summary.deposit

    def test_during_a_refresh_the_others_answer_with_the_previous_balance_at_once(self, kiwoom, settings):
        settings.KIWOOM_BALANCE_CACHE_SECONDS = 0.3
        user = connect()
        previous = account_balance_fetch(user=user)
        time.sleep(0.35)  # stale, but within the grace
        kiwoom.control.reset_stats()

        with lock_if_free(_cache_key(user_id=user.pk, mode="mock")) as another_request_fetches:
            assert another_request_fetches
            started = time.monotonic()
            answer = account_balance_fetch(user=user)

        assert answer == previous
        assert time.monotonic() - started < 0.1
        assert upstream_calls(kiwoom).get("kt00018", 0) == 0

    def test_without_a_usable_balance_a_request_waits_and_takes_over_a_failed_fetch(self, kiwoom, settings):
        settings.KIWOOM_BALANCE_CACHE_SECONDS = 0.3
        user = connect()
        account_balance_fetch(user=user)
        time.sleep(0.3 + STALE_GRACE.total_seconds() + 0.1)  # too old even to stand in
        kiwoom.control.reset_stats()
        locked, release = threading.Event(), threading.Event()

        def failing_fetch():
            with lock_if_free(_cache_key(user_id=user.pk, mode="mock")):
                locked.set()
                release.wait(5)  # ... and stores nothing

        fetcher = threading.Thread(target=failing_fetch)
        fetcher.start()
        locked.wait(5)
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        balance = account_balance_fetch(user=user)
        fetcher.join()

        assert time.monotonic() - started >= 0.25
        assert timezone.now() - balance.fetched_at < timedelta(seconds=0.3)
        assert upstream_calls(kiwoom)["kt00018"] == 1

    def test_invalidation_makes_the_next_request_fetch(self, kiwoom):
        user = connect()
        account_balance_fetch(user=user)
        kiwoom.control.reset_stats()

        account_cache_invalidate(user_id=user.pk)
        account_balance_fetch(user=user)

        assert upstream_calls(kiwoom)["kt00018"] == 1

    def test_a_fetch_under_way_during_an_invalidation_is_not_cached(self, kiwoom, settings):
        settings.KIWOOM_BALANCE_CACHE_SECONDS = 60
        user = connect()
        kiwoom.control.configure(latency_ms=300)
        # An order is placed (and the cache invalidated) while a balance fetch is on its way.
        threading.Timer(0.1, account_cache_invalidate, kwargs={"user_id": user.pk}).start()
        account_balance_fetch(user=user)
        kiwoom.control.configure(latency_ms=0)
        kiwoom.control.reset_stats()

        account_balance_fetch(user=user)

        assert upstream_calls(kiwoom)["kt00018"] == 1

    def test_invalidating_one_users_balance_leaves_the_others_cached(self, kiwoom):
        mine, theirs = connect(), connect()
        account_balance_fetch(user=mine)
        account_balance_fetch(user=theirs)
        kiwoom.control.reset_stats()

        account_cache_invalidate(user_id=mine.pk)
        account_balance_fetch(user=mine)
        account_balance_fetch(user=theirs)

        assert upstream_calls(kiwoom)["kt00018"] == 1

    def test_coalescing_off_fetches_every_time(self, kiwoom, settings):
        settings.KIWOOM_BALANCE_COALESCING = False
        user = connect()
        kiwoom.control.reset_stats()

        for _ in range(3):
            account_balance_fetch(user=user)

        assert upstream_calls(kiwoom)["kt00018"] == 3

    def test_the_two_calls_go_out_at_the_same_time(self, kiwoom, settings):
        settings.KIWOOM_BALANCE_COALESCING = False
        user = connect()
        kiwoom.control.configure(latency_ms=300)

        started = time.monotonic()
        account_balance_fetch(user=user)

        assert time.monotonic() - started < 0.55  # one latency, not two

    def test_8005_on_both_calls_renews_the_token_once(self, kiwoom, settings):
        settings.KIWOOM_BALANCE_COALESCING = False
        user = connect()
        kiwoom.control.expire_tokens()
        kiwoom.control.reset_stats()

        balance = account_balance_fetch(user=user)

        calls = upstream_calls(kiwoom)
        assert balance.holdings
        assert (calls["au10001"], calls["kt00018"], calls["kt00001"]) == (1, 2, 2)

    def test_a_cache_hit_reads_nothing_from_the_database(self, kiwoom, django_assert_num_queries):
        user = connect()
        first = account_balance_fetch(user=user)

        with django_assert_num_queries(0):
            second = account_balance_fetch(user=user)

        assert second == first

    def test_a_request_after_a_failed_fetch_asks_kiwoom_again(self, kiwoom):
        user = connect()
        kiwoom.control.inject_fault("http_5xx", api_id="kt00018", count=1)
        with pytest.raises(KiwoomUnavailable):
            account_balance_fetch(user=user)

        balance = account_balance_fetch(user=user)  # a user's "try again" right after the error

        assert balance.holdings

    def test_an_order_after_a_failure_makes_the_next_request_ask_kiwoom(self, kiwoom):
        user = connect()
        kiwoom.control.inject_fault("http_5xx", api_id="kt00018", count=1)
        with pytest.raises(KiwoomUnavailable):
            account_balance_fetch(user=user)

        account_cache_invalidate(user_id=user.pk)

        assert account_balance_fetch(user=user).holdings

    def test_a_disconnected_user_gets_not_connected_even_with_a_cached_balance(self, kiwoom):
        user = connect()
        account_balance_fetch(user=user)

        credential_disconnect(user=user)

        with pytest.raises(KiwoomNotConnected):
            account_balance_fetch(user=user)

    def test_refused_keys_end_the_cached_balance(self, kiwoom):
        user = connect()
        account_balance_fetch(user=user)
        credential = KiwoomCredential.objects.get(user=user)

        refused = kiwoom_errors.KiwoomInvalidCredentials("keys refused", code="8001")
        credential_record_error(credential=credential, error=refused)

        with pytest.raises(KiwoomNotConnected):
            account_balance_fetch(user=user)


@pytest.mark.django_db(transaction=True)
def test_requests_waiting_on_a_fetch_that_fails_share_its_error(kiwoom):
    user = connect()
    kiwoom.control.configure(latency_ms=200)  # every request arrives while the one fetch runs
    kiwoom.control.inject_fault("http_5xx", api_id="kt00018", count=20)
    kiwoom.control.reset_stats()
    answers = [(response.status_code, response.json()["code"]) for response in get_at_once(user, count=10)]

    assert answers == [(503, "kiwoom_unavailable")] * 10
    assert upstream_calls(kiwoom)["kt00018"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_request_waiting_for_a_fetch_that_fails_gets_its_error(kiwoom):
    user = connect()
    kiwoom.control.inject_fault("http_5xx", api_id="kt00018", count=2)
    locked, failed = threading.Event(), threading.Event()

    def failing_fetch():  # another request's fetch: it fails while ours waits for it
        with lock_if_free(_cache_key(user_id=user.pk, mode="mock")):
            locked.set()
            time.sleep(0.2)
            with pytest.raises(KiwoomUnavailable):
                _balance_refresh(user=user, mode="mock", seen=None, fresh_for=timedelta(seconds=2))
            failed.set()
        connection.close()

    fetcher = threading.Thread(target=failing_fetch)
    fetcher.start()
    locked.wait(5)
    kiwoom.control.reset_stats()
    with pytest.raises(KiwoomUnavailable) as shared:
        account_balance_fetch(user=user)
    fetcher.join()

    assert failed.is_set()
    assert upstream_calls(kiwoom)["kt00018"] == 1  # the other request's fetch alone
    assert shared.value.code == "kiwoom_unavailable"
