"""Redis down, for real: the site is pointed at a `redis-server` of the test's own, which is killed mid-run
and started again on the same port, without restarting the site.

What needs Redis for safety (the shared rate limiter, the token's lock, the login counters) answers 503
`service_degraded` with Retry-After, quickly, having sent and written nothing half-done; what does not
(credential status, the ledger) answers as usual; everything works again once Redis is back.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import pytest
from django.test import Client

from brokerage.connections import coordination
from brokerage.connections.credential_cache import credential_keep, credential_kept
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.market import services as market_services
from brokerage.orders.models import Order, OrderStatus
from stocklab.settings.base import redis_caches
from tests.brokerage.orders.helpers import ORDERS, calls, limit_buy, order_calls
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/kiwoom/credentials/status"
BALANCE = "/api/v1/kiwoom/account/balance"
TOKEN = "/api/v1/auth/token"
SIGNUP = "/api/v1/auth/signup"
# A dead Redis is given up on within the clients' timeouts: no request waits anywhere near this long.
PROMPT_SECONDS = 3.0
NO_PERSISTENCE = ("--save", "", "--appendonly", "no")


class RedisServer:
    """A `redis-server` of this test's own, on a free port, without persistence."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", *NO_PERSISTENCE],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a paused server dies as well
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        """Still listening, never answering: what a hung or partitioned Redis looks like to its clients."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server(settings):
    """The site pointed at a Redis of its own (cache, locks, rate limiter, login counters); killed after."""
    server = RedisServer()
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = redis_caches(server.url)
    yield server
    server.kill()


@pytest.fixture
def web():
    return Client(headers={"accept-language": "en"})


def timed(request):
    """The response, asserted to come within PROMPT_SECONDS."""
    started = time.monotonic()
    response = request()
    elapsed = time.monotonic() - started
    assert elapsed < PROMPT_SECONDS, f"answered after {elapsed:.1f} s"
    return response


def answers(api, web, user, *, signup_name: str) -> dict[str, int]:
    """The status of each endpoint, for a connected `user` (through `api`) and a visitor (through `web`)."""
    login = {"username": user.username, "password": PASSWORD}
    signup = {"username": signup_name, "email": f"{signup_name}@example.com", "password": PASSWORD}
    requests = {
        "GET status": lambda: api.get(STATUS),
        "GET balance": lambda: api.get(BALANCE),
        "GET orders": lambda: api.get(ORDERS),
        "POST buy": lambda: limit_buy(api, 1, 71_500),
        "POST token": lambda: Client().post(TOKEN, login, content_type="application/json"),
        "POST signup": lambda: Client().post(SIGNUP, signup, content_type="application/json"),
        "GET login page": lambda: web.get("/accounts/login/"),
        "POST login page": lambda: web.post("/accounts/login/", login),
        "GET admin login": lambda: web.get("/admin/login/"),
        "POST admin login": lambda: web.post("/admin/login/", login),
    }
    return {name: timed(request).status_code for name, request in requests.items()}


def assert_degraded(response) -> None:
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["code"] == "service_degraded"


UP = {
    "GET status": 200,
    "GET balance": 200,
    "GET orders": 200,
    "POST buy": 201,
    "POST token": 200,
    "POST signup": 201,
    "GET login page": 200,
    "POST login page": 302,
    "GET admin login": 200,
    "POST admin login": 302,
}
DOWN = {
    "GET status": 200,  # PostgreSQL
    "GET balance": 503,  # Kiwoom, through the shared rate limiter
    "GET orders": 200,  # the ledger as it stands (the sync with Kiwoom is skipped)
    "POST buy": 503,  # the rate limiter; nothing written, nothing sent
    "POST token": 503,  # the lockout and the per-IP limit count in Redis: closed, not unbounded
    "POST signup": 503,  # the per-IP limit
    "GET login page": 200,
    "POST login page": 503,
    "GET admin login": 200,
    "POST admin login": 503,
}


def test_each_endpoint_with_redis_up_down_and_up_again(redis_server, connected_api, user, web, kiwoom):
    staff = UserFactory(is_staff=True)
    assert answers(connected_api, web, user, signup_name="first") == UP
    web.logout()
    placed, sent = Order.objects.count(), order_calls(kiwoom)

    redis_server.kill()

    assert answers(connected_api, web, user, signup_name="second") == DOWN
    # The refused buy left no entry, or (its quote still kept by this process) one that says not_placed.
    assert Order.objects.exclude(status=OrderStatus.NOT_PLACED).count() == placed
    assert order_calls(kiwoom) == sent  # and reached nobody
    for response in (
        connected_api.get(BALANCE),
        limit_buy(connected_api, 1, 71_500),
        Client().post(TOKEN, {"username": staff.username, "password": PASSWORD}),
        Client().post("/admin/login/", {"username": staff.username, "password": PASSWORD}),
    ):
        assert_degraded(response)

    redis_server.start()  # empty, on the same port; the site is not restarted

    assert answers(connected_api, web, user, signup_name="third") == UP
    assert order_calls(kiwoom) == sent + 1


def test_the_ledger_and_the_status_read_from_postgresql_while_redis_is_down(
    redis_server, connected_api, kiwoom
):
    assert limit_buy(connected_api, 1, 71_500).status_code == 201
    redis_server.kill()

    ledger = connected_api.get(ORDERS).json()
    status = connected_api.get(STATUS).json()

    assert [order["status"] for order in ledger["results"]] == [OrderStatus.ACCEPTED]
    assert status["connected"] is True


def test_redis_lost_between_the_quote_and_the_send_leaves_the_entry_not_placed(
    redis_server, connected_api, user, kiwoom, monkeypatch
):
    """The order's own rate-limit slot is taken inside the send: Redis gone by then, nothing leaves."""
    quote = market_services.stock_info_get
    quotes = []

    def quote_then_redis_dies(**kwargs):
        quotes.append(quote(**kwargs))
        if len(quotes) == 1:
            redis_server.kill()
        return quotes[-1]

    monkeypatch.setattr("brokerage.orders.services.entry.stock_info_get", quote_then_redis_dies)

    response = limit_buy(connected_api, 1, 71_500, key="one-key")

    assert_degraded(response)
    order = Order.objects.get(user=user)
    assert (order.status, order.sent_at, order.idempotency_key) == (OrderStatus.NOT_PLACED, None, "")
    assert calls(kiwoom, "kt10000") == 0

    redis_server.start()
    retried = limit_buy(connected_api, 1, 71_500, key="one-key")
    assert retried.status_code == 201, retried.content  # the key went free
    assert calls(kiwoom, "kt10000") == 1


def test_a_hung_redis_is_given_up_on_within_the_timeouts(redis_server, connected_api, kiwoom):
    redis_server.pause()
    try:
        assert_degraded(timed(lambda: connected_api.get(BALANCE)))
        assert_degraded(timed(lambda: limit_buy(connected_api, 1, 71_500)))
        assert timed(lambda: connected_api.get(STATUS)).status_code == 200
    finally:
        redis_server.resume()

    # (A lock taken in the instant Redis hung is held until its ttl: the balance's single flight would wait.)
    assert limit_buy(connected_api, 1, 71_500).status_code == 201
    assert order_calls(kiwoom) == 1


def test_a_credential_written_while_redis_was_unreachable_is_not_used_as_kept(
    redis_server, connected_api, user, settings
):
    """The write could not announce its new version. This process forgets what it keeps at once; another one,
    which met no outage, would still keep the row under the old version, which Redis still holds: the bump is
    made before this process reads a version again, so that copy is never used."""
    settings.KIWOOM_BALANCE_COALESCING = False  # every request asks Kiwoom with the credential
    assert connected_api.get(BALANCE).status_code == 200
    kept = credential_kept(user_id=user.pk, mode=Mode.MOCK)
    assert kept is not None

    settings.REDIS_URL = RedisServer().url  # nothing listens there: Redis is out of this process's reach
    KiwoomCredential.objects.filter(user=user).delete()  # an operator removes the keys
    assert credential_kept(user_id=user.pk, mode=Mode.MOCK) is None
    settings.REDIS_URL = redis_server.url
    credential_keep(kept.credential(), version=kept.version)  # as another process keeps it

    response = connected_api.get(BALANCE)

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "kiwoom_not_connected"
    assert not coordination._pending_bumps
