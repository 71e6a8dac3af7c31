"""Locks, claims and versions shared by every web and Celery process (Redis); process-local without Redis
(the demo).

When Redis cannot be reached (`redis_required`), what needs it for safety is refused with
`KiwoomCoordinationUnavailable` (503 `service_degraded`) before anything is sent: a lock, a claim, a
version read. Its clients give up within REDIS_SOCKET_CONNECT_TIMEOUT / REDIS_SOCKET_TIMEOUT (a dead Redis
never hangs a request) and reconnect by themselves when it is back. A version that could not be bumped is
bumped as soon as Redis answers again, before this process reads any version.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from brokerage.connections.errors import KiwoomBusy, KiwoomCoordinationUnavailable

logger = logging.getLogger(__name__)

KEY_PREFIX = "stocklab:"
# How often a waiter looks at a held lock again: short, because holders (a token issue, a balance fetch)
# finish within tens of milliseconds and every waiter is a user waiting for an answer.
LOCK_POLL_SECONDS = 0.01


@cache
def _redis(url: str, connect_timeout: float, timeout: float) -> redis.Redis:
    # One immediate retry on a broken connection: the first command after Redis restarted finds the pooled
    # connection dead and reconnects, instead of failing a request. A timeout is not tried again: a hung Redis
    # costs a request one timeout per step, not several.
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=connect_timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    )


def redis_client() -> redis.Redis | None:
    """The shared Redis, or None on embedded defaults (REDIS_URL empty: one process, process-local state)."""
    if not settings.REDIS_URL:
        return None
    return _redis(settings.REDIS_URL, settings.REDIS_SOCKET_CONNECT_TIMEOUT, settings.REDIS_SOCKET_TIMEOUT)


@contextmanager
def redis_required() -> Iterator[None]:
    """Redis's failures in the block as `KiwoomCoordinationUnavailable`: what runs there needs Redis."""
    try:
        yield
    except redis.RedisError as exc:
        logger.warning("Redis cannot be reached: %s", exc)
        raise KiwoomCoordinationUnavailable() from exc


_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def _acquire(name: str, *, ttl: float, wait: float) -> Callable[[], None] | None:
    """Take `name`, waiting up to `wait` seconds (0: one try); the function that releases it, or None."""
    client = redis_client()
    if client is None:
        with _local_guard:
            local = _local_locks.setdefault(name, threading.Lock())
        return local.release if local.acquire(timeout=wait) else None

    lock = client.lock(
        f"{KEY_PREFIX}lock:{name}",
        timeout=ttl,
        blocking=wait > 0,
        blocking_timeout=wait,
        sleep=LOCK_POLL_SECONDS,
    )
    with redis_required():
        if not lock.acquire():
            return None

    def release() -> None:
        # A lock that outlived its ttl belongs to its new holder now: leave it alone. One that cannot be
        # released (Redis went away meanwhile) lapses after its ttl: the work it guarded is done.
        try:
            lock.release()
        except redis.exceptions.LockNotOwnedError:
            pass
        except redis.RedisError as exc:
            logger.warning("The lock %s could not be released (it lapses in %s s): %s", name, ttl, exc)

    return release


@contextmanager
def named_lock(name: str, *, ttl: float = 30.0, wait: float = 15.0) -> Iterator[None]:
    """Hold `name` exclusively across processes; `ttl` bounds how long a crashed holder can block others.

    Raises `KiwoomBusy` when the lock stays taken for `wait` seconds.
    """
    release = _acquire(name, ttl=ttl, wait=wait)
    if release is None:
        raise KiwoomBusy()
    try:
        yield
    finally:
        release()


@contextmanager
def lock_if_free(name: str, *, ttl: float = 30.0) -> Iterator[bool]:
    """Take `name` only if nobody holds it; yields whether this caller holds it (released on exit)."""
    release = _acquire(name, ttl=ttl, wait=0)
    try:
        yield release is not None
    finally:
        if release is not None:
            release()


# How long a caller waits for another process's token issue: several au10001 round trips, with retries.
CREDENTIAL_LOCK_WAIT = 15.0


def credential_lock(credential_id: int) -> AbstractContextManager[None]:
    """The lock under which a credential's token is issued, refreshed or revoked (else `KiwoomBusy`)."""
    return named_lock(f"credential:{credential_id}:token", wait=CREDENTIAL_LOCK_WAIT)


_local_claims: dict[str, float] = {}


def claim_many(names: Sequence[str], *, ttl: float) -> list[bool]:
    """Claim each name for `ttl` seconds unless it is already claimed; True where this caller got it.

    Claims are never released: they lapse. A name that encodes the state it is about (a credential and its
    token's expiry, say) makes an obsolete claim harmless.
    """
    if not names:
        return []
    client = redis_client()
    if client is None:
        now = time.monotonic()
        with _local_guard:
            for name, until in list(_local_claims.items()):
                if until <= now:
                    del _local_claims[name]
            taken = []
            for name in names:
                taken.append(name not in _local_claims)
                _local_claims.setdefault(name, now + ttl)
        return taken
    milliseconds = max(1, int(ttl * 1000))
    pipeline = client.pipeline(transaction=False)
    for name in names:
        pipeline.set(f"{KEY_PREFIX}claim:{name}", b"1", nx=True, px=milliseconds)
    with redis_required():
        return [bool(result) for result in pipeline.execute()]


# --- Versions -----------------------------------------------------------------------------------------------

# How long an unchanged version is remembered. One that lapsed is made anew, with a new value: whatever was
# kept under the old one is read again, so forgetting is always safe.
VERSION_MEMORY_SECONDS = 86_400

_local_versions: dict[str, str] = {}
# Names whose bump failed (Redis unreachable): bumped before this process reads any version again.
_pending_bumps: set[str] = set()


def version_key(name: str) -> str:
    return f"{KEY_PREFIX}version:{name}"


def version_new() -> str:
    return secrets.token_hex(8)


def version_read(name: str) -> str:
    """The current version of `name`: a random value, made on first read and replaced by `version_bump`."""
    client = redis_client()
    if client is None:
        with _local_guard:
            return _local_versions.setdefault(name, version_new())
    versions_catch_up()
    fresh = version_new()
    with redis_required():
        found = client.set(version_key(name), fresh, nx=True, get=True, ex=VERSION_MEMORY_SECONDS)
    return fresh if found is None else found.decode()


def version_bump(name: str) -> bool:
    """Give `name` a new version: what any process keeps under the old one is stale from now on.

    False when Redis cannot be reached: the bump is made again before this process reads a version
    (`versions_catch_up`), so that what another process keeps under the old one is not used after that.
    """
    client = redis_client()
    if client is None:
        with _local_guard:
            _local_versions[name] = version_new()
        return True
    try:
        client.set(version_key(name), version_new(), ex=VERSION_MEMORY_SECONDS)
    except redis.RedisError as exc:
        logger.warning("The version of %s could not be changed (retried when Redis is back): %s", name, exc)
        with _local_guard:
            _pending_bumps.add(name)
        return False
    return True


def versions_catch_up() -> None:
    """Make the bumps that failed while Redis was unreachable (`KiwoomCoordinationUnavailable` if still)."""
    if not _pending_bumps:
        return
    with _local_guard:
        names = list(_pending_bumps)
    client = redis_client()
    if client is None:
        return
    pipeline = client.pipeline(transaction=False)
    for name in names:
        pipeline.set(version_key(name), version_new(), ex=VERSION_MEMORY_SECONDS)
    with redis_required():
        pipeline.execute()
    with _local_guard:
        _pending_bumps.difference_update(names)
