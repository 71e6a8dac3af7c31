"""Access tokens: issued once for all processes, renewed before they expire, and Kiwoom called through them.

Three paths issue a token (au10001), each under the credential's lock (shared by every process) and each
checking again once it holds the lock, so that concurrent callers anywhere cause one issue between them:

- the request path (`token_get_valid`): a token that expires within KIWOOM_TOKEN_REFRESH_MARGIN is replaced
  before use;
- a refused token in the middle of a call (8005, or 8010/8103: `kiwoom_call`, `kiwoom_calls`): the token is
  replaced only if the stored one is still the refused one (another process may have replaced it already),
  and the call is tried once more;
- the beat sweep (`token_refresh_claim_due`, then `token_refresh` in one Celery task per credential): tokens
  within KIWOOM_TOKEN_SWEEP_WINDOW of expiry are renewed before any request needs them.

Every issue checks that the expiry moved: Kiwoom may hand back the live token instead of a new one. That is
recorded as `same_token`; the token is used until it expires and not asked for again before then.
"""

from __future__ import annotations

import contextvars
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .. import kiwoom, ratelimit
from ..coordination import claim_many
from ..errors import (
    KiwoomApiError,
    KiwoomInvalidCredentials,
    KiwoomNotConnected,
    KiwoomRateLimited,
    KiwoomUnavailable,
    translate,
)
from ..gateway import calls_for, client_for, slots_take
from ..models import CredentialStatus, KiwoomCredential, RefreshOutcome
from ..models.credentials import SAME_TOKEN_RETRY_DELAY
from .credentials import DEVICE_CODES, INVALID_KEY_CODES, credential_record_error, token_lock

T = TypeVar("T")

# How long the sweep's claim on one credential's refresh lasts: longer than the refresh task's retries with
# backoff, so that sweeps meanwhile do not queue a second one. The claim names the token's expiry, so a
# renewed token is claimable again at once.
SWEEP_CLAIM_SECONDS = 300
# After a renewal failed (network, 5xx, 429) while the token was still alive, requests keep using that token
# this long before one of them tries again, instead of each paying for an au10001 that is likely to fail.
RENEWAL_RETRY_DELAY = timedelta(seconds=5)
# Threads per process for the operations of `kiwoom_calls` after the first (shared by every request).
UPSTREAM_THREADS = 32


@dataclass(frozen=True)
class TokenRefresh:
    """What a scheduled refresh did: a RefreshOutcome, or "" when nothing was due (any more)."""

    outcome: str
    # Kiwoom handed back the same token: when to ask again.
    retry_at: datetime | None = None


# --- The sweep ------------------------------------------------------------------------------------------


def token_refresh_due(*, now: datetime | None = None) -> list[tuple[int, datetime | None]]:
    """(id, token expiry) of the active credentials whose token refresh is due, soonest expiry first.

    Due: the token expires within the sweep window (or already has), except that a token Kiwoom handed back
    unchanged is due only once it has expired (`KiwoomCredential.refresh_due_at`).
    """
    now = now or timezone.now()
    window = timedelta(seconds=settings.KIWOOM_TOKEN_SWEEP_WINDOW)
    due = (
        KiwoomCredential.objects.filter(status=CredentialStatus.ACTIVE)
        .filter(Q(token_expires_at__lte=now + window) | Q(token_expires_at__isnull=True))
        .exclude(
            last_refresh_outcome=RefreshOutcome.SAME_TOKEN,
            token_expires_at__gt=now - SAME_TOKEN_RETRY_DELAY,
        )
        .order_by("token_expires_at")
        .values_list("pk", "token_expires_at")
    )
    return list(due)


def token_refresh_claim_due(*, now: datetime | None = None) -> list[int]:
    """Claim the credentials whose token refresh is due; the ids newly claimed, soonest expiry first.

    A claim names the credential and its token's expiry and lasts SWEEP_CLAIM_SECONDS, so a sweep that
    overlaps another (or finds the refreshes still queued) does not queue a second refresh of one token.
    """
    rows = token_refresh_due(now=now)
    names = [f"token-refresh:{pk}:{expires.timestamp() if expires else '-'}" for pk, expires in rows]
    claimed = claim_many(names, ttl=SWEEP_CLAIM_SECONDS)
    return [pk for (pk, _expiry), won in zip(rows, claimed, strict=True) if won]


def token_refresh(*, credential_id: int) -> TokenRefresh:
    """Renew the credential's token if its refresh is still due; idempotent.

    Refused keys and refused IPs/devices are recorded on the credential (which stops its refreshes) and
    returned as the outcome, as is any other refusal (`failed`: the next sweep tries again);
    `KiwoomUnavailable` (network, 5xx) and `KiwoomRateLimited` (429) are raised for the caller to retry soon.
    """
    with token_lock(credential_id):
        credential = KiwoomCredential.objects.filter(pk=credential_id).first()
        if credential is None or not _refresh_is_due(credential):
            return TokenRefresh(outcome="")
        try:
            outcome = _token_issue(credential)
        except (KiwoomUnavailable, KiwoomRateLimited):
            raise
        except KiwoomApiError:
            return TokenRefresh(outcome=credential.last_refresh_outcome)
    if outcome != RefreshOutcome.SAME_TOKEN:
        return TokenRefresh(outcome=outcome)
    # Never in the past, even when Kiwoom's clock runs behind ours: that would ask again at once.
    earliest = timezone.now() + SAME_TOKEN_RETRY_DELAY
    return TokenRefresh(outcome=outcome, retry_at=max(credential.refresh_due_at, earliest))


def _refresh_is_due(credential: KiwoomCredential, *, now: datetime | None = None) -> bool:
    due = credential.refresh_due_at
    return due is not None and due <= (now or timezone.now())


# --- The request path -----------------------------------------------------------------------------------


def token_get_valid(*, credential: KiwoomCredential) -> str:
    """A token good for at least the refresh margin (issuing one when needed); `credential` is updated."""
    if _token_is_usable(credential):
        return credential.access_token
    with token_lock(credential.pk):
        stored = _credential_reload(credential)
        if not _token_is_usable(stored):
            _token_renew_or_keep(stored)
    _token_copy(source=stored, target=credential)
    return credential.access_token


def _credential_reload(credential: KiwoomCredential) -> KiwoomCredential:
    """The stored row, key pair included, under the token lock; `kiwoom_not_connected` once disconnected (a
    request in flight while the user disconnects)."""
    stored = KiwoomCredential.objects.filter(pk=credential.pk).first()
    if stored is None:
        raise KiwoomNotConnected()
    return stored


def _token_is_usable(credential: KiwoomCredential, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    expires = credential.token_expires_at
    if not credential.access_token or expires is None:
        return False
    if credential.last_refresh_outcome == RefreshOutcome.SAME_TOKEN and _attempted_within(
        credential, SAME_TOKEN_RETRY_DELAY, now=now
    ):
        # Kiwoom just handed this token back, even at its expiry by our clock (its clock may lag ours, and
        # `expires_dt` has one-second resolution): asking again at once would loop. An 8005 still replaces it.
        return True
    if expires <= now:
        return False
    if credential.last_refresh_outcome == RefreshOutcome.SAME_TOKEN:
        return True  # Kiwoom will not renew it before it expires: asking again would only loop
    return expires - timedelta(seconds=settings.KIWOOM_TOKEN_REFRESH_MARGIN) > now


def _attempted_within(credential: KiwoomCredential, delay: timedelta, *, now: datetime) -> bool:
    attempted = credential.last_refresh_attempt_at
    return attempted is not None and attempted > now - delay


def _token_renew_or_keep(stored: KiwoomCredential) -> None:
    """Renew an expiring token under the lock; while it is still alive, a failed renewal keeps it in use.

    Refused keys are not tried again (every waiter would send its own au10001 with them), and after a renewal
    that failed moments ago the live token is used without asking: the sweep or a later request tries again.
    """
    if stored.status == CredentialStatus.INVALID:
        raise KiwoomInvalidCredentials()
    now = timezone.now()
    alive = bool(stored.access_token and stored.token_expires_at and stored.token_expires_at > now)
    failed_just_now = stored.last_refresh_outcome == RefreshOutcome.FAILED and _attempted_within(
        stored, RENEWAL_RETRY_DELAY, now=now
    )
    if alive and failed_just_now:
        return
    try:
        _token_issue(stored)
    except (KiwoomUnavailable, KiwoomRateLimited):
        if not alive:
            raise


def token_renew(*, credential: KiwoomCredential) -> str:
    """Issue a new token now, whatever the current one's expiry (an operator's "refresh now").

    Runs as the renewal after an 8005 does (the current token named as the one to replace, under the shared
    lock), so a click racing a request or the sweep still causes a single au10001; `credential` is updated.
    """
    return _token_replace_rejected(credential=credential, rejected=credential.access_token)


def _token_replace_rejected(*, credential: KiwoomCredential, rejected: str) -> str:
    """Kiwoom refused `rejected` (8005, 8010, 8103): a token to try once more with, issued only if nobody has
    yet."""
    with token_lock(credential.pk):
        stored = _credential_reload(credential)
        if stored.access_token == rejected:
            _token_issue(stored)
    _token_copy(source=stored, target=credential)
    return credential.access_token


def kiwoom_call(*, credential: KiwoomCredential, operation: Callable[[kiwoom.KiwoomClient, str], T]) -> T:
    """Run `operation(client, token)` with a valid token, paced by the shared rate limiter.

    On 8005 (or 8010/8103, refusals of the token) the token is renewed and the call tried once more; on an
    upstream 429 the credential's bucket for that TR is slowed down and the call tried once more in a later
    slot. Kiwoom did not process a call
    it refused with either, so trying it again (even an order) is safe. When no slot is free within
    KIWOOM_RATE_LIMIT_WAIT, nothing is sent and `kiwoom_rate_limited` (429, Retry-After) is raised.
    """
    return kiwoom_calls(credential=credential, operations=[operation])[0]


def kiwoom_calls(
    *,
    credential: KiwoomCredential,
    operations: Sequence[Callable[[kiwoom.KiwoomClient, str], Any]],
    api_ids: Sequence[str] = (),
) -> list[Any]:
    """`kiwoom_call` for independent operations, sent at the same time; their results in order.

    `api_ids` names the TRs the operations call: their rate-limit slots are taken together, all or none,
    before anything is sent, so that a request refused one slot wastes no other. The operations after the
    first run in threads that only talk HTTP (and Redis, for the rate limiter), or after the first in the
    caller's thread when no thread is free; renewing the token, recording errors and the one retry all happen
    in the caller's thread.
    """
    client = client_for(credential.mode)
    try:
        with calls_for(credential_id=credential.pk, mode=credential.mode):
            token = token_get_valid(credential=credential)
            if api_ids:
                slots_take(api_ids)
            outcomes = _attempt_all(client, token, operations)
            retry_token = token
            results = []
            for operation, outcome in zip(operations, outcomes, strict=True):
                if _token_refused(outcome):
                    if retry_token == token:
                        retry_token = _token_replace_rejected(credential=credential, rejected=token)
                    outcome = _attempt(operation, client, retry_token)
                elif isinstance(outcome, kiwoom.KiwoomRateLimited):
                    _bucket_penalize(credential=credential, error=outcome)
                    outcome = _attempt(operation, client, retry_token)
                if isinstance(outcome, BaseException):
                    raise outcome
                results.append(outcome)
            return results
    except kiwoom.KiwoomError as exc:
        if isinstance(exc, kiwoom.KiwoomRateLimited):
            _bucket_penalize(credential=credential, error=exc)
        # A refused order or an unknown stock code is about that request, not about the connection: the
        # credential's "last error" (shown beside its health) stays for what the keys and link went through.
        if not isinstance(exc, kiwoom.KiwoomOrderRejected | kiwoom.KiwoomUnknownSymbol):
            credential_record_error(credential=credential, error=exc)
        raise translate(exc) from exc
    except ratelimit.SlotUnavailable as exc:
        retry_after = max(1, math.ceil(exc.retry_after))
        raise KiwoomRateLimited(headers={"Retry-After": str(retry_after)}) from exc


# Refusals of the token rather than the keys, which a token issued now, from here, may cure: 8010 (issued from
# another IP) and 8103 (token or device check; Kiwoom's own helper issues anew on it), besides 8005.
TOKEN_BOUND_DEVICE_CODES = frozenset({"8010", "8103"})


def _token_refused(outcome: Any) -> bool:
    if isinstance(outcome, kiwoom.KiwoomInvalidToken):
        return True
    return isinstance(outcome, kiwoom.KiwoomDeviceNotAllowed) and outcome.code in TOKEN_BOUND_DEVICE_CODES


def _attempt(operation: Callable[[kiwoom.KiwoomClient, str], Any], client: kiwoom.KiwoomClient, token: str):
    """The operation's result, or the exception it raised (for the caller to retry or raise)."""
    try:
        return operation(client, token)
    except Exception as exc:
        return exc


def _attempt_all(client: kiwoom.KiwoomClient, token: str, operations: Sequence[Callable]) -> list[Any]:
    first, *others = operations
    pool = _upstream_pool()
    # Each thread runs in a copy of this context: its requests are paced in the same credential's buckets.
    futures = [pool.submit(contextvars.copy_context().run, _attempt, op, client, token) for op in others]
    results = [_attempt(first, client, token)]
    for operation, future in zip(others, futures, strict=True):
        results.append(_attempt(operation, client, token) if future is None else future.result())
    return results


class _UpstreamPool:
    """Threads that never keep a call waiting in a queue: with every thread busy, `submit` declines.

    A call queued behind other requests' calls would start late, and its caller would wait longer than the
    rate limiter's bound (KIWOOM_RATE_LIMIT_WAIT) and Kiwoom's answer together; run in the caller's thread
    instead, it is only one call later.
    """

    def __init__(self, size: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kiwoom")
        self._free = threading.BoundedSemaphore(size)

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Future[T] | None:
        """`fn(*args)` on a free thread; None when there is none."""
        if not self._free.acquire(blocking=False):
            return None
        try:
            future = self._executor.submit(fn, *args)
        except RuntimeError:  # the interpreter is shutting down: the caller's thread does it
            self._free.release()
            return None
        future.add_done_callback(lambda _: self._free.release())
        return future


_pools: dict[int, _UpstreamPool] = {}


def _upstream_pool() -> _UpstreamPool:
    # One pool per process, made after any fork (a forked pool would hold threads that no longer exist).
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        pool = _pools.setdefault(pid, _UpstreamPool(UPSTREAM_THREADS))
    return pool


def _bucket_penalize(*, credential: KiwoomCredential, error: kiwoom.KiwoomRateLimited) -> None:
    if error.api_id:
        ratelimit.penalize(credential_id=credential.pk, api_id=error.api_id)


# --- Issuing --------------------------------------------------------------------------------------------


def _token_issue(credential: KiwoomCredential) -> str:
    """Issue a token (au10001) and store Kiwoom's answer; the RefreshOutcome. Call under the lock.

    Kiwoom's error is recorded on the credential (refused keys make it invalid, a refused IP blocked) and
    raised as the API's error.
    """
    now = timezone.now()
    try:
        token = client_for(credential.mode).issue_token(
            app_key=credential.app_key, app_secret=credential.app_secret
        )
    except kiwoom.KiwoomError as exc:
        credential.last_refresh_attempt_at = now
        credential.last_refresh_outcome = _outcome_of(exc)
        credential.save(update_fields=["last_refresh_attempt_at", "last_refresh_outcome", "updated_at"])
        credential_record_error(credential=credential, error=exc)
        raise translate(exc) from exc

    previous_expiry = credential.token_expires_at if credential.access_token else None
    moved = previous_expiry is None or token.expires_at > previous_expiry
    outcome = RefreshOutcome.REFRESHED if moved else RefreshOutcome.SAME_TOKEN
    # Kiwoom's answer is the truth either way: store it.
    credential.access_token = token.token
    credential.token_expires_at = token.expires_at
    credential.status = CredentialStatus.ACTIVE
    credential.last_refresh_attempt_at = now
    credential.last_refresh_outcome = outcome
    fields = ["access_token", "token_expires_at", "status", "last_refresh_attempt_at", "last_refresh_outcome"]
    if moved:
        credential.last_refreshed_at = now
        fields.append("last_refreshed_at")
    credential.save(update_fields=[*fields, "updated_at"])
    return outcome


def _outcome_of(error: kiwoom.KiwoomError) -> str:
    # By the codes with which `credential_record_error` marks the credential invalid or blocked, so that the
    # outcome always matches its status. Other auth refusals leave it active and are plain failures: 8011/8012
    # (grant_type) and 8020 (keys missing from the request) fault our request, not the user's keys.
    if error.code in INVALID_KEY_CODES:
        return RefreshOutcome.INVALID_KEYS
    if error.code in DEVICE_CODES:
        return RefreshOutcome.DEVICE_REFUSED
    return RefreshOutcome.FAILED


def _token_copy(*, source: KiwoomCredential, target: KiwoomCredential) -> None:
    for name in (
        "access_token",
        "token_expires_at",
        "status",
        "last_refreshed_at",
        "last_refresh_attempt_at",
        "last_refresh_outcome",
    ):
        setattr(target, name, getattr(source, name))
