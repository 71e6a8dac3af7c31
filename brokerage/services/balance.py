"""The account's balance: evaluation and holdings (kt00018, every page) with the deposit (kt00001).

Balance requests of one user are coalesced (KIWOOM_BALANCE_COALESCING): the last fetch is kept in Django's
cache and answers every request for KIWOOM_BALANCE_CACHE_SECONDS. After that one request, in whichever
process, fetches anew under the user's lock (Redis); the others meanwhile answer with the previous balance for
up to STALE_GRACE more, or, when there is none (the first request, or after an order), wait until the fetch
is stored. A page polled from many tabs and workers therefore costs Kiwoom at most one fetch per cache
window, and nobody queues behind it. `fetched_at` says when the figures were fetched.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .. import kiwoom, selectors
from ..coordination import lock_if_free
from ..errors import KiwoomUnavailable
from ..models import KiwoomCredential, Mode
from .tokens import kiwoom_calls

# A waiter gives up after this long: the fetch it waits for is itself bounded by the rate limiter's wait
# and the client's timeouts, so this is reached only when Kiwoom hangs.
SINGLE_FLIGHT_WAIT_SECONDS = 15.0
# How often a waiter without any balance looks for the one another request is fetching (tens of ms).
WAITER_POLL_SECONDS = 0.02
# While one request renews a stale balance, the others answer with the stale one for at most this long past
# its freshness (a fetch takes tens of milliseconds), instead of queueing behind the fetch.
STALE_GRACE = timedelta(seconds=0.25)
# How long an invalidation is remembered: longer than any fetch can take (the fetch lock's ttl).
INVALIDATION_MEMORY_SECONDS = 60


@dataclass(frozen=True)
class AccountSummary:
    total_purchase: int
    total_evaluation: int
    total_profit_loss: int
    total_return_rate: Decimal
    estimated_deposit_asset: int
    deposit: int
    orderable_amount: int


@dataclass(frozen=True)
class AccountBalance:
    summary: AccountSummary
    holdings: tuple[kiwoom.Holding, ...]
    fetched_at: datetime


def account_balance_fetch(*, user: User, mode: str = Mode.MOCK) -> AccountBalance:
    """The account's evaluation (kt00018, every page) and deposit (kt00001), shared by concurrent requests."""
    credential = selectors.credential_get_connected(user=user, mode=mode)
    if not settings.KIWOOM_BALANCE_COALESCING:
        return _balance_fetch_upstream(credential)

    key = _cache_key(user_id=user.pk, mode=mode)
    fresh_for = timedelta(seconds=settings.KIWOOM_BALANCE_CACHE_SECONDS)
    deadline = time.monotonic() + SINGLE_FLIGHT_WAIT_SECONDS
    while True:
        cached = _cached_balance(key, credential=credential)
        if cached is not None and cached.age <= fresh_for:
            return cached.balance
        with lock_if_free(key) as fetching:
            if fetching:
                return _balance_refresh(key, credential=credential, fresh_for=fresh_for)
        # Another request, in whichever process, is fetching. Meanwhile the previous balance is good enough
        # for a moment (its `fetched_at` says how old it is); without one, wait for the fetch to be stored.
        if cached is not None and cached.age <= fresh_for + STALE_GRACE:
            return cached.balance
        if time.monotonic() > deadline:
            raise KiwoomUnavailable(_("Kiwoom is slow to answer right now. Try again shortly."))
        time.sleep(WAITER_POLL_SECONDS)


def balance_cache_invalidate(*, user_id: int) -> None:
    """Forget the user's cached balance (after an order, say), so that the next request fetches it anew.

    A fetch already under way when this is called would store figures from before the order: it is told
    not to (`_balance_refresh`).
    """
    cache.set(_invalidated_key(user_id=user_id), timezone.now(), timeout=INVALIDATION_MEMORY_SECONDS)
    cache.delete_many([_cache_key(user_id=user_id, mode=mode) for mode in Mode.values])


def _cache_key(*, user_id: int, mode: str) -> str:
    return f"balance:{user_id}:{mode}"


def _invalidated_key(*, user_id: int) -> str:
    return f"balance-invalidated:{user_id}"


@dataclass(frozen=True)
class _Cached:
    balance: AccountBalance
    age: timedelta


def _cached_balance(key: str, *, credential: KiwoomCredential) -> _Cached | None:
    """The cached balance of the credential's current key pair, with its age."""
    entry = cache.get(key)
    if entry is None:
        return None
    fingerprint, balance = entry
    if fingerprint != credential.key_fingerprint:
        return None
    return _Cached(balance=balance, age=timezone.now() - balance.fetched_at)


def _balance_refresh(key: str, *, credential: KiwoomCredential, fresh_for: timedelta) -> AccountBalance:
    """Fetch and store the balance unless the lock's previous holder has just done so; under the lock."""
    cached = _cached_balance(key, credential=credential)
    if cached is not None and cached.age <= fresh_for:
        return cached.balance
    started = timezone.now()
    balance = _balance_fetch_upstream(credential)
    invalidated = cache.get(_invalidated_key(user_id=credential.user_id))
    if invalidated is None or invalidated < started:
        # Kept past its freshness for the stale grace, so that it can stand in while the next fetch runs.
        timeout = math.ceil((fresh_for + STALE_GRACE).total_seconds()) + 1
        cache.set(key, (credential.key_fingerprint, balance), timeout=timeout)
    return balance


def _balance_fetch_upstream(credential: KiwoomCredential) -> AccountBalance:
    balance, deposit = kiwoom_calls(
        credential=credential,
        operations=[
            lambda client, token: client.get_balance(token),
            lambda client, token: client.get_deposit(token),
        ],
    )
    summary = balance.summary
    return AccountBalance(
        summary=AccountSummary(
            total_purchase=summary.total_purchase,
            total_evaluation=summary.total_evaluation,
            total_profit_loss=summary.total_profit_loss,
            total_return_rate=summary.total_return_rate,
            estimated_deposit_asset=summary.estimated_deposit_asset,
            deposit=deposit.deposit,
            orderable_amount=deposit.orderable_amount,
        ),
        holdings=balance.holdings,
        # When Kiwoom answered (the two calls run at once, each after its rate-limit slot).
        fetched_at=timezone.now(),
    )
