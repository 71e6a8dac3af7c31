"""Snapshots of each connected account: daily after the close, intraday while the market is open.

A daily snapshot of trading day D is what kt00018 and kt00001 answer from D's 15:40 (after the closing
auction) until the next trading day's 08:30 (the first session that can trade): nothing trades in between, so
a run that missed 15:40 (site or Kiwoom down) still fills D at any time up to then. A trading day whose
window passed without a snapshot is recorded as a gap (`SnapshotStatus.GAP`), for charts to show.

Deposits and withdrawals (`net_flow`) are detected between consecutive daily snapshots: the change of the
D+2 estimated deposit (kt00001 d2_entra: trades move it at once, settlement does not) that the ledger's
fills in between do not explain (buys' amounts and commission out, sales' amounts less commission and tax
in, at HISTORY_COSTS), beyond rounding (HISTORY_FLOW_TOLERANCE won, or HISTORY_FLOW_TOLERANCE_RATE of the
amount traded, whichever is larger). Trades made outside StockLab look like flows too: the ledger is the
only record of trades we have on mock.

Kiwoom is called outside any transaction; the rows are written after, in one.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from brokerage.connections.models import CredentialStatus, KiwoomCredential
from brokerage.connections.selectors import KEY_PAIR_FIELDS
from brokerage.history import calendar
from brokerage.history.models import AccountSnapshot, HoldingSnapshot, SnapshotKind, SnapshotStatus
from brokerage.history.selectors import kst_midnight, ledger_fills, snapshot_latest_before
from brokerage.kiwoom.parsing import KST
from brokerage.portfolio.services import account_fetch
from stocklab.errors import ApplicationError

logger = logging.getLogger(__name__)

# The close as a snapshot sees it: after the closing auction (15:30) and its publication.
CLOSE_SEEN_AT = time(15, 40)
# The first session that can change an account the next trading day (장전 시간외 종가).
NEXT_SESSION_AT = time(8, 30)


def snapshot_day_for(now: datetime) -> date | None:
    """The trading day whose close the account shows at `now`, or None while a session may trade."""
    local = now.astimezone(KST)
    today = local.date()
    if calendar.is_trading_day(today):
        if local.time() >= CLOSE_SEEN_AT:
            return today
        if local.time() >= NEXT_SESSION_AT:
            return None
    return calendar.previous_trading_day(today)


def intraday_slot_for(now: datetime) -> datetime | None:
    """The start of the intraday slot `now` falls in, while the regular session is open on a trading day."""
    local = now.astimezone(KST)
    in_session = calendar.MARKET_OPEN <= local.time() <= calendar.MARKET_CLOSE
    if not calendar.is_trading_day(local.date()) or not in_session:
        return None
    minutes = settings.HISTORY_INTRADAY_MINUTES
    return local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)


def _active_credentials():
    """Credentials Kiwoom accepts (as the stream takes them): refused keys and blocked IPs are left out."""
    return KiwoomCredential.objects.filter(status=CredentialStatus.ACTIVE)


def snapshot_credentials_due(*, day: date, slot: datetime | None = None) -> list[int]:
    """Credentials without a good snapshot of `day` (daily) or of the intraday `slot`, in id order."""
    if slot is None:
        done = AccountSnapshot.objects.filter(kind=SnapshotKind.DAILY, date=day, status=SnapshotStatus.OK)
    else:
        done = AccountSnapshot.objects.filter(kind=SnapshotKind.INTRADAY, taken_at=slot)
    taken = set(done.values_list("user_id", "mode"))
    rows = _active_credentials().order_by("pk").values_list("pk", "user_id", "mode")
    return [pk for pk, user_id, mode in rows if (user_id, mode) not in taken]


def snapshots_gaps_mark(*, day: date) -> int:
    """Record as gaps the trading days before `day` that each connected account missed (since it connected
    or since its last snapshot, at most HISTORY_GAP_LOOKBACK_DAYS back); how many were recorded."""
    earliest = day - timedelta(days=settings.HISTORY_GAP_LOOKBACK_DAYS)
    days = [d for d in calendar.trading_days(earliest, day) if d < day]
    if not days:
        return 0
    recorded = set(
        AccountSnapshot.objects.filter(kind=SnapshotKind.DAILY, date__gte=days[0], date__lt=day).values_list(
            "user_id", "mode", "date"
        )
    )
    last_taken = {
        (row["user_id"], row["mode"]): row["last"]
        for row in AccountSnapshot.objects.filter(kind=SnapshotKind.DAILY, date__gte=earliest, date__lt=day)
        .values("user_id", "mode")
        .annotate(last=Max("date"))
        .order_by()
    }
    now = timezone.now()
    gaps = []
    for pk, user_id, mode, created in _active_credentials().values_list(
        "pk", "user_id", "mode", "created_at"
    ):
        since = max(created.astimezone(KST).date(), last_taken.get((user_id, mode), date.min))
        for missed in days:
            # The day it connected counts only when it was connected before that day's close.
            if missed < since or (missed == since and created.astimezone(KST).time() >= CLOSE_SEEN_AT):
                continue
            if (user_id, mode, missed) in recorded or missed == last_taken.get((user_id, mode)):
                continue
            gaps.append(
                AccountSnapshot(
                    user_id=user_id,
                    credential_id=pk,
                    mode=mode,
                    date=missed,
                    kind=SnapshotKind.DAILY,
                    status=SnapshotStatus.GAP,
                    taken_at=now,
                    note="No snapshot could be taken before the next session.",
                )
            )
    AccountSnapshot.objects.bulk_create(gaps, ignore_conflicts=True, batch_size=1000)
    return len(gaps)


def snapshot_take(*, credential_id: int, day: date, slot: datetime | None = None) -> AccountSnapshot | None:
    """Take one account's snapshot of `day` (daily) or of the intraday `slot`; None when there is nothing to
    take (credential gone or refused, or already taken). Kiwoom's errors are raised as the domain's."""
    credential = (
        _active_credentials().defer(*KEY_PAIR_FIELDS).select_related("user").filter(pk=credential_id).first()
    )
    if credential is None:
        return None
    kind = SnapshotKind.DAILY if slot is None else SnapshotKind.INTRADAY
    existing = _existing(credential=credential, day=day, slot=slot)
    if existing is not None and existing.status == SnapshotStatus.OK:
        return None
    balance, deposit = account_fetch(credential=credential)
    summary = balance.summary
    snapshot = existing or AccountSnapshot(user=credential.user, mode=credential.mode, date=day, kind=kind)
    snapshot.user = credential.user
    snapshot.credential = credential
    snapshot.status = SnapshotStatus.OK
    snapshot.note = ""
    snapshot.taken_at = slot or timezone.now()
    snapshot.estimated_assets = summary.estimated_deposit_asset
    snapshot.deposit = deposit.deposit
    snapshot.orderable_cash = deposit.orderable_amount
    snapshot.settlement_deposit = deposit.d2_deposit
    snapshot.holdings_value = summary.total_evaluation
    snapshot.cost_basis = summary.total_purchase
    snapshot.unrealized_pnl = summary.total_profit_loss
    with transaction.atomic():
        if kind == SnapshotKind.DAILY:
            snapshot.net_flow = _net_flow(snapshot)
        snapshot.save()
        if kind == SnapshotKind.DAILY:
            HoldingSnapshot.objects.filter(snapshot=snapshot).delete()
            HoldingSnapshot.objects.bulk_create(
                HoldingSnapshot(
                    snapshot=snapshot,
                    stock_code=holding.stock_code,
                    stock_name=holding.name,
                    quantity=holding.quantity,
                    average_price=holding.average_price,
                    close=holding.current_price,
                    previous_close=holding.previous_close,
                )
                for holding in balance.holdings
            )
    return snapshot


def _existing(*, credential: KiwoomCredential, day: date, slot: datetime | None) -> AccountSnapshot | None:
    snapshots = AccountSnapshot.objects.filter(user_id=credential.user_id, mode=credential.mode)
    if slot is None:
        return snapshots.filter(kind=SnapshotKind.DAILY, date=day).first()
    return snapshots.filter(kind=SnapshotKind.INTRADAY, taken_at=slot).first()


def _net_flow(snapshot: AccountSnapshot) -> int:
    """Money in (+) or out (−) since the previous daily snapshot that the ledger's fills do not explain."""
    previous = snapshot_latest_before(user=snapshot.user, mode=snapshot.mode, day=snapshot.date)
    if previous is None:
        return 0
    explained, traded = 0, 0
    for fill in ledger_fills(user=snapshot.user, mode=snapshot.mode, end=snapshot.date):
        if fill.day <= previous.date:
            continue
        traded += fill.amount
        if fill.side == "buy":
            explained -= fill.amount + fill.commission
        else:
            explained += fill.amount - fill.commission - fill.tax
    residual = snapshot.settlement_deposit - previous.settlement_deposit - explained
    tolerance = max(
        settings.HISTORY_FLOW_TOLERANCE, int(traded * Decimal(str(settings.HISTORY_FLOW_TOLERANCE_RATE)))
    )
    return 0 if abs(residual) <= tolerance else residual


@dataclass
class SweepOutcome:
    taken: int = 0
    skipped: int = 0
    failed: list[int] = field(default_factory=list)

    def add(self, other: SweepOutcome) -> None:
        self.taken += other.taken
        self.skipped += other.skipped
        self.failed.extend(other.failed)


def snapshots_take_many(
    *, credential_ids: Sequence[int], day: date, slot: datetime | None = None, threads: int | None = None
) -> SweepOutcome:
    """Take the snapshots of many accounts, `threads` at a time (HISTORY_SWEEP_THREADS).

    Each account's calls wait only on its own rate-limit buckets, so the accounts go in parallel; the
    threads mostly wait on Kiwoom. Each thread uses its own database connection and closes it when done.
    A failed account is tried once more at the end, then left for the next run (or a gap).
    """
    threads = settings.HISTORY_SWEEP_THREADS if threads is None else threads
    outcome = _take_all(credential_ids, day=day, slot=slot, threads=threads)
    if outcome.failed:
        retried = _take_all(outcome.failed, day=day, slot=slot, threads=threads)
        outcome.failed = retried.failed
        outcome.taken += retried.taken
        outcome.skipped += retried.skipped
    return outcome


def _take_all(
    credential_ids: Sequence[int], *, day: date, slot: datetime | None, threads: int
) -> SweepOutcome:
    if threads <= 1 or len(credential_ids) <= 1:
        outcome = SweepOutcome()
        for credential_id in credential_ids:
            _take_one(credential_id, day=day, slot=slot, outcome=outcome)
        return outcome
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for credential_id in credential_ids:
        work.put(credential_id)
    outcomes = [SweepOutcome() for _ in range(min(threads, len(credential_ids)))]

    def worker(outcome: SweepOutcome) -> None:
        try:
            while True:
                try:
                    credential_id = work.get_nowait()
                except queue.Empty:
                    return
                _take_one(credential_id, day=day, slot=slot, outcome=outcome)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(outcome,), daemon=True) for outcome in outcomes]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    total = SweepOutcome()
    for outcome in outcomes:
        total.add(outcome)
    return total


def _take_one(credential_id: int, *, day: date, slot: datetime | None, outcome: SweepOutcome) -> None:
    try:
        snapshot = snapshot_take(credential_id=credential_id, day=day, slot=slot)
    except ApplicationError as exc:
        logger.info("Snapshot of credential %s not taken: %s", credential_id, exc.code)
        outcome.failed.append(credential_id)
    except IntegrityError:
        outcome.skipped += 1  # another run took it meanwhile
    except Exception:
        logger.exception("Snapshot of credential %s failed", credential_id)
        outcome.failed.append(credential_id)
    else:
        if snapshot is None:
            outcome.skipped += 1
        else:
            outcome.taken += 1


def snapshots_intraday_prune(*, now: datetime) -> int:
    """Delete intraday points older than HISTORY_INTRADAY_KEEP_DAYS."""
    cutoff = kst_midnight(now.astimezone(KST).date() - timedelta(days=settings.HISTORY_INTRADAY_KEEP_DAYS))
    deleted, _ = AccountSnapshot.objects.filter(kind=SnapshotKind.INTRADAY, taken_at__lt=cutoff).delete()
    return deleted


@dataclass(frozen=True)
class SweepPlan:
    """What one run of the sweep has to do: the day (and intraday slot) and the accounts, in chunks."""

    day: date | None
    slot: datetime | None = None
    chunks: list[list[int]] = field(default_factory=list)
    gaps: int = 0


def snapshots_sweep(*, now: datetime | None = None, intraday: bool = False) -> SweepPlan:
    """Plan a run: the daily sweep marks the days missed before it as gaps; both list the accounts still
    to snapshot in chunks of HISTORY_SWEEP_CHUNK. Nothing to do outside their windows."""
    now = now or timezone.now()
    if intraday:
        slot = intraday_slot_for(now)
        if slot is None or not settings.HISTORY_INTRADAY_ENABLED:
            return SweepPlan(day=None)
        day = slot.date()
        gaps = 0
    else:
        slot, day = None, snapshot_day_for(now)
        if day is None:
            return SweepPlan(day=None)
        gaps = snapshots_gaps_mark(day=day)
    due = snapshot_credentials_due(day=day, slot=slot)
    size = settings.HISTORY_SWEEP_CHUNK
    return SweepPlan(
        day=day, slot=slot, chunks=[due[i : i + size] for i in range(0, len(due), size)], gaps=gaps
    )
