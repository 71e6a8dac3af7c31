"""Locks shared by every web and Celery process (Redis); process-local when the site runs without Redis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache

import redis
from django.conf import settings


class LockTimeout(RuntimeError):
    """The lock could not be taken in time."""


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def redis_client() -> redis.Redis | None:
    return _redis(settings.REDIS_URL) if settings.REDIS_URL else None


_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


@contextmanager
def named_lock(name: str, *, ttl: float = 30.0, wait: float = 15.0) -> Iterator[None]:
    """Hold `name` exclusively across processes; `ttl` bounds how long a crashed holder can block others."""
    client = redis_client()
    if client is None:
        with _local_locks_guard:
            lock = _local_locks.setdefault(name, threading.Lock())
        if not lock.acquire(timeout=wait):
            raise LockTimeout(name)
        try:
            yield
        finally:
            lock.release()
        return

    lock = client.lock(f"stocklab:lock:{name}", timeout=ttl, blocking_timeout=wait)
    if not lock.acquire():
        raise LockTimeout(name)
    try:
        yield
    finally:
        # A lock that outlived its ttl belongs to its new holder now: leave it alone.
        with suppress(redis.exceptions.LockNotOwnedError):
            lock.release()


def credential_lock(credential_id: int) -> contextmanager:
    """The lock under which a credential's token is issued, refreshed or revoked."""
    return named_lock(f"credential:{credential_id}:token")
