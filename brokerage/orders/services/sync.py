"""Keeping the ledger true to Kiwoom: open orders synced, lost attempts reconciled, abandoned ones settled.

Sync. Open orders follow Kiwoom with one ka10075 and one ka10076 call per user and mode (not per order, and
sent together), when the user looks at them (at most once per SYNC_INTERVAL_SECONDS unless an order changed
meanwhile) and from the periodic task. ka10076 is read as one row per order with its cumulative filled
quantity, average price and remaining quantity, which is how Kiwoom's example and the simulator present it.
The two lists are answered at slightly different moments, so a fill or cancellation in between can make them
disagree about an order (in neither list, listed as closed in one and open in the other, or open with
different remainders): shares are called cancelled only on the word of one list that holds both the filled
and the open quantity of that moment, which is the fill row when the lists agree and kt00007 (the day's
complete list, asked after both) when they do not; without a row there the order waits for the next sync.
Orders of earlier days are closed from that day's kt00007: their remainder expired at the close. A
modification is a child entry with its own order number and follows Kiwoom like any order; a cancellation
is a child that is done once accepted. While a change of an order is pending or unresolved, the shares it
may have moved are not called cancelled: reconciliation finds the change, and the change accounts for them.

Unresolved attempts found on the way are reconciled (`reconciliation`); the fills read (ka10076) are kept
for SYNC_INTERVAL_SECONDS, so the fills page asked at the same moment reads no second list (`fills`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.connections.coordination import named_lock
from brokerage.connections.errors import CredentialUnreadable, KiwoomApiError, KiwoomBusy
from brokerage.connections.models import CredentialStatus, KiwoomCredential
from brokerage.connections.selectors import credential_find
from brokerage.connections.services.calls import kiwoom_call, kiwoom_calls
from brokerage.orders.models import UNSETTLED_STATUSES, LedgerNote, Order, OrderStatus
from brokerage.orders.selectors import orders_to_sync
from brokerage.orders.services.book import DayBook, kst_date
from brokerage.orders.services.reconciliation import unresolved_reconcile
from brokerage.orders.services.timing import pending_timeout
from brokerage.orders.signals import order_changed_on_commit, orders_changed_on_commit

logger = logging.getLogger(__name__)

# Orders of a user are synced at most this often when someone looks at them (Kiwoom allows 1 call/s on mock).
SYNC_INTERVAL_SECONDS = 1


def order_sync(*, user: User, force: bool = False) -> None:
    """Bring the user's open orders up to date with Kiwoom and reconcile the attempts whose fate is unknown.

    Per mode with work to do: one ka10075 and one ka10076 call, plus one kt00007 when an attempt of today is
    unresolved or the two lists disagree about an open order, and one per earlier day with orders still open.
    Without `force`, at most once per SYNC_INTERVAL_SECONDS per user and mode, unless an order changed since:
    a look that waited for another's sync takes that sync's result. Kiwoom's errors are raised.
    """
    now = timezone.now()
    work = list(orders_to_sync(user=user))
    if any(_is_abandoned(order, now) for order in work):
        order_settle_abandoned(user=user)
        work = list(orders_to_sync(user=user))
    work = [order for order in work if order.status != OrderStatus.PENDING]  # their own process decides
    for mode in sorted({order.mode for order in work}):
        orders = [order for order in work if order.mode == mode]
        if not (force or _sync_due(user.pk, mode, orders)):
            continue
        try:
            credential = credential_find(user=user, mode=mode)
        except CredentialUnreadable:
            credential = None  # after a botched key rotation: the user is told to reconnect elsewhere
        if credential is None or credential.status == CredentialStatus.INVALID:
            continue  # nothing to ask Kiwoom with; the orders wait for the keys to come back
        # Orders of keys since replaced live in another account: these keys' lists would not show them, or
        # would show another order under the same number. They stay as they stand.
        orders = [order for order in orders if order.key_fingerprint == credential.key_fingerprint]
        if not orders:
            continue
        try:
            # A look waits briefly for a sync already running; the periodic task and `reconcile` wait longer.
            with named_lock(f"orders:{user.pk}:{mode}:sync", ttl=60, wait=10 if force else 1):
                if force or _sync_due(user.pk, mode, orders):
                    # Stamped with its start: an order that changes while Kiwoom is read is due next time.
                    started = timezone.now()
                    _sync_mode(user, credential, orders)
                    cache.set(_sync_key(user.pk, mode), started, SYNC_INTERVAL_SECONDS)
        except KiwoomBusy:
            logger.info("order sync of user %s (%s) skipped: another one is running", user.pk, mode)


def order_reconcile(*, order: Order) -> Order:
    """On demand: reconcile and sync the order's owner now, then return the order as it stands."""
    order_sync(user=order.user, force=True)
    order.refresh_from_db()
    return order


def order_settle_abandoned(*, user: User | None = None) -> int:
    """`pending` entries whose process is gone (`pending_timeout`): `unresolved` if they were sent,
    `not_placed` if not. Returns how many."""
    now = timezone.now()
    abandoned = Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=now - pending_timeout())
    if user is not None:
        abandoned = abandoned.filter(user=user)
    orders_changed_on_commit(abandoned.values_list("pk", flat=True))
    sent = abandoned.filter(sent_at__isnull=False).update(
        status=OrderStatus.UNRESOLVED,
        note=LedgerNote.PROCESS_STOPPED_AFTER,
        updated_at=now,
    )
    unsent = abandoned.filter(sent_at__isnull=True).update(
        status=OrderStatus.NOT_PLACED,
        note=LedgerNote.PROCESS_STOPPED_BEFORE,
        updated_at=now,
    )
    return sent + unsent


def _is_abandoned(order: Order, now: datetime) -> bool:
    return order.status == OrderStatus.PENDING and order.created_at < now - pending_timeout()


def _sync_key(user_id: int, mode: str) -> str:
    return f"brokerage:orders-synced:{user_id}:{mode}"


def _sync_due(user_id: int, mode: str, orders: list[Order]) -> bool:
    """Unless an order changed since, a sync of the user within SYNC_INTERVAL_SECONDS is recent enough."""
    last = cache.get(_sync_key(user_id, mode))
    return last is None or any(order.updated_at > last for order in orders)


def order_sync_quietly(*, user: User) -> None:
    """`order_sync` for a look at the orders: if Kiwoom cannot answer, the ledger is shown as it stands."""
    try:
        order_sync(user=user)
    except KiwoomApiError as failure:
        logger.warning("order sync of user %s failed: %s", user.pk, failure)


# --- One mode of one user -----------------------------------------------------------------------------------


def _sync_mode(user: User, credential: KiwoomCredential, orders: list[Order]) -> None:
    """Today's orders from ka10075 and ka10076 (and kt00007 when needed); earlier days' from their kt00007."""
    now = timezone.now()
    today = kst_date(now)
    by_day: dict[date, list[Order]] = {}
    for order in orders:
        by_day.setdefault(kst_date(order.sent_at or order.created_at), []).append(order)

    todays = by_day.pop(today, [])
    if todays:
        open_rows, fill_rows = kiwoom_calls(
            credential=credential,
            operations=[
                lambda client, token: client.get_open_orders(token),
                lambda client, token: client.get_fills(token),
            ],
            api_ids=["ka10075", "ka10076"],
        )
        book = DayBook(
            day=today,
            open_orders={row.order_number: row for row in open_rows},
            fills={row.order_number: row for row in fill_rows},
            details=None,
        )
        fills_remember(credential=credential, rows=fill_rows)
        unresolved = [order for order in todays if order.status == OrderStatus.UNRESOLVED]
        # An open order the lists disagree about (in neither, say, after a cancellation) is read from kt00007.
        in_doubt = any(_is_tracked_open(order) and not book.lists_agree(order) for order in todays)
        if unresolved or in_doubt:
            book = replace(book, details=_details(credential, today))
        unresolved_reconcile(user, credential, unresolved, book, now)
        _apply_seen({order.pk: _seen_today(book, order) for order in todays if _is_tracked_open(order)}, now)

    for day, earlier in sorted(by_day.items()):
        book = DayBook(day=day, open_orders={}, fills={}, details=_details(credential, day))
        unresolved = [order for order in earlier if order.status == OrderStatus.UNRESOLVED]
        unresolved_reconcile(user, credential, unresolved, book, now)
        _apply_seen(
            {
                order.pk: _seen_in_details(book, order, day_over=True)
                for order in earlier
                if _is_tracked_open(order)
            },
            now,
        )


def _details(credential: KiwoomCredential, day: date) -> dict[str, kiwoom.OrderDetail]:
    """kt00007: every order of the day at Kiwoom, by order number."""
    rows = kiwoom_call(
        credential=credential, operation=lambda client, token: client.get_order_details(token, order_date=day)
    )
    return {row.order_number: row for row in rows}


def _is_tracked_open(order: Order) -> bool:
    """Open, under an order number Kiwoom's lists can show."""
    return order.is_open and bool(order.kiwoom_order_number)


# --- Applying what Kiwoom shows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Seen:
    """One order as Kiwoom's lists show it; `remaining` is what is still open (0: nothing)."""

    filled: int
    average_price: int | None
    remaining: int


def _seen_today(book: DayBook, order: Order) -> _Seen | None:
    """From ka10075 and ka10076 when they agree, else from kt00007; None when no list can tell."""
    open_row = book.open_orders.get(order.kiwoom_order_number)
    fill = book.fills.get(order.kiwoom_order_number)
    if book.lists_agree(order):
        if fill is None:
            return _Seen(filled=0, average_price=None, remaining=open_row.remaining_quantity)
        return _seen_in_fill(fill)
    seen = _seen_in_details(book, order)
    if seen is None and fill is not None:
        # kt00007 has no row of it: the fill row alone still holds both quantities of one moment, and the
        # order stays as open as that row saw it until a later sync settles it.
        return _seen_in_fill(fill)
    return seen


def _seen_in_fill(fill: kiwoom.Fill) -> _Seen:
    return _Seen(
        filled=fill.fill_quantity,
        average_price=fill.fill_price if fill.fill_quantity else None,
        remaining=fill.remaining_quantity,
    )


def _seen_in_details(book: DayBook, order: Order, *, day_over: bool = False) -> _Seen | None:
    """From kt00007; once the day is over, whatever had not filled expired at the close."""
    row = (book.details or {}).get(order.kiwoom_order_number)
    if row is None:
        return None
    return _Seen(
        filled=row.filled_quantity,
        average_price=row.fill_price if row.filled_quantity else None,
        remaining=0 if day_over else row.remaining_quantity,
    )


_SYNCED_FIELDS = [
    "status",
    "filled_quantity",
    "average_fill_price",
    "cancelled_quantity",
    "last_synced_at",
    "updated_at",
]


def _apply_seen(seen: Mapping[int, _Seen | None], now: datetime) -> None:
    """Write what Kiwoom showed onto the orders, re-read under lock.

    The lists may predate a modification or cancellation accepted meanwhile (it locks the same rows): what
    it recorded is not undone, since filled and cancelled shares only ever grow, and an order it closed is
    not reopened. Nor may the lists know more than the ledger: a change whose answer is still awaited or was
    lost (`pending`, `unresolved`) may have moved or cancelled shares at Kiwoom already; they are not called
    cancelled here, or the change, once found, would count them a second time.
    """
    if not seen:
        return
    change_in_doubt = Order.objects.filter(parent=OuterRef("pk"), status__in=UNSETTLED_STATUSES)
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update()
            .filter(pk__in=list(seen))
            .annotate(change_in_doubt=Exists(change_in_doubt))
            .order_by("pk")
        )
        filled_before = sum(order.filled_quantity for order in orders)
        for order in orders:
            observation = seen[order.pk]
            order.last_synced_at = now
            if observation is None or not order.is_open:
                continue
            before = (order.status, order.filled_quantity, order.average_fill_price, order.cancelled_quantity)
            # A list read before a live 00 event the stream has applied since knows fewer fills: its average
            # is of those fewer shares, so it is taken only when it covers every fill the ledger knows.
            if observation.average_price is not None and observation.filled >= order.filled_quantity:
                order.average_fill_price = observation.average_price
            order.filled_quantity = max(order.filled_quantity, observation.filled)
            if not order.change_in_doubt:
                # Whatever is neither filled, moved to a modification nor open any more was cancelled: by us,
                # at Kiwoom's side, or by the close for an earlier day's order.
                done = order.filled_quantity + order.modified_quantity
                gone = order.quantity - done - observation.remaining
                order.cancelled_quantity = max(order.cancelled_quantity, gone)
            if order.remaining_quantity:
                order.status = OrderStatus.PARTIALLY_FILLED if order.filled_quantity else OrderStatus.ACCEPTED
            else:
                order.status = order.closed_status
            after = (order.status, order.filled_quantity, order.average_fill_price, order.cancelled_quantity)
            if after != before:
                order.updated_at = now
                order_changed_on_commit(order)
        Order.objects.bulk_update(orders, _SYNCED_FIELDS)
    if orders and sum(order.filled_quantity for order in orders) != filled_before:
        account_cache_invalidate(user_id=orders[0].user_id)  # new fills moved cash and holdings


# --- Today's fills, as last read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FillsRead:
    """Today's fills as Kiwoom listed them (ka10076), and when."""

    rows: list[kiwoom.Fill]
    fetched_at: datetime


def _fills_key(credential: KiwoomCredential) -> str:
    # The keys' fingerprint: keys connected since read another account's fills.
    return f"brokerage:fills:v1:{credential.user_id}:{credential.mode}:{credential.key_fingerprint}"


def fills_remember(*, credential: KiwoomCredential, rows: list[kiwoom.Fill]) -> FillsRead:
    read = FillsRead(rows=list(rows), fetched_at=timezone.now())
    cache.set(_fills_key(credential), read, SYNC_INTERVAL_SECONDS)
    return read


def fills_recall(*, credential: KiwoomCredential) -> FillsRead | None:
    """Today's fills if read (by a sync, say) within SYNC_INTERVAL_SECONDS."""
    return cache.get(_fills_key(credential))
