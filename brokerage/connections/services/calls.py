"""Calling Kiwoom with a user's keys: a valid token, the shared rate limiter, one retry of what Kiwoom refused
unprocessed (a refused token, its 429), and errors in the API's vocabulary.

Every call to Kiwoom outside the token's own issue goes through `kiwoom_call`, `kiwoom_calls` or
`kiwoom_calls_for`. A call goes one way: the credential (kept in memory, `credential_cache`, or read), its
rate-limit slots (`gateway`, the credential's version read in the same Redis round trip), its token
(`tokens`), then the Kiwoom client. Kiwoom's errors and the limiter's refusals come back as the domain's
errors, translated here once. Without Redis nothing is sent (`KiwoomCoordinationUnavailable`, 503
`service_degraded`), and the process forgets the credentials it keeps: their versions live in Redis.
"""

from __future__ import annotations

import contextvars
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections import ratelimit
from brokerage.connections.coordination import version_read
from brokerage.connections.credential_cache import (
    credential_keep,
    credential_kept,
    credentials_forget,
    version_name,
)
from brokerage.connections.errors import KiwoomCoordinationUnavailable, KiwoomRateLimited, translate
from brokerage.connections.gateway import calls_for, client_for, slots_take
from brokerage.connections.models import KiwoomCredential
from brokerage.connections.selectors import credential_find, credential_require_connected
from brokerage.connections.services import tokens
from brokerage.connections.services.credentials import credential_record_error

T = TypeVar("T")

# Threads per process for the operations of `kiwoom_calls` after the first (shared by every request).
UPSTREAM_THREADS = 32


def kiwoom_call(
    *,
    credential: KiwoomCredential,
    operation: Callable[[kiwoom.KiwoomClient, str], T],
    api_id: str | None = None,
) -> T:
    """Run `operation(client, token)` with a valid token, paced by the shared rate limiter.

    On 8005 (or 8010/8103, refusals of the token) the token is renewed and the call tried once more; on an
    upstream 429 the credential's bucket for that TR is slowed down and the call tried once more in a later
    slot. Kiwoom did not process a call it refused with either, so trying it again (even an order) is safe.
    When no slot is free within KIWOOM_RATE_LIMIT_WAIT, nothing is sent and `kiwoom_rate_limited` (429,
    Retry-After) is raised. `api_id` names the TR the operation calls, so that its slot is taken before the
    token is looked at.
    """
    api_ids = () if api_id is None else (api_id,)
    return kiwoom_calls(credential=credential, operations=[operation], api_ids=api_ids)[0]


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
    with _slots_refused_translated(), calls_for(credential_id=credential.pk, mode=credential.mode):
        if api_ids:
            slots_take(api_ids)
        return _send(credential, operations)


def kiwoom_calls_for(
    *,
    user: User,
    mode: str,
    operations: Sequence[Callable[[kiwoom.KiwoomClient, str], Any]],
    api_ids: Sequence[str],
) -> list[Any]:
    """`kiwoom_calls` with the user's connected keys for `mode` (`kiwoom_not_connected` without).

    The credential comes from this process's memory when its version, read in the same Redis round trip as
    the slots of `api_ids`, is the one it was kept under (`credential_cache`); else from the database.
    """
    kept = credential_kept(user_id=user.pk, mode=mode)
    if kept is not None and api_ids:
        with _slots_refused_translated(), calls_for(credential_id=kept.credential_id, mode=mode):
            version = slots_take(api_ids, version_of=version_name(user_id=user.pk, mode=mode))
            if version == kept.version:
                credential = kept.credential()
            else:
                credential = _credential_read(user=user, mode=mode, version=version)
            # Keys connected after a disconnect are another row, with other buckets: slots taken anew below.
            if credential is None or credential.pk == kept.credential_id:
                return _send(credential_require_connected(credential=credential), operations)
    credential = credential_require_connected(credential=_credential_read(user=user, mode=mode))
    return kiwoom_calls(credential=credential, operations=operations, api_ids=api_ids)


def credential_get_connected_kept(*, user: User, mode: str) -> KiwoomCredential:
    """The user's usable credential for `mode` (`kiwoom_not_connected` without), for a call made later.

    From this process's memory while the credential's version (one Redis read) is the one it was kept under,
    else from the database, as `kiwoom_calls_for` finds it: a page polled every second costs no query.
    """
    version = version_read(version_name(user_id=user.pk, mode=mode))
    kept = credential_kept(user_id=user.pk, mode=mode)
    if kept is not None and kept.version == version:
        credential = kept.credential()
    else:
        credential = _credential_read(user=user, mode=mode, version=version)
    return credential_require_connected(credential=credential)


def _credential_read(*, user: User, mode: str, version: str | None = None) -> KiwoomCredential | None:
    """The user's credential for `mode` from the database, kept under its version (read before the row)."""
    if version is None:
        version = version_read(version_name(user_id=user.pk, mode=mode))
    credential = credential_find(user=user, mode=mode)
    if credential is not None:
        credential_keep(credential, version=version)
    return credential


@contextmanager
def _slots_refused_translated() -> Iterator[None]:
    try:
        yield
    except ratelimit.SlotUnavailable as exc:
        raise KiwoomRateLimited(retry_after=max(1, math.ceil(exc.retry_after))) from exc
    except KiwoomCoordinationUnavailable:
        # A write meanwhile may have gone unannounced: what this process keeps is read anew afterwards.
        credentials_forget()
        raise


def _send(credential: KiwoomCredential, operations: Sequence[Callable]) -> list[Any]:
    """Send the operations with a valid token (in a `calls_for` block), retrying once what Kiwoom refused
    unprocessed; Kiwoom's errors are recorded on the credential and raised as the domain's."""
    client = client_for(credential.mode)
    try:
        token = tokens.token_get_valid(credential=credential)
        outcomes = _attempt_all(client, token, operations)
        retry_token = token
        results = []
        for operation, outcome in zip(operations, outcomes, strict=True):
            if _token_refused(outcome):
                if retry_token == token:
                    retry_token = tokens.token_replace_rejected(credential=credential, rejected=token)
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
        # A refused order, an unknown stock code or a TR the mode does not offer is about that request, not
        # about the connection: the credential's "last error" (shown beside its health) stays for what the
        # keys and link went through.
        if not isinstance(
            exc, kiwoom.KiwoomOrderRejected | kiwoom.KiwoomUnknownSymbol | kiwoom.KiwoomNotSupportedInMode
        ):
            credential_record_error(credential=credential, error=exc)
        raise translate(exc) from exc


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
