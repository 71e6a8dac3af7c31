"""Single-flight fetches of public market data, shared by every user and process through Django's cache.

A figure (a quote, an order book, candles) is kept under its key for a short window. When it is missing or
stale, one request, in whichever process, takes the key's lock (`coordination.lock_if_free`) and fetches it;
the others meanwhile answer with the stale figure for a moment (STALE_GRACE past its window) or, when there is
none, poll the cache until it is stored. A fetch that fails for a reason that is the same for everyone (an
unknown code, Kiwoom down: `shared_error`) stores its error for the requests that waited on it (they raise it
instead of asking Kiwoom again); a request that comes later tries anew. An error of the leader's own keys (not
connected, refused keys or token, its rate limit) is the leader's alone: nothing is stored, and the next
waiter fetches with its own keys. A hundred viewers
of one stock page therefore cost Kiwoom one call per TR per window, as one viewer does. The same design as
the balance's coalescing (brokerage.portfolio.services), without its per-user generations: market data
belongs to nobody.

Each process also remembers what it read for the rest of the window, so that a figure read once costs
no further cache round trip (`_seen`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.translation import gettext as _

from brokerage.connections.coordination import lock_if_free
from brokerage.connections.errors import (
    KiwoomBadRequest,
    KiwoomBusy,
    KiwoomUnavailable,
    KiwoomUnknownSymbol,
)
from stocklab.errors import ApplicationError

T = TypeVar("T")

# A waiter gives up after this long; the fetch it waits for is bounded by the rate limiter and the timeouts.
SINGLE_FLIGHT_WAIT_SECONDS = 15.0
WAITER_POLL_SECONDS = 0.02
# While one request renews a stale figure, the others answer with it for at most this long past its window.
STALE_GRACE_SECONDS = 0.5
# How long a failed fetch's error is kept for the requests that waited on it.
FAILURE_MEMORY_SECONDS = 2
_LOCK_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class _Outcome:
    stored_at: float  # time.time() when the fetch ended
    value: Any = None
    error: ApplicationError | None = None
    # Tells this outcome from the one before it, whatever the processes' clocks say.
    outcome: str = field(default_factory=lambda: secrets.token_hex(8))

    def age(self) -> float:
        return time.time() - self.stored_at

    def answers(self, *, seen: str | None, window: float) -> bool:
        """A value while it is fresh; an error only to the requests that waited for the fetch that failed."""
        if self.error is not None:
            return self.outcome != seen
        return 0 <= self.age() <= window

    def answer(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


def shared_error(error: ApplicationError) -> bool:
    """Whether a failed fetch's error is the market's (the same whoever asks), so handed to the waiters.

    Anything else is taken for the leader's own (its keys, token, rate limit; `KiwoomBusy` waits on its
    token's renewal): the waiters then fetch with their own keys rather than get another user's error.
    """
    if isinstance(error, KiwoomBusy):
        return False
    return isinstance(error, KiwoomUnknownSymbol | KiwoomBadRequest | KiwoomUnavailable)


_seen: dict[str, _Outcome] = {}
_seen_guard = threading.Lock()


def shared_fetch(*, key: str, window: float, fetch: Callable[[], T]) -> T:
    """The figure under `key`, fetched by `fetch()` at most once per `window` seconds across processes."""
    local = _seen.get(key)
    if local is not None and local.error is None and local.answers(seen=None, window=window):
        return local.value
    cache_key = f"market:shared:v1:{key}"
    deadline = time.monotonic() + SINGLE_FLIGHT_WAIT_SECONDS
    cached = cache.get(cache_key)
    seen = cached.outcome if cached is not None else None
    while True:
        if cached is not None and cached.answers(seen=seen, window=window):
            return _remember(key, cached).answer()
        with lock_if_free(f"market:{key}", ttl=_LOCK_TTL_SECONDS) as fetching:
            if fetching:
                return _refresh(key=key, cache_key=cache_key, window=window, seen=seen, fetch=fetch)
        if cached is not None and cached.error is None and cached.age() <= window + STALE_GRACE_SECONDS:
            return cached.value
        if time.monotonic() > deadline:
            raise KiwoomUnavailable(_("Kiwoom is slow to answer right now. Try again shortly."))
        time.sleep(WAITER_POLL_SECONDS)
        cached = cache.get(cache_key)


def _refresh(*, key: str, cache_key: str, window: float, seen: str | None, fetch: Callable[[], T]) -> T:
    """Fetch and store unless the lock's previous holder has just done so; under the lock."""
    cached = cache.get(cache_key)
    if cached is not None and cached.answers(seen=seen, window=window):
        return _remember(key, cached).answer()
    try:
        value = fetch()
    except ApplicationError as error:
        if shared_error(error):
            cache.set(cache_key, _Outcome(stored_at=time.time(), error=error), timeout=FAILURE_MEMORY_SECONDS)
        raise
    outcome = _Outcome(stored_at=time.time(), value=value)
    cache.set(cache_key, outcome, timeout=int(window + STALE_GRACE_SECONDS) + 1)
    return _remember(key, outcome).value


# Beyond this many figures a process drops the ones older than a minute (every window is shorter).
_SEEN_MAX = 20_000


def _remember(key: str, outcome: _Outcome) -> _Outcome:
    if outcome.error is None:
        with _seen_guard:
            if len(_seen) >= _SEEN_MAX:
                for old in [k for k, kept in _seen.items() if kept.age() > 60]:
                    del _seen[old]
            _seen[key] = outcome
    return outcome


def shared_forget() -> None:
    """Forget what this process remembers (tests; the shared cache is the caller's to clear)."""
    with _seen_guard:
        _seen.clear()
