"""How long an order's request to Kiwoom can take: the one formula behind every wait for an outcome."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from brokerage.connections.coordination import CREDENTIAL_LOCK_WAIT

# Beyond the timeouts: the work around a request (statements, locks, a slow process) takes this much at most.
_MARGIN_SECONDS = 5


def _request_seconds() -> float:
    """One request once it has a rate-limit slot: the connect and read timeouts."""
    return settings.KIWOOM_CONNECT_TIMEOUT + settings.KIWOOM_READ_TIMEOUT


def settle_time() -> timedelta:
    """After this long from `sent_at`, Kiwoom has certainly finished with the request it stamps (the stamp
    comes before the wait for a rate-limit slot)."""
    return timedelta(seconds=settings.KIWOOM_RATE_LIMIT_WAIT + _request_seconds() + _MARGIN_SECONDS)


def pending_timeout() -> timedelta:
    """How long an attempt can be in flight; a `pending` entry older than this was abandoned by its process.

    The longest `kiwoom_call` of an order: a token (waiting for another process's renewal, then au10001) and
    the request (a rate-limit slot, then the connect and read timeouts), and all of it once more after an
    8005 or an upstream 429.
    """
    once = CREDENTIAL_LOCK_WAIT + _request_seconds() + settings.KIWOOM_RATE_LIMIT_WAIT + _request_seconds()
    return timedelta(seconds=2 * once + _MARGIN_SECONDS)
