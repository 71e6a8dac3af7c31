"""The account's balance: evaluation and holdings (kt00018, every page) with the deposit (kt00001).

Balance requests of one user are coalesced (KIWOOM_BALANCE_COALESCING): the last fetch is kept in Django's
cache and answers every request for KIWOOM_BALANCE_CACHE_SECONDS, without touching the database. After that
one request, in whichever process, fetches anew under the user's lock (Redis); the others meanwhile answer
with the previous balance for up to STALE_GRACE more, or, when there is none (the first request, or after an
order), wait until the fetch is stored. A fetch that fails answers the requests that waited for it with its
error, instead of each of them asking Kiwoom again; a request made after it tries anew. A page polled from
many tabs and workers therefore costs Kiwoom at most one fetch per cache window, and nobody queues behind it.
`fetched_at` says when the figures were fetched. Without Redis there is no lock and no rate limiter: the
request is refused with `service_degraded` (503) and nothing is sent to Kiwoom.

The cache lives under the account's generation (`connections.account_cache`): after an order, a fill, new keys
or a disconnect, what was cached before, or is being fetched meanwhile, belongs to the old one and is never
served.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.account_cache import account_generation_key
from brokerage.connections.coordination import lock_if_free
from brokerage.connections.errors import KiwoomUnavailable
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.connections.services.calls import kiwoom_calls, kiwoom_calls_for
from stocklab.errors import ApplicationError

# A waiter gives up after this long: the fetch it waits for is itself bounded by the rate limiter's wait
# and the client's timeouts, so this is reached only when Kiwoom hangs.
SINGLE_FLIGHT_WAIT_SECONDS = 15.0
# How often a waiter without any balance looks for the one another request is fetching (tens of ms).
WAITER_POLL_SECONDS = 0.02
# While one request renews a stale balance, the others answer with the stale one for at most this long past
# its freshness (a fetch takes tens of milliseconds), instead of queueing behind the fetch.
STALE_GRACE = timedelta(seconds=0.25)
# How long a failed fetch stays cached: the requests that waited for it look within milliseconds.
FAILURE_MEMORY_SECONDS = 2


@dataclass(frozen=True)
class AccountSummary:
    total_purchase: int
    total_evaluation: int
    total_profit_loss: int
    total_return_rate: Decimal
    estimated_deposit_asset: int
    deposit: int
    orderable_amount: int
    # Σ (current price − previous close) × quantity over the holdings (전일대비 in KRW): an estimate.
    today_pnl: int = 0


@dataclass(frozen=True)
class AccountBalance:
    summary: AccountSummary
    holdings: tuple[kiwoom.Holding, ...]
    fetched_at: datetime


def account_balance_fetch(*, user: User, mode: str = Mode.MOCK) -> AccountBalance:
    """The account's evaluation (kt00018, every page) and deposit (kt00001), shared by concurrent requests."""
    if not settings.KIWOOM_BALANCE_COALESCING:
        return _balance_fetch_upstream(user=user, mode=mode)

    fresh_for = timedelta(seconds=settings.KIWOOM_BALANCE_CACHE_SECONDS)
    lock_name = _cache_key(user_id=user.pk, mode=mode)
    deadline = time.monotonic() + SINGLE_FLIGHT_WAIT_SECONDS
    cached, _generation = _cache_read(user_id=user.pk, mode=mode)
    # What was cached when this request came: a failure already there then is not an answer to it.
    seen = cached.outcome if cached is not None else None
    while True:
        if cached is not None and cached.answers(seen=seen, fresh_for=fresh_for):
            return cached.answer()
        with lock_if_free(lock_name) as fetching:
            if fetching:
                return _balance_refresh(user=user, mode=mode, seen=seen, fresh_for=fresh_for)
        # Another request, in whichever process, is fetching. Meanwhile the previous balance is good enough
        # for a moment (its `fetched_at` says how old it is); without one, wait for the fetch to be stored.
        if cached is not None and cached.balance is not None and cached.age() <= fresh_for + STALE_GRACE:
            return cached.balance
        if time.monotonic() > deadline:
            raise KiwoomUnavailable(_("Kiwoom is slow to answer right now. Try again shortly."))
        time.sleep(WAITER_POLL_SECONDS)
        cached, _generation = _cache_read(user_id=user.pk, mode=mode)


def _cache_key(*, user_id: int, mode: str) -> str:
    # v2: `_Cached` entries; a process still running the previous release reads and writes other keys.
    return f"balance:v2:{user_id}:{mode}"


@dataclass(frozen=True)
class _Cached:
    """A fetch's outcome as cached: the balance, or the error it ended with."""

    generation: str | None
    stored_at: datetime
    balance: AccountBalance | None = None
    error: ApplicationError | None = None
    # Tells this outcome from the one before it (clocks of different processes would not).
    outcome: str = field(default_factory=lambda: secrets.token_hex(8))

    def age(self) -> timedelta:
        return timezone.now() - self.stored_at

    def answers(self, *, seen: str | None, fresh_for: timedelta) -> bool:
        """Whether this answers a request that found the outcome `seen` cached when it came: a balance while
        it is fresh, an error only the requests that waited for the fetch that ended with it."""
        if self.error is not None:
            return self.outcome != seen
        return self.age() <= fresh_for

    def answer(self) -> AccountBalance:
        if self.error is not None:
            raise self.error
        return self.balance


def _cache_read(*, user_id: int, mode: str) -> tuple[_Cached | None, str | None]:
    """The cached outcome of the user's current generation (if any) and that generation; one round trip."""
    key, generation_key = _cache_key(user_id=user_id, mode=mode), account_generation_key(user_id=user_id)
    found = cache.get_many([key, generation_key])
    cached, generation = found.get(key), found.get(generation_key)
    if cached is not None and cached.generation != generation:
        cached = None
    return cached, generation


def _balance_refresh(*, user: User, mode: str, seen: str | None, fresh_for: timedelta) -> AccountBalance:
    """Fetch and store the balance unless the lock's previous holder has just done so; under the lock."""
    cached, generation = _cache_read(user_id=user.pk, mode=mode)
    if cached is not None and cached.answers(seen=seen, fresh_for=fresh_for):
        return cached.answer()
    key = _cache_key(user_id=user.pk, mode=mode)
    try:
        balance = _balance_fetch_upstream(user=user, mode=mode)
    except ApplicationError as error:
        failed = _Cached(generation=generation, stored_at=timezone.now(), error=error)
        cache.set(key, failed, timeout=FAILURE_MEMORY_SECONDS)
        raise
    # Kept past its freshness for the stale grace, so that it can stand in while the next fetch runs.
    timeout = math.ceil((fresh_for + STALE_GRACE).total_seconds()) + 1
    cache.set(
        key, _Cached(generation=generation, stored_at=balance.fetched_at, balance=balance), timeout=timeout
    )
    return balance


def holding_day_change(*, holding: kiwoom.Holding) -> int:
    """전일대비: the price's change since the previous close (0 when Kiwoom gave no previous close)."""
    return holding.current_price - holding.previous_close if holding.previous_close else 0


def holding_today_pnl(*, holding: kiwoom.Holding) -> int:
    """An estimate of today's P&L of a holding: its day change times the shares held now. Shares bought today
    count from the previous close and today's sales are missing: kt00018 does not say, and the portfolio
    cannot read the order ledger (the API says `today_pnl_estimated`)."""
    return holding_day_change(holding=holding) * holding.quantity


_ACCOUNT_OPERATIONS = (
    lambda client, token: client.get_balance(token),
    lambda client, token: client.get_deposit(token),
)
_ACCOUNT_API_IDS = ("kt00018", "kt00001")


def account_fetch(
    *, user: User | None = None, mode: str | None = None, credential: KiwoomCredential | None = None
) -> tuple[kiwoom.Balance, kiwoom.Deposit]:
    """The account as Kiwoom sees it now: kt00018 (every page) and kt00001, sent at once. With `credential`
    when the caller holds one (the history's snapshots), else the user's connected keys for `mode`."""
    if credential is not None:
        answers = kiwoom_calls(
            credential=credential, operations=_ACCOUNT_OPERATIONS, api_ids=_ACCOUNT_API_IDS
        )
    else:
        answers = kiwoom_calls_for(
            user=user, mode=mode, operations=_ACCOUNT_OPERATIONS, api_ids=_ACCOUNT_API_IDS
        )
    balance, deposit = answers
    return balance, deposit


def _balance_fetch_upstream(*, user: User, mode: str) -> AccountBalance:
    balance, deposit = account_fetch(user=user, mode=mode)
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
            today_pnl=sum(holding_today_pnl(holding=holding) for holding in balance.holdings),
        ),
        holdings=balance.holdings,
        # When Kiwoom answered (the two calls run at once, each after its rate-limit slot).
        fetched_at=timezone.now(),
    )
