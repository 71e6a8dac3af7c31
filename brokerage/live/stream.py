"""The stream process: one Kiwoom WebSocket per credential it holds a lease on (`manage.py kiwoom_stream`).

Every LIVE_DISCOVERY_INTERVAL it lists the active credentials and leases those nobody owns (up to
LIVE_MAX_SOCKETS), so new connections are picked up and a dead process's keys taken over; streams of
credentials that were disconnected stop. Every LIVE_LEASE_RENEW it renews its leases; a stream whose lease
was lost or runs out before it could be renewed is closed first (`Lease.valid_until` less a margin), so the
next owner never logs in while this socket is open. Each stream: token from the token service (single-flight
renewal), LOGIN, REG 00/04 for the account and 0B/0D for the codes the user's pages watch (`interest`),
events into the ledger and out to the pages, and on a drop, a SYSTEM frame or a renewed token a reconnection
with the freshest token after a backoff. A refused token is replaced once; refused again, it is not retried
before the backoff (LESSONS.md 9).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db import connection as db_connection
from django.utils import timezone
from django.utils.translation import gettext as _

from brokerage import kiwoom
from brokerage.connections.errors import (
    KiwoomDeviceNotAllowed,
    KiwoomInvalidCredentials,
    KiwoomModeMismatch,
    KiwoomNotConnected,
)
from brokerage.connections.models import Mode
from brokerage.kiwoom.realtime import (
    ACCOUNT_TYPES,
    MAX_CODES_PER_CONNECTION,
    TRADE_TYPES,
    BalanceEvent,
    KiwoomStreamSession,
    OrderBook,
    OrderEvent,
    SystemMessage,
    TradeTick,
)
from brokerage.live import leases
from brokerage.live.interest import interest_codes_many
from brokerage.live.models import StreamStatus
from brokerage.live.publish import (
    apublish_book,
    apublish_price,
    apublish_stream_status,
    publish_from_threads_on,
)
from brokerage.live.services import (
    LiveCredential,
    live_balance_event,
    live_credentials,
    live_order_events,
    live_token,
    live_token_replace,
    stream_events_seen,
    stream_state_record,
    stream_states_stop,
)
from stocklab.errors import ApplicationError

logger = logging.getLogger(__name__)

# How often the codes the pages watch are read again (one round trip for every stream of the process).
INTEREST_POLL_SECONDS = 1.0
# Last-event times are written (one UPDATE for all streams), and silent sessions closed, this often.
HOUSEKEEPING_SECONDS = 10.0
# An event about an order number the ledger does not know yet is tried again after these delays: a market
# order fills inside the kt10000 call, before the entry has written its number.
UNKNOWN_ORDER_RETRIES = (0.3, 1.0, 3.0)
# Keys a process above its share gives up per discovery round, for another process to take.
SHED_PER_ROUND = 50
# A session that sends nothing (not even a PING) this long is taken for dead.
IDLE_TIMEOUT_SECONDS = 90.0
# Each code's latest tick and book go to its group at most this often (see MarketFeed).
MARKET_FEED_SECONDS = 0.1

# Refusals that no reconnection can cure until the user or an operator acts: the stream waits for the
# credential to change (new token, new keys).
PARKING_ERRORS = (KiwoomInvalidCredentials, KiwoomDeviceNotAllowed, KiwoomModeMismatch, KiwoomNotConnected)


# Threads (each with its own database connection, kept for the process's life) for the streams' database work.
DB_THREADS = 8
# `00` events are applied in batches (one transaction each) by this many tasks, each taking what is waiting,
# up to ORDER_BATCH_MAX: at one fill a second per key, a thousand keys would be a thousand transactions a
# second one by one, more than the database and the process's threads keep up with.
ORDER_APPLIERS = 3
ORDER_BATCH_MAX = 500


def _in_worker(func: Callable, kwargs: dict):
    try:
        return func(**kwargs)
    except (InterfaceError, OperationalError):
        db_connection.close()  # a broken connection (the database restarted): the next call opens another
        raise


def _close_connection(barrier: threading.Barrier) -> None:
    db_connection.close()
    barrier.wait(timeout=5)  # every worker thread takes one of these, so each closes its own


def default_owner() -> str:
    return settings.LIVE_STREAM_ID or f"{socket.gethostname()}:{os.getpid()}"


def ws_url_for(mode: str) -> str:
    return settings.KIWOOM_REAL_WS_URL if mode == Mode.REAL else settings.KIWOOM_MOCK_WS_URL


@dataclass
class Timing:
    lease_ttl: float
    lease_renew: float
    discovery: float
    backoff_first: float
    backoff_max: float

    @classmethod
    def from_settings(cls) -> Timing:
        return cls(
            lease_ttl=settings.LIVE_LEASE_TTL,
            lease_renew=settings.LIVE_LEASE_RENEW,
            discovery=settings.LIVE_DISCOVERY_INTERVAL,
            backoff_first=settings.LIVE_BACKOFF_FIRST,
            backoff_max=settings.LIVE_BACKOFF_MAX,
        )

    @property
    def safety(self) -> float:
        """A stream closes its socket this long before its lease could lapse."""
        return max(self.lease_renew / 2, self.lease_ttl / 4)

    def backoff(self, attempt: int) -> float:
        """Seconds before reconnection attempt `attempt` (1, 2, ...): doubling, capped, with jitter."""
        base = min(self.backoff_max, self.backoff_first * 2 ** max(0, attempt - 1))
        return base * random.uniform(0.5, 1.0)


class StreamProcess:
    """All the streams of one process, and the leases behind them."""

    def __init__(
        self,
        *,
        owner: str | None = None,
        timing: Timing | None = None,
        max_sockets: int | None = None,
        url_for: Callable[[str], str] = ws_url_for,
    ) -> None:
        self.owner = owner or default_owner()
        self.timing = timing or Timing.from_settings()
        self.max_sockets = settings.LIVE_MAX_SOCKETS if max_sockets is None else max_sockets
        self.url_for = url_for
        self.streams: dict[int, CredentialStream] = {}
        self._parked: dict[int, str] = {}  # credential id -> token version it failed with
        self._stopping = asyncio.Event()
        self._db_threads = 0
        self._db_threads_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(
            max_workers=DB_THREADS, thread_name_prefix="stream-db", initializer=self._db_thread_started
        )
        self.feed = MarketFeed()
        self._order_events: asyncio.Queue[tuple[LiveCredential, OrderEvent, asyncio.Future]] = asyncio.Queue()

    def _db_thread_started(self) -> None:
        with self._db_threads_lock:
            self._db_threads += 1

    async def db(self, func: Callable, **kwargs):
        """Run a synchronous (database) function in the process's worker threads."""
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, partial(_in_worker, func, kwargs)
        )

    # -- lifecycle -------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until `stop()`; then close every socket and give the leases up."""
        logger.info("stream process %s starting", self.owner)
        # `order_changed` is sent in the database threads (after commit): its messages leave from this loop.
        publish_from_threads_on(asyncio.get_running_loop())
        loops = [
            asyncio.create_task(self._every(MARKET_FEED_SECONDS, self.feed.flush)),
            *(asyncio.create_task(self._apply_order_events()) for _ in range(ORDER_APPLIERS)),
            asyncio.create_task(self._every(self.timing.discovery, self.discover)),
            asyncio.create_task(self._every(self.timing.lease_renew, self.renew)),
            asyncio.create_task(self._every(0.25, self.watch_leases)),
            asyncio.create_task(self._every(INTEREST_POLL_SECONDS, self.refresh_interest)),
            asyncio.create_task(self._every(HOUSEKEEPING_SECONDS, self.housekeeping)),
        ]
        try:
            await self._stopping.wait()
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await self.release_all()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(leases.process_gone, owner=self.owner)
            await self._close_connections()
            publish_from_threads_on(None)
            logger.info("stream process %s stopped", self.owner)

    async def _close_connections(self) -> None:
        # One call per worker thread: each waits at the barrier until all have closed their own connection.
        threads = self._db_threads
        if threads:
            barrier = threading.Barrier(threads)
            loop = asyncio.get_running_loop()
            closing = [
                loop.run_in_executor(self._executor, _close_connection, barrier) for _ in range(threads)
            ]
            await asyncio.gather(*closing, return_exceptions=True)
        self._executor.shutdown(wait=False)

    def stop(self) -> None:
        self._stopping.set()

    async def _every(self, seconds: float, step: Callable) -> None:
        while True:
            started = time.monotonic()
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("stream process %s: %s failed", self.owner, step.__name__)
            await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))

    async def release_all(self) -> None:
        streams = list(self.streams.values())
        await asyncio.gather(*(stream.stop() for stream in streams), return_exceptions=True)
        self.streams.clear()
        for stream in streams:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(leases.lease_release, lease=stream.lease)
        with contextlib.suppress(Exception):
            await self.db(
                stream_states_stop, owner=self.owner, credential_ids=[s.credential.id for s in streams]
            )

    # -- order events ----------------------------------------------------------------------------------

    async def order_event(self, credential: LiveCredential, event: OrderEvent):
        """Apply a `00` event to the ledger with the others waiting; its order, or None if unknown (yet)."""
        applied = asyncio.get_running_loop().create_future()
        self._order_events.put_nowait((credential, event, applied))
        return await applied

    async def _apply_order_events(self) -> None:
        while True:
            batch = [await self._order_events.get()]
            while len(batch) < ORDER_BATCH_MAX and not self._order_events.empty():
                batch.append(self._order_events.get_nowait())
            try:
                await self._apply_batch(batch)
            except asyncio.CancelledError:
                for _credential, _event, applied in batch:
                    applied.cancel()
                raise
            except Exception:
                # One event the ledger refuses must not fail the others: each alone, then.
                for item in batch:
                    try:
                        await self._apply_batch([item])
                    except Exception as exc:
                        if not item[2].done():
                            item[2].set_exception(exc)

    async def _apply_batch(self, batch: list[tuple[LiveCredential, OrderEvent, asyncio.Future]]) -> None:
        items = [(credential, event) for credential, event, _applied in batch]
        orders = await self.db(live_order_events, items=items)
        for (_credential, _event, applied), order in zip(batch, orders, strict=True):
            if not applied.done():
                applied.set_result(order)

    # -- discovery and leases --------------------------------------------------------------------------

    async def discover(self) -> None:
        """Stop the streams of credentials gone; lease and start those nobody owns, up to the limit."""
        credentials = {credential.id: credential for credential in await self.db(live_credentials)}
        for credential_id, stream in list(self.streams.items()):
            current = credentials.get(credential_id)
            if current is None:
                await self._drop(stream, release=True)
            elif current.token_version != stream.credential.token_version:
                stream.token_renewed(current)
        for credential_id, version in list(self._parked.items()):
            current = credentials.get(credential_id)
            if current is None or current.token_version != version:
                del self._parked[credential_id]
        # A fair share of the credentials per live process, so that several processes split the keys (and a
        # dead one's share is spread over the others once its entry lapses).
        alive = await asyncio.to_thread(leases.processes_alive, owner=self.owner, ttl=self.timing.lease_ttl)
        share = min(self.max_sockets, math.ceil(len(credentials) / max(1, len(alive))))
        excess = len(self.streams) - share
        if excess > 0:
            # Give keys up to a process that has room: each moves with one short gap (close, then release).
            for stream in random.sample(list(self.streams.values()), min(excess, SHED_PER_ROUND)):
                await self._drop(stream, release=True)
        room = share - len(self.streams)
        candidates = [
            credential_id
            for credential_id in credentials
            if credential_id not in self.streams and credential_id not in self._parked
        ]
        if room <= 0 or not candidates:
            return
        # Only the keys nobody holds: with little room left, trying held ones would rarely find the free few.
        owned = await asyncio.to_thread(leases.lease_owners, credential_ids=candidates)
        free = [credential_id for credential_id in candidates if credential_id not in owned]
        random.shuffle(free)  # several processes starting together share the keys between them
        won = await asyncio.to_thread(
            leases.leases_acquire,
            credential_ids=free[:room],
            owner=self.owner,
            ttl=self.timing.lease_ttl,
        )
        for lease in won:
            stream = CredentialStream(self, credentials[lease.credential_id], lease)
            self.streams[lease.credential_id] = stream
            stream.start()

    async def renew(self) -> None:
        streams = list(self.streams.values())
        if not streams:
            return
        try:
            renewed = await asyncio.to_thread(
                leases.leases_renew, leases=[s.lease for s in streams], ttl=self.timing.lease_ttl
            )
        except ApplicationError as exc:
            logger.warning("stream process %s could not renew its leases: %s", self.owner, exc)
            return  # `watch_leases` closes the sockets before the leases can lapse
        for stream, lease in zip(streams, renewed, strict=True):
            if lease is None:
                logger.warning(
                    "stream process %s lost the lease of credential %s", self.owner, stream.credential.id
                )
                await self._drop(stream, release=False)
            else:
                stream.lease = lease

    async def watch_leases(self) -> None:
        """Close every socket whose lease could lapse before it is renewed (Redis away, a stalled loop)."""
        for stream in list(self.streams.values()):
            if stream.lease.remaining() <= self.timing.safety:
                logger.warning(
                    "stream process %s: lease of credential %s running out", self.owner, stream.credential.id
                )
                await self._drop(stream, release=False)

    async def _drop(self, stream: CredentialStream, *, release: bool) -> None:
        self.streams.pop(stream.credential.id, None)
        await stream.stop()
        if release:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(leases.lease_release, lease=stream.lease)

    async def park(self, stream: CredentialStream) -> None:
        """The stream cannot go on until its credential changes: give the key up and leave it be till then."""
        self._parked[stream.credential.id] = stream.credential.token_version
        self.streams.pop(stream.credential.id, None)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(leases.lease_release, lease=stream.lease)

    async def housekeeping(self) -> None:
        """Stamp the streams that had events since the last round; close sessions silent too long."""
        seen = []
        for stream in list(self.streams.values()):
            if stream.event_seen:
                stream.event_seen = False
                seen.append(stream.credential.id)
            session = stream.session
            if session is not None and time.monotonic() - session.last_frame_at > IDLE_TIMEOUT_SECONDS:
                logger.warning(
                    "credential %s: nothing from Kiwoom for a while; reconnecting", stream.credential.id
                )
                await session.close()
        if seen:
            await self.db(stream_events_seen, owner=self.owner, credential_ids=seen, at=timezone.now())

    # -- interest ---------------------------------------------------------------------------------------

    async def refresh_interest(self) -> None:
        streams = list(self.streams.values())
        if not streams:
            return
        wanted = await asyncio.to_thread(
            interest_codes_many, user_ids={s.credential.user_id for s in streams}
        )
        for stream in streams:
            stream.want(wanted.get(stream.credential.user_id, frozenset()))


class CredentialStream:
    """One credential's socket, reconnected until stopped."""

    def __init__(self, process: StreamProcess, credential: LiveCredential, lease: leases.Lease) -> None:
        self.process = process
        self.credential = credential
        self.lease = lease
        self.session: KiwoomStreamSession | None = None
        self.wanted: frozenset[str] = frozenset()
        self.registered: set[str] = set()
        self.state = ""
        self._task: asyncio.Task | None = None
        self._interest_changed = asyncio.Event()
        self._renewed = False
        self._replaced_at = -float("inf")  # when a refused token was last replaced
        self.event_seen = False  # since the last housekeeping round
        self._stopped = False
        self._side_tasks: set[asyncio.Task] = set()

    @property
    def user_id(self) -> int:
        return self.credential.user_id

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"kiwoom-stream-{self.credential.id}")

    async def stop(self) -> None:
        """Close the socket and end the stream; returns once the socket is closed."""
        self._stopped = True
        task = self._task
        while task is not None and not task.done():
            # Again if need be: a library may swallow one cancellation (asyncio.wait_for in Python 3.11 can);
            # `_stopped` ends the loop then.
            task.cancel()
            await asyncio.wait({task}, timeout=1)
        if self.session is not None:
            await self.session.close()
        for side in list(self._side_tasks):
            side.cancel()

    def token_renewed(self, credential: LiveCredential) -> None:
        """The token service renewed the token: LOGIN again with it, at once."""
        self.credential = credential
        self._renewed = True
        if self.session is not None:
            self._spawn(self.session.close())

    def want(self, codes: frozenset[str]) -> None:
        if codes != self.wanted:
            self.wanted = codes
            self._interest_changed.set()

    # -- the connection loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        try:
            while not self._stopped:
                if attempt:
                    await self._report(StreamStatus.RECONNECTING, _("Reconnecting to Kiwoom"), reconnect=True)
                    await asyncio.sleep(self.process.timing.backoff(attempt))
                if self._stopped:
                    return
                outcome = await self._connect_and_read()
                if outcome == "park":
                    if self.session is not None:
                        await self.session.close()
                    await self.process.park(self)
                    return
                if outcome == "renewed":
                    attempt = 0
                    await self._report(
                        StreamStatus.RECONNECTING, _("Reconnecting with a renewed token"), reconnect=True
                    )
                    continue
                if outcome == "replaced":
                    # Another socket logged in with this key (a tool of the user's own): do not kick it back
                    # at once; wait as if several attempts had failed.
                    attempt = max(attempt + 1, 4)
                    continue
                attempt += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("stream of credential %s failed", self.credential.id)
            await self._report(StreamStatus.DOWN, _("The live connection failed"))
        finally:
            if self.session is not None:
                await self.session.close()

    async def _connect_and_read(self) -> str:
        """One connection: 'park', 'renewed', 'replaced' or 'retry' once it ends."""
        self._renewed = False
        try:
            token, version = await self.process.db(live_token, credential_id=self.credential.id)
            self.credential = replace(self.credential, token_version=version)
        except PARKING_ERRORS as exc:
            await self._report(StreamStatus.DOWN, str(exc.detail), error=exc.code)
            return "park"
        except ApplicationError as exc:
            await self._report(StreamStatus.DOWN, str(exc.detail), error=exc.code)
            return "retry"
        session = await self._login(token)
        if isinstance(session, str):
            return session
        self.session = session
        self.registered = set()
        await self._report(StreamStatus.LIVE, "", connected=True)
        interest = asyncio.create_task(self._keep_interest(session))
        try:
            await session.register(ACCOUNT_TYPES)
            self._interest_changed.set()
            await self._read(session)
        except kiwoom.KiwoomSessionReplaced as exc:
            await self._report(
                StreamStatus.DOWN,
                _("Another connection with the same app key took over"),
                error=exc.code or "R10001",
            )
            return "replaced"
        except kiwoom.KiwoomError as exc:
            if self._renewed:
                return "renewed"
            await self._report(
                StreamStatus.RECONNECTING, _("The connection to Kiwoom dropped"), error=str(exc)
            )
            return "retry"
        finally:
            interest.cancel()
            # wait(), not `await interest`: a cancellation of this stream must not be swallowed here.
            await asyncio.wait({interest})
            await session.close()
            self.session = None
        return "retry"

    async def _login(self, token: str) -> KiwoomStreamSession | str:
        """A logged-in session, or the outcome when none could be had.

        A refused token is replaced (one au10001 for all processes), at most once per LIVE_BACKOFF_MAX: when
        the replacement is refused too, the token is not what is wrong, and asking for tokens in a loop
        would not help (LESSONS.md 9).
        """
        replaced = False
        while True:
            if self.lease.remaining() <= self.process.timing.safety:
                return "retry"  # never LOGIN on a lease that may lapse meanwhile
            session = KiwoomStreamSession(self.process.url_for(self.credential.mode))
            try:
                await session.connect(token)
                return session
            except kiwoom.KiwoomInvalidToken as exc:
                recently = time.monotonic() - self._replaced_at < self.process.timing.backoff_max
                if replaced or recently:
                    await self._report(StreamStatus.DOWN, _("Kiwoom refused the token"), error=exc.code or "")
                    return "retry"
                replaced = True
                self._replaced_at = time.monotonic()
                try:
                    token, _version = await self.process.db(
                        live_token_replace, credential_id=self.credential.id, rejected=token
                    )
                except PARKING_ERRORS as error:
                    await self._report(StreamStatus.DOWN, str(error.detail), error=error.code)
                    return "park"
                except ApplicationError as error:
                    await self._report(StreamStatus.DOWN, str(error.detail), error=error.code)
                    return "retry"
            except (
                kiwoom.KiwoomInvalidCredentials,
                kiwoom.KiwoomDeviceNotAllowed,
                kiwoom.KiwoomModeMismatch,
            ) as exc:
                await self._report(StreamStatus.DOWN, _("Kiwoom refused the connection"), error=str(exc))
                return "park"
            except kiwoom.KiwoomError as exc:
                await self._report(StreamStatus.RECONNECTING, _("Kiwoom cannot be reached"), error=str(exc))
                return "retry"

    async def _read(self, session: KiwoomStreamSession) -> None:
        # A session that went silent is closed by the process's housekeeping (`IDLE_TIMEOUT_SECONDS`).
        async for event in session.events():
            await self._handle(event)

    async def _handle(self, event) -> None:
        self.event_seen = True
        if isinstance(event, OrderEvent):
            await self._order_event(event)
        elif isinstance(event, BalanceEvent):
            await self.process.db(live_balance_event, user_id=self.user_id, event=event)
        elif isinstance(event, (TradeTick, OrderBook)):
            if event.stock_code in self.wanted:
                self.process.feed.offer(event)
        elif isinstance(event, SystemMessage):
            logger.info("credential %s: SYSTEM %s %s", self.credential.id, event.code, event.message)

    def _spawn(self, coroutine) -> None:
        # The loop keeps only weak references to tasks: hold them until done.
        task = asyncio.create_task(coroutine)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _order_event(self, event: OrderEvent, retry: int = 0) -> None:
        order = await self.process.order_event(self.credential, event)
        if order is None and retry < len(UNKNOWN_ORDER_RETRIES):
            self._spawn(self._order_event_later(event, retry))

    async def _order_event_later(self, event: OrderEvent, retry: int) -> None:
        await asyncio.sleep(UNKNOWN_ORDER_RETRIES[retry])
        await self._order_event(event, retry + 1)

    async def _keep_interest(self, session: KiwoomStreamSession) -> None:
        """REG/REMOVE 0B/0D so that the socket carries the codes the pages watch (at most 200)."""
        while True:
            await self._interest_changed.wait()
            self._interest_changed.clear()
            wanted = set(sorted(self.wanted)[:MAX_CODES_PER_CONNECTION])
            if len(self.wanted) > len(wanted):
                logger.warning(
                    "credential %s: Kiwoom carries at most %d codes; dropped %d: %s",
                    self.credential.id,
                    MAX_CODES_PER_CONNECTION,
                    len(self.wanted) - len(wanted),
                    ", ".join(sorted(self.wanted - wanted)),
                )
            try:
                gone = self.registered - wanted
                if gone:
                    await session.remove(TRADE_TYPES, sorted(gone))
                    self.registered -= gone
                new = wanted - self.registered
                if new:
                    await session.register(TRADE_TYPES, sorted(new))
                    self.registered |= new
            except kiwoom.KiwoomRegistrationRefused as exc:
                logger.warning("credential %s: registration refused: %s", self.credential.id, exc)
            except kiwoom.KiwoomError:
                return  # the session ended; the connection loop reconnects

    async def _report(
        self, state: str, reason: str, *, error: str = "", connected: bool = False, reconnect: bool = False
    ) -> None:
        changed = state != self.state
        self.state = state
        try:
            await self.process.db(
                stream_state_record,
                credential_id=self.credential.id,
                owner=self.process.owner,
                fence=self.lease.fence,
                state=state,
                reason=str(reason),
                error=error,
                connected=connected,
                reconnect=reconnect,
            )
        except Exception:
            logger.warning("credential %s: stream state not recorded", self.credential.id, exc_info=True)
        if changed and state != StreamStatus.STOPPED:
            await apublish_stream_status(self.user_id, state, str(reason))


class MarketFeed:
    """Prices and books to the pages once per code, not once per socket: every socket that registered a code
    hears the same tick, and a group send costs more than reading the frame. The latest tick and book of
    each code are kept and sent to the code's group every MARKET_FEED_SECONDS, unless equal to the last."""

    def __init__(self) -> None:
        self._latest: dict[tuple[type, str], TradeTick | OrderBook] = {}
        self._sent: dict[tuple[type, str], TradeTick | OrderBook] = {}

    def offer(self, event: TradeTick | OrderBook) -> None:
        key = (type(event), event.stock_code)
        if self._sent.get(key) != event:
            self._latest[key] = event

    async def flush(self) -> None:
        latest, self._latest = self._latest, {}
        sends = []
        for key, event in latest.items():
            if self._sent.get(key) == event:
                continue
            self._sent[key] = event
            if isinstance(event, TradeTick):
                sends.append(apublish_price(tick_message(event)))
            else:
                sends.append(apublish_book(book_message(event)))
        await asyncio.gather(*sends)


def tick_message(tick: TradeTick) -> dict:
    return {
        "stock_code": tick.stock_code,
        "price": tick.price,
        "change": tick.change,
        "change_rate": str(tick.change_rate),
        "volume": tick.cumulative_volume,
        "time": tick.time,
    }


def book_message(book: OrderBook) -> dict:
    return {
        "stock_code": book.stock_code,
        "asks": [list(level) for level in book.asks],
        "bids": [list(level) for level in book.bids],
        "time": book.time,
    }
