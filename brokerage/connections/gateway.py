"""The Kiwoom client for each mode, built from settings (one pooled session per base URL and process).

Every request the clients send passes the shared rate limiter (`ratelimit`) first, in the bucket of the
credential whose calls are being made: `kiwoom_call` names it with `calls_for(...)`. Requests outside
that scope (issuing and revoking tokens, which carry no token) are not paced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings

from brokerage.connections import ratelimit
from brokerage.connections.models import Mode
from brokerage.kiwoom import KiwoomClient


@dataclass
class _Calls:
    """The credential whose calls are being made in this thread or task, and the TRs whose slot is taken."""

    credential_id: int
    mode: str
    # TRs whose next call in this block has its slot already (`slots_take`). Threads that run this block's
    # operations share the set (in their copies of the context), so each taken slot is used once.
    taken: set[str] = field(default_factory=set)
    # When `slots_take` recorded their sends (monotonic clock).
    taken_at: float = 0.0


_current_calls: ContextVar[_Calls | None] = ContextVar("kiwoom_calls", default=None)


@contextmanager
def calls_for(*, credential_id: int, mode: str) -> Iterator[None]:
    """Pace the Kiwoom requests made inside this block in the credential's buckets."""
    reset = _current_calls.set(_Calls(credential_id=credential_id, mode=mode))
    try:
        yield
    finally:
        _current_calls.reset(reset)


def slots_take(api_ids: Sequence[str], *, version_of: str | None = None) -> str | None:
    """Wait for a slot of each of these TRs, all taken at once or none, for this block's next call of each.

    For calls that go out together (a balance's kt00018 and kt00001): taken one at a time under load, many
    requests would get one slot, be refused the other, and waste the first. Raises `SlotUnavailable` with
    none of them taken. Returns the version of `version_of`, read in the same round trip (None without).
    """
    calls = _current_calls.get()
    if calls is None:
        raise RuntimeError("slots_take needs a calls_for block")
    reservation = ratelimit.reserve(
        credential_id=calls.credential_id,
        api_ids=api_ids,
        rate=rate_for(calls.mode),
        max_wait=settings.KIWOOM_RATE_LIMIT_WAIT,
        version_of=version_of,
    )
    ratelimit.wait_for(reservation)
    calls.taken.update(api_ids)
    calls.taken_at = time.monotonic()
    return reservation.version


def rate_for(mode: str) -> float:
    """Kiwoom's limit per TR and token, in calls per second."""
    return settings.KIWOOM_RATE_LIMIT_REAL if mode == Mode.REAL else settings.KIWOOM_RATE_LIMIT_MOCK


def _throttle(api_id: str, token: str | None) -> None:
    calls = _current_calls.get()
    if calls is None or token is None:
        return
    try:
        calls.taken.remove(api_id)
    except KeyError:
        ratelimit.acquire(
            credential_id=calls.credential_id,
            api_id=api_id,
            rate=rate_for(calls.mode),
            max_wait=settings.KIWOOM_RATE_LIMIT_WAIT,
        )
    else:
        # `slots_take` recorded the send when it took the slot; this call may leave later (a pool thread slow
        # to start, or every thread busy and this call run after another): the bucket counts from now.
        if time.monotonic() - calls.taken_at > ratelimit.DEPARTURE_SLACK:
            ratelimit.record_send(credential_id=calls.credential_id, api_id=api_id)


@cache
def _client(base_url: str, connect_timeout: float, read_timeout: float) -> KiwoomClient:
    return KiwoomClient(
        base_url, connect_timeout=connect_timeout, read_timeout=read_timeout, throttle=_throttle
    )


def client_for(mode: str) -> KiwoomClient:
    base_url = settings.KIWOOM_REAL_BASE_URL if mode == Mode.REAL else settings.KIWOOM_MOCK_BASE_URL
    return _client(base_url, settings.KIWOOM_CONNECT_TIMEOUT, settings.KIWOOM_READ_TIMEOUT)
