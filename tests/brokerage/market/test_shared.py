"""Single flight: figures shared by every user and process, fetched once per window however many ask."""

import threading
import time

import pytest
import time_machine
from django.db import connection

from brokerage.connections.errors import (
    KiwoomBusy,
    KiwoomInvalidCredentials,
    KiwoomNotConnected,
    KiwoomRateLimited,
    KiwoomTokenRejected,
    KiwoomUnavailable,
    KiwoomUnknownSymbol,
)
from brokerage.connections.services import calls, credential_connect, credential_get_connected_kept
from brokerage.market import services
from brokerage.market.services import candles_get, order_book_get, quote_get
from brokerage.market.shared import shared_fetch, shared_forget
from tests.conftest import bearer_client
from tests.factories import UserFactory


def at_once(count: int, work) -> list:
    """`work(index)` in `count` threads released together; their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as exc:  # the test looks at what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


class SlowSource:
    """An upstream that takes a while and counts its calls."""

    def __init__(self, *, seconds: float = 0.1, fail: bool = False) -> None:
        self.calls = 0
        self.seconds = seconds
        self.fail = fail
        self._guard = threading.Lock()

    def __call__(self):
        with self._guard:
            self.calls += 1
            call = self.calls
        time.sleep(self.seconds)
        if self.fail:
            raise KiwoomUnavailable("down")
        return {"call": call}


def test_a_hundred_concurrent_requests_make_one_call():
    source = SlowSource()

    results = at_once(100, lambda i: shared_fetch(key="t:one", window=2, fetch=source))

    assert source.calls == 1
    assert all(result == {"call": 1} for result in results)


def test_within_the_window_the_figure_is_reused_and_after_it_fetched_again():
    source = SlowSource(seconds=0)
    with time_machine.travel(time.time(), tick=False) as traveller:
        shared_fetch(key="t:window", window=2, fetch=source)
        traveller.shift(1.9)
        assert shared_fetch(key="t:window", window=2, fetch=source) == {"call": 1}
        traveller.shift(0.2)
        assert shared_fetch(key="t:window", window=2, fetch=source) == {"call": 2}


def test_another_process_finds_the_figure_in_the_shared_cache():
    source = SlowSource(seconds=0)
    shared_fetch(key="t:shared", window=2, fetch=source)
    shared_forget()  # a process that never saw it

    assert shared_fetch(key="t:shared", window=2, fetch=source) == {"call": 1}
    assert source.calls == 1


def test_the_requests_waiting_on_a_failed_fetch_get_its_error_and_a_later_one_tries_again():
    source = SlowSource(fail=True)

    results = at_once(20, lambda i: shared_fetch(key="t:fail", window=2, fetch=source))

    assert source.calls == 1
    assert all(isinstance(result, KiwoomUnavailable) for result in results)
    source.fail = False
    assert shared_fetch(key="t:fail", window=2, fetch=source) == {"call": 2}


def led_then_waited(key: str, leader_error: Exception) -> tuple[list, list]:
    """A leader whose fetch fails with `leader_error`, and a waiter that asks while it runs; what each got,
    and the waiter's own fetches."""
    started = threading.Event()
    waiter_fetches = []

    def leader_fetch():
        started.set()
        time.sleep(0.2)
        raise leader_error

    def waiter_fetch():
        waiter_fetches.append(1)
        return {"fetched": "by the waiter"}

    def work(index):
        if index == 0:
            return shared_fetch(key=key, window=2, fetch=leader_fetch)
        started.wait(timeout=5)
        return shared_fetch(key=key, window=2, fetch=waiter_fetch)

    return at_once(2, work), waiter_fetches


@pytest.mark.parametrize(
    "error",
    [
        KiwoomNotConnected(),
        KiwoomInvalidCredentials(),
        KiwoomRateLimited(),
        KiwoomTokenRejected(),
        KiwoomBusy(),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_error_of_the_leader_s_own_keys_is_not_handed_to_the_waiters(error):
    (leader, waiter), waiter_fetches = led_then_waited(f"t:own:{error.code}", error)

    assert leader is error
    assert waiter == {"fetched": "by the waiter"}
    assert waiter_fetches == [1]


@pytest.mark.parametrize(
    "error", [KiwoomUnknownSymbol(), KiwoomUnavailable()], ids=lambda error: type(error).__name__
)
def test_an_error_of_the_market_is_handed_to_the_waiters(error):
    (leader, waiter), waiter_fetches = led_then_waited(f"t:market:{error.code}", error)

    assert type(leader) is type(waiter) is type(error)
    assert waiter_fetches == []


def test_keys_are_apart():
    source = SlowSource(seconds=0)
    shared_fetch(key="t:a", window=2, fetch=source)
    shared_fetch(key="t:b", window=2, fetch=source)

    assert source.calls == 2


def connected_users(count: int) -> list:
    users = [UserFactory() for _ in range(count)]
    for index, user in enumerate(users):
        credential_connect(user=user, app_key=f"sharedQuote{index:022d}", app_secret=f"secret-shared-{index}")
        # As after any page of theirs: the process keeps their credential, so that a request reads no row
        # (a hundred bare threads reading it at once would need a hundred database connections).
        credential_get_connected_kept(user=user, mode="mock")
    return users


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("api_id", "read"),
    [
        ("ka10001", lambda user: quote_get(user=user, stock_code="005930")),
        ("ka10004", lambda user: order_book_get(user=user, stock_code="005930")),
        (
            "ka10081",
            lambda user: candles_get(user=user, stock_code="005930", interval="day", chart_range="1M"),
        ),
    ],
    ids=["quote", "orderbook", "candles"],
)
def test_a_hundred_viewers_of_one_stock_cost_kiwoom_one_call_per_tr(kiwoom, api_id, read):
    """Counted by the simulator: 100 requests of 10 users, each with their own keys, for one stock at once."""
    users = connected_users(10)
    kiwoom.control.configure(latency_ms=100)  # every request arrives while the one fetch runs
    kiwoom.control.reset_stats()

    results = at_once(100, lambda i: read(users[i % len(users)]))

    assert not [result for result in results if isinstance(result, Exception)]
    assert kiwoom.control.stats()["calls"].get(api_id) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_stock_pages_through_the_api_share_one_quote(kiwoom):
    """The same through the API (20 at once: each request holds a database connection for its user)."""
    users = connected_users(4)
    clients = [bearer_client(users[i % len(users)]) for i in range(20)]
    kiwoom.control.configure(latency_ms=100)
    kiwoom.control.reset_stats()

    responses = at_once(20, lambda i: clients[i].get("/api/v1/kiwoom/stocks/005930/quote"))

    assert [r.status_code for r in responses] == [200] * 20
    assert kiwoom.control.stats()["calls"].get("ka10001") == 1
    assert len({r.json()["as_of"] for r in responses}) == 1


@pytest.mark.django_db(transaction=True)
def test_a_user_s_refused_keys_do_not_reach_another_user_waiting_on_the_same_quote(kiwoom, monkeypatch):
    """User A's keys are refused while A fetches the quote; user B, asking meanwhile, gets the quote."""
    user_a, user_b = connected_users(2)
    a_is_fetching = threading.Event()
    send = calls._send

    def refused_for_a(credential, operations):
        if credential.user_id == user_a.pk:
            a_is_fetching.set()
            time.sleep(0.3)
            raise KiwoomInvalidCredentials()
        return send(credential, operations)

    monkeypatch.setattr(calls, "_send", refused_for_a)

    def work(index):
        if index == 0:
            return quote_get(user=user_a, stock_code="005930")
        a_is_fetching.wait(timeout=5)
        return quote_get(user=user_b, stock_code="005930")

    a_result, b_result = at_once(2, work)

    assert isinstance(a_result, KiwoomInvalidCredentials)
    assert not isinstance(b_result, Exception), b_result
    assert b_result.value.stock_code == "005930"


@pytest.mark.django_db
def test_a_user_without_keys_gets_their_own_error_and_never_leads_a_shared_fetch(user, kiwoom, monkeypatch):
    led = []
    monkeypatch.setattr(services, "shared_fetch", lambda **kwargs: led.append(kwargs["key"]))
    kiwoom.control.reset_stats()

    for read in (
        lambda: quote_get(user=user, stock_code="005930"),
        lambda: order_book_get(user=user, stock_code="005930"),
        lambda: candles_get(user=user, stock_code="005930", interval="day", chart_range="1M"),
        lambda: services.quotes_get(user=user, stock_codes=["005930"]),
    ):
        with pytest.raises(KiwoomNotConnected):
            read()

    assert led == []
    assert not kiwoom.control.stats()["calls"]
