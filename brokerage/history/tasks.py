"""History tasks: the daily and intraday snapshot sweeps (beat), fanned out in chunks of accounts.

Snapshots only read from Kiwoom (kt00018, kt00001) and are keyed by day or slot, so every task here is
idempotent: a chunk run twice skips the accounts already taken.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from brokerage.connections.errors import KiwoomRateLimited, KiwoomUnavailable
from brokerage.history.services import snapshots_intraday_prune, snapshots_sweep, snapshots_take_many
from brokerage.history.services.indices import index_closes_refresh
from brokerage.market.errors import MarketDataNotConnected

__all__ = [
    "history_index_refresh",
    "history_snapshot_chunk",
    "history_snapshots_daily",
    "history_snapshots_intraday",
]


def _fan_out(plan) -> int:
    slot = plan.slot.isoformat() if plan.slot else None
    for chunk in plan.chunks:
        transaction.on_commit(partial(history_snapshot_chunk.delay, chunk, plan.day.isoformat(), slot))
    return sum(len(chunk) for chunk in plan.chunks)


@shared_task(ignore_result=True)
def history_snapshots_daily() -> int:
    """Beat (15:40 KST on weekdays, and catch-ups): the close's snapshot of every connected account not yet
    taken; missed days recorded as gaps. Outside the window where the close can still be seen (a trading
    day between 08:30 and 15:40) it does nothing, and no snapshot is ever dated on a closing day."""
    plan = snapshots_sweep()
    if plan.day is None:
        return 0
    snapshots_intraday_prune(now=timezone.now())
    transaction.on_commit(partial(history_index_refresh.delay, plan.day.isoformat()))
    return _fan_out(plan)


@shared_task(ignore_result=True)
def history_snapshots_intraday() -> int:
    """Beat (every 10 minutes on weekdays 09-15 h): one point per account while the session is open."""
    plan = snapshots_sweep(intraday=True)
    return 0 if plan.day is None else _fan_out(plan)


# A chunk's accounts go HISTORY_SWEEP_THREADS at a time; it outlasts the site's default task limits.
@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def history_snapshot_chunk(credential_ids: list[int], day: str, slot: str | None = None) -> int:
    """Take the snapshots of a chunk of accounts; how many were taken."""
    outcome = snapshots_take_many(
        credential_ids=credential_ids,
        day=date.fromisoformat(day),
        slot=datetime.fromisoformat(slot) if slot else None,
    )
    return outcome.taken


@shared_task(
    ignore_result=True,
    autoretry_for=(KiwoomRateLimited, KiwoomUnavailable),
    retry_backoff=30,
    max_retries=5,
)
def history_index_refresh(day: str) -> int:
    """KOSPI and KOSDAQ closes up to `day` for the benchmark lines (ka20006); 0 when nobody is connected."""
    try:
        return index_closes_refresh(until=date.fromisoformat(day))
    except MarketDataNotConnected:
        return 0
