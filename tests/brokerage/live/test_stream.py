"""The stream process against the simulator's real sockets and the real Redis.

Each process runs on its own event loop in a thread (as `manage.py kiwoom_stream` runs it), or as a real
`manage.py kiwoom_stream` subprocess where it is killed. "Never logged in twice" is the simulator's own count:
R10001 kicks and the most sessions of one key at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import connection

from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import credential_connect, credential_disconnect, token_renew
from brokerage.live import leases
from brokerage.live.interest import interest_add
from brokerage.live.models import StreamState, StreamStatus
from brokerage.live.publish import code_group
from brokerage.live.stream import StreamProcess, Timing
from brokerage.orders.models import Order, OrderStatus
from brokerage.orders.services import order_place
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SAMSUNG = "005930"
ROOT = Path(__file__).resolve().parents[3]
FAST = {
    "LIVE_LEASE_TTL": 2.0,
    "LIVE_LEASE_RENEW": 0.5,
    "LIVE_DISCOVERY_INTERVAL": 0.3,
    "LIVE_BACKOFF_FIRST": 0.2,
    "LIVE_BACKOFF_MAX": 1.0,
}


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class ProcessThread:
    """A StreamProcess on its own event loop in a thread."""

    def __init__(self, owner: str, **options) -> None:
        self.process: StreamProcess | None = None
        self.owner = owner
        self.options = options
        self.loop: asyncio.AbstractEventLoop | None = None
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"stream-{owner}", daemon=True)

    def _run(self) -> None:
        async def main():
            self.loop = asyncio.get_running_loop()
            self.process = StreamProcess(owner=self.owner, timing=Timing.from_settings(), **self.options)
            self.started.set()
            await self.process.run()

        asyncio.run(main())

    def start(self) -> ProcessThread:
        self.thread.start()
        self.started.wait(5)
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.process.stop)
            self.thread.join(15)
            assert not self.thread.is_alive()


@pytest.fixture
def live(kiwoom, settings):
    """The simulator, with the site's sockets and fast lease timings pointed at it."""
    settings.KIWOOM_MOCK_WS_URL = kiwoom.ws_url
    for name, value in FAST.items():
        setattr(settings, name, value)
    kiwoom.control.reset_stream_stats()
    leases.leases_forget_local()
    threads: list[ProcessThread] = []
    kiwoom.start = lambda owner, **options: (
        threads.append(ProcessThread(owner, **options).start()) or threads[-1]
    )
    yield kiwoom
    for thread in threads:
        thread.stop()
    kiwoom.control.configure(ws_ping_interval=10.0, ws_max_missed_pings=5)
    kiwoom.control.clear_faults()


def connect(user, n: int) -> KiwoomCredential:
    return credential_connect(user=user, app_key=f"simLiveKey{n:012d}", app_secret=f"simLiveSecret{n:012d}")


def stream_stats(kiwoom) -> dict:
    return kiwoom.control.stream_stats()


def logged_in(kiwoom, app_key: str) -> bool:
    return app_key in stream_stats(kiwoom)["registered_codes"]


def assert_never_twice(kiwoom) -> None:
    stats = stream_stats(kiwoom)
    assert stats["replaced"] == {}, stats  # no R10001 ever sent
    assert all(count <= 1 for count in stats["max_concurrent"].values()), stats


def state_of(credential: KiwoomCredential) -> StreamState | None:
    return StreamState.objects.filter(credential=credential).first()


class TestOneStream:
    def test_login_reg_and_a_fill_reaches_the_ledger_without_a_sync(self, live, user):
        credential = connect(user, 1)
        live.start("A")
        wait_until(lambda: logged_in(live, credential.app_key), what="LOGIN")
        wait_until(lambda: (s := state_of(credential)) and s.state == StreamStatus.LIVE, what="live state")
        assert state_of(credential).owner == "A"

        live.control.set_price(SAMSUNG, 71_000)
        outcome = order_place(
            user=user, side="buy", stock_code=SAMSUNG, quantity=5, trade_type="0", price=70_000
        )
        order = Order.objects.get(pk=outcome.order.pk)
        assert order.status == OrderStatus.ACCEPTED
        live.control.set_price(SAMSUNG, 70_000)  # the resting order fills at Kiwoom: a 00 frame, nothing else

        order = wait_until(
            lambda: Order.objects.filter(pk=order.pk, status=OrderStatus.FILLED).first(), what="the fill"
        )
        assert (order.filled_quantity, order.average_fill_price) == (5, 70_000)
        assert live.control.stats()["calls"].get("ka10076", 0) == 0  # not from a sync
        assert_never_twice(live)

    def test_prices_of_watched_codes_reach_the_codes_group(self, live, user):
        credential = connect(user, 2)
        layer = get_channel_layer()
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(code_group(SAMSUNG), channel)
        interest_add(user_id=user.pk, connection_id="page-1", codes=[SAMSUNG])
        live.start("A")
        wait_until(
            lambda: SAMSUNG in stream_stats(live)["registered_codes"].get(credential.app_key, []),
            what="REG 0B",
        )
        live.control.set_price(SAMSUNG, 72_000)

        async def price():
            while True:
                message = (await layer.receive(channel))["message"]
                if message["type"] == "price":
                    return message

        message = async_to_sync(asyncio.wait_for)(price(), 5)
        assert message["stock_code"] == SAMSUNG and message["price"] > 0

    def test_a_renewed_token_is_used_at_once_without_a_kick(self, live, user):
        credential = connect(user, 3)
        live.start("A")
        wait_until(lambda: logged_in(live, credential.app_key), what="LOGIN")
        logins = stream_stats(live)["logins"][credential.app_key]
        issued = live.control.stats()["calls"]["au10001"]

        token_renew(credential=credential)  # the sweep or an operator renews it: the old token dies

        wait_until(
            lambda: (
                stream_stats(live)["logins"].get(credential.app_key, 0) > logins
                and logged_in(live, credential.app_key)
            ),
            what="LOGIN with the new token",
        )
        assert live.control.stats()["calls"]["au10001"] == issued + 1  # the renewal alone
        wait_until(lambda: state_of(credential).state == StreamStatus.LIVE, what="live again")
        assert_never_twice(live)

    def test_a_token_that_died_at_kiwoom_is_replaced_once_not_looped(self, live, user):
        credential = connect(user, 4)
        live.start("A")
        wait_until(lambda: logged_in(live, credential.app_key), what="LOGIN")
        issued = live.control.stats()["calls"]["au10001"]

        live.control.expire_tokens()  # Kiwoom drops every token; ours still looks valid to us

        wait_until(lambda: not logged_in(live, credential.app_key), what="the socket closed", timeout=5)
        wait_until(lambda: logged_in(live, credential.app_key), what="LOGIN again")
        assert live.control.stats()["calls"]["au10001"] == issued + 1

    def test_refused_logins_back_off_instead_of_looping(self, live, user, settings):
        settings.LIVE_BACKOFF_MAX = 5.0
        credential = connect(user, 5)
        live.control.inject_fault("ws_refuse_login", seconds=3)
        issued = live.control.stats()["calls"]["au10001"]
        live.start("A")
        time.sleep(3)
        # One replacement token after the first refusal, then attempts with backoff, no token per refusal.
        assert live.control.stats()["calls"]["au10001"] - issued == 1
        assert stream_stats(live)["logins"].get(credential.app_key, 0) == 0
        wait_until(
            lambda: logged_in(live, credential.app_key), what="LOGIN once LOGINs are accepted", timeout=10
        )
        assert state_of(credential).reconnects_today >= 1

    def test_dropped_and_stalled_sockets_come_back(self, live, user, settings):
        credential = connect(user, 6)
        live.start("A")
        wait_until(lambda: logged_in(live, credential.app_key), what="LOGIN")
        assert live.control.drop_streams(credential.app_key) == 1
        wait_until(
            lambda: (
                stream_stats(live)["logins"].get(credential.app_key, 0) >= 2
                and logged_in(live, credential.app_key)
            ),
            what="LOGIN after the drop",
        )
        assert_never_twice(live)

    def test_connections_and_disconnections_are_picked_up_while_running(self, live, user):
        live.start("A")
        time.sleep(0.5)
        credential = connect(user, 7)  # connected after the process started
        wait_until(lambda: logged_in(live, credential.app_key), what="the new credential's LOGIN")
        credential_disconnect(user=user)
        wait_until(lambda: not logged_in(live, credential.app_key), what="its socket closed")


class TestSeveralProcesses:
    def test_two_processes_share_the_keys_and_never_log_one_in_twice(self, live):
        credentials = [connect(UserFactory(), 100 + n) for n in range(8)]
        first, second = live.start("A"), live.start("B")
        wait_until(
            lambda: all(logged_in(live, c.app_key) for c in credentials),
            what="every key streaming",
            timeout=15,
        )
        time.sleep(2 * django_settings.LIVE_LEASE_TTL)  # several renewals and discoveries
        owned = set(first.process.streams) | set(second.process.streams)
        assert owned == {c.pk for c in credentials}
        assert not set(first.process.streams) & set(second.process.streams)
        assert len(first.process.streams) == len(second.process.streams) == 4  # half each
        # The first process may have leased them all before the second was up: a key moves at most once.
        assert all(count <= 2 for count in stream_stats(live)["logins"].values())
        assert_never_twice(live)

    def test_a_stopped_process_hands_its_keys_over_at_once(self, live):
        credentials = [connect(UserFactory(), 200 + n) for n in range(4)]
        first = live.start("A")
        wait_until(lambda: all(logged_in(live, c.app_key) for c in credentials), what="A streaming")
        second = live.start("B")
        first.stop()  # releases its leases
        wait_until(
            lambda: set(second.process.streams) == {c.pk for c in credentials}, what="B owning them all"
        )
        wait_until(lambda: all(logged_in(live, c.app_key) for c in credentials), what="B streaming")
        assert_never_twice(live)

    def test_a_lost_lease_closes_the_socket(self, live, user):
        credential = connect(user, 300)
        process = live.start("A")
        wait_until(lambda: logged_in(live, credential.app_key), what="LOGIN")
        leases.lease_release(lease=process.process.streams[credential.pk].lease)  # as if it had lapsed
        # Someone else takes the lease; A's next renewal fails and it must close its socket.
        [stolen] = leases.leases_acquire(credential_ids=[credential.pk], owner="thief", ttl=30)
        wait_until(lambda: not logged_in(live, credential.app_key), what="A closing its socket", timeout=5)
        assert credential.pk not in process.process.streams
        leases.lease_release(lease=stolen)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="processes share leases through Redis")
class TestFailover:
    def test_killing_a_process_moves_its_keys_within_the_bound_never_twice(self, live, tmp_path):
        credentials = [connect(UserFactory(), 400 + n) for n in range(6)]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "stocklab.settings.test",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": _database_url(),
            "KIWOOM_MOCK_BASE_URL": live.base_url,
            "KIWOOM_MOCK_WS_URL": live.ws_url,
            "KIWOOM_RATE_LIMIT_MOCK": "1000",
            "LIVE_LEASE_TTL": "3",
            "LIVE_LEASE_RENEW": "0.75",
            "LIVE_DISCOVERY_INTERVAL": "0.5",
            "LIVE_BACKOFF_FIRST": "0.2",
            "LIVE_BACKOFF_MAX": "1",
        }

        def spawn(name: str) -> subprocess.Popen:
            log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
            return subprocess.Popen(
                [sys.executable, "manage.py", "kiwoom_stream", "--id", name],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        victim = spawn("victim")
        try:
            wait_until(
                lambda: all(logged_in(live, c.app_key) for c in credentials),
                what="victim streaming",
                timeout=20,
            )
            survivor = spawn("survivor")
            wait_until(lambda: "running" in (tmp_path / "survivor.log").read_text(), what="the survivor up")
            time.sleep(1.0)
            victims_keys = [c for c in credentials if state_of(c).owner == "victim"]
            assert victims_keys, "the victim owns keys"
            killed_at = time.monotonic()
            victim.send_signal(signal.SIGKILL)
            victim.wait(5)
            wait_until(
                lambda: (
                    all(
                        (s := state_of(c)) and s.owner == "survivor" and s.state == StreamStatus.LIVE
                        for c in credentials
                    )
                    and all(logged_in(live, c.app_key) for c in credentials)
                ),
                what="every key streaming from the survivor",
                timeout=15,
            )
            took = time.monotonic() - killed_at
            assert took < 3 + 0.5 + 3, took  # lease TTL + a discovery round + the LOGIN
            assert_never_twice(live)
        finally:
            for process in (victim, locals().get("survivor")):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(15)


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class _Session:
    def __init__(self) -> None:
        self.registered: list[str] = []

    async def register(self, types, codes) -> None:
        self.registered += codes

    async def remove(self, types, codes) -> None:
        pass


def test_codes_over_kiwoom_s_limit_are_dropped_with_a_log_line(caplog):
    from types import SimpleNamespace

    from brokerage.live.interest import MAX_CODES_PER_CONNECTION
    from brokerage.live.stream import CredentialStream

    async def scenario() -> list[str]:
        stream = CredentialStream(None, SimpleNamespace(id=7, user_id=1), None)
        session = _Session()
        stream.want(frozenset(f"{n:06d}" for n in range(MAX_CODES_PER_CONNECTION + 2)))
        task = asyncio.create_task(stream._keep_interest(session))
        await asyncio.sleep(0.05)
        task.cancel()
        return session.registered

    with caplog.at_level(logging.WARNING, logger="brokerage.live.stream"):
        registered = asyncio.run(scenario())
    assert len(registered) == MAX_CODES_PER_CONNECTION
    dropped = [r.getMessage() for r in caplog.records if "dropped 2" in r.getMessage()]
    assert dropped and "000200, 000201" in dropped[0]
