"""The Kiwoom client for each mode, built from settings (one pooled session per base URL and process).

Every request the clients send passes the shared rate limiter (`brokerage.ratelimit`) first, in the bucket
of the credential whose calls are being made: `kiwoom_call` names it with `calls_for(...)`. Requests outside
that scope (issuing and revoking tokens, which carry no token) are not paced.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.conf import settings

from . import ratelimit
from .kiwoom import KiwoomClient
from .models import Mode

# (credential id, mode) of the calls being made in this thread or task.
_current_bucket: ContextVar[tuple[int, str] | None] = ContextVar("kiwoom_bucket", default=None)


@contextmanager
def calls_for(*, credential_id: int, mode: str) -> Iterator[None]:
    """Pace the Kiwoom requests made inside this block in the credential's buckets."""
    reset = _current_bucket.set((credential_id, mode))
    try:
        yield
    finally:
        _current_bucket.reset(reset)


def rate_for(mode: str) -> float:
    """Kiwoom's limit per TR and token, in calls per second."""
    return settings.KIWOOM_RATE_LIMIT_REAL if mode == Mode.REAL else settings.KIWOOM_RATE_LIMIT_MOCK


def _throttle(api_id: str, token: str | None) -> None:
    bucket = _current_bucket.get()
    if bucket is None or token is None:
        return
    credential_id, mode = bucket
    ratelimit.acquire(
        credential_id=credential_id,
        api_id=api_id,
        rate=rate_for(mode),
        max_wait=settings.KIWOOM_RATE_LIMIT_WAIT,
    )


@cache
def _client(base_url: str, connect_timeout: float, read_timeout: float) -> KiwoomClient:
    return KiwoomClient(
        base_url, connect_timeout=connect_timeout, read_timeout=read_timeout, throttle=_throttle
    )


def client_for(mode: str) -> KiwoomClient:
    base_url = settings.KIWOOM_REAL_BASE_URL if mode == Mode.REAL else settings.KIWOOM_MOCK_BASE_URL
    return _client(base_url, settings.KIWOOM_CONNECT_TIMEOUT, settings.KIWOOM_READ_TIMEOUT)
