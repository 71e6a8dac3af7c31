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

Reconciliation. Kiwoom orders carry no client id, so an unresolved attempt is matched against the day's
orders at Kiwoom (kt00007, plus the open orders of ka10075 and the fills of ka10076): same stock, side,
quantity, price and type (for a modification or cancellation: the same original order), placed around the
time it was sent, and not already matched to another ledger entry. A match gives it Kiwoom's order number.
It is `not_placed` only once the request has certainly settled and the complete day list holds no plausible
candidate at all; anything ambiguous stays `unresolved` for a person to look at, never resent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.connections.coordination import LockTimeout, named_lock
from brokerage.connections.errors import CredentialUnreadable, KiwoomApiError
from brokerage.connections.models import CredentialStatus, KiwoomCredential, Mode
from brokerage.connections.selectors import credential_find, credential_get_connected
from brokerage.connections.services.calls import kiwoom_call, kiwoom_calls
from brokerage.kiwoom.parsing import KST
from brokerage.orders.models import UNSETTLED_STATUSES, LedgerNote, Order, OrderKind, OrderStatus
from brokerage.orders.selectors import (
    order_has_fresh_attempt,
    order_ids_by_number,
    order_numbers_claimed,
    orders_to_sync,
)
from brokerage.orders.services.entry import order_child_accept, order_record, pending_timeout

logger = logging.getLogger(__name__)

# Orders of a user are synced at most this often when someone looks at them (Kiwoom allows 1 call/s on mock).
SYNC_INTERVAL_SECONDS = 1
# Kiwoom's clock and ours may disagree a little: how far from `sent_at` a matching order may have been placed.
CLOCK_SKEW = timedelta(minutes=2)


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
        except LockTimeout:
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


# --- One mode of one user -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    """An order as Kiwoom lists it, whichever list it came from."""

    number: str
    original_number: str | None
    kind: str
    stock_code: str
    side: str
    quantity: int
    price: int
    trade_type_text: str
    placed_at: datetime | None


@dataclass(frozen=True)
class _Book:
    """What Kiwoom says about one day's orders of one account."""

    day: date
    open_orders: Mapping[str, kiwoom.OpenOrder]
    fills: Mapping[str, kiwoom.Fill]
    details: Mapping[str, kiwoom.OrderDetail] | None  # kt00007: every order of the day, when it was asked

    def lists_agree(self, order: Order) -> bool:
        """Do ka10075 and ka10076 tell one story about the order, although read at different moments?"""
        open_row = self.open_orders.get(order.kiwoom_order_number)
        fill = self.fills.get(order.kiwoom_order_number)
        if fill is None:
            # Nothing had filled when ka10076 was read: so says ka10075 unless a fill came in between.
            return open_row is not None and open_row.filled_amount == 0
        if open_row is None:
            return fill.remaining_quantity == 0  # closed when ka10076 was read, as ka10075 says
        return open_row.remaining_quantity == fill.remaining_quantity

    def placed(self) -> list[_Placed]:
        """Every order of the day that any list shows, once each."""
        found: dict[str, _Placed] = {}
        for row in (self.details or {}).values():
            kind = {"정정": OrderKind.MODIFY, "취소": OrderKind.CANCEL}.get(row.modify_cancel_text.strip())
            found[row.order_number] = self._placed(row, kind or OrderKind.NEW)
        for row in [*self.open_orders.values(), *self.fills.values()]:
            if row.order_number not in found:
                kind = OrderKind.NEW if row.original_order_number is None else OrderKind.MODIFY
                found[row.order_number] = self._placed(row, kind)
        return list(found.values())

    def _placed(self, row: Any, kind: str) -> _Placed:
        return _Placed(
            number=row.order_number,
            original_number=row.original_order_number,
            kind=kind,
            stock_code=row.stock_code,
            side=str(row.side),
            quantity=row.order_quantity,
            price=row.order_price,
            trade_type_text=row.trade_type_text,
            placed_at=_kst_moment(self.day, row.time_text),
        )


def _sync_mode(user: User, credential: KiwoomCredential, orders: list[Order]) -> None:
    """Today's orders from ka10075 and ka10076 (and kt00007 when needed); earlier days' from their kt00007."""
    now = timezone.now()
    today = _kst_date(now)
    by_day: dict[date, list[Order]] = {}
    for order in orders:
        by_day.setdefault(_kst_date(order.sent_at or order.created_at), []).append(order)

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
        book = _Book(
            day=today,
            open_orders={row.order_number: row for row in open_rows},
            fills={row.order_number: row for row in fill_rows},
            details=None,
        )
        _fills_remember(credential=credential, rows=fill_rows)
        unresolved = [order for order in todays if order.status == OrderStatus.UNRESOLVED]
        # An open order the lists disagree about (in neither, say, after a cancellation) is read from kt00007.
        in_doubt = any(_is_tracked_open(order) and not book.lists_agree(order) for order in todays)
        if unresolved or in_doubt:
            book = replace(book, details=_details(credential, today))
        _reconcile(user, credential, unresolved, book, now)
        _apply_seen({order.pk: _seen_today(book, order) for order in todays if _is_tracked_open(order)}, now)

    for day, earlier in sorted(by_day.items()):
        book = _Book(day=day, open_orders={}, fills={}, details=_details(credential, day))
        unresolved = [order for order in earlier if order.status == OrderStatus.UNRESOLVED]
        _reconcile(user, credential, unresolved, book, now)
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


# --- Reconciliation -----------------------------------------------------------------------------------------


def _reconcile(
    user: User, credential: KiwoomCredential, unresolved: list[Order], book: _Book, now: datetime
) -> None:
    """Match each unresolved attempt to an order of the day, or find it not placed if the evidence says so."""
    if not unresolved:
        return
    claimed = order_numbers_claimed(
        user=user, mode=credential.mode, key_fingerprint=credential.key_fingerprint, day=book.day
    )
    placed = book.placed()
    for order in sorted(unresolved, key=lambda o: (o.sent_at or o.created_at, o.pk)):
        Order.objects.filter(pk=order.pk).update(reconcile_attempts=F("reconcile_attempts") + 1)
        if order_has_fresh_attempt(
            user=user, stock_code=order.stock_code, side=order.side, since=now - pending_timeout()
        ):
            continue  # an attempt in flight may own the order we would find; look again later
        free = [candidate for candidate in placed if candidate.number not in claimed]
        match = _best_match(order, [candidate for candidate in free if _matches(order, candidate)])
        if match is not None:
            claimed.add(match.number)
            _order_found(order, match)
        elif (
            book.details is not None
            and _settled(order, now)
            and not any(_plausible(order, candidate) for candidate in free)
        ):
            order_record(
                order=order,
                status=OrderStatus.NOT_PLACED,
                note=LedgerNote.NOT_FOUND,
            )


def _matches(order: Order, candidate: _Placed) -> bool:
    if not _plausible(order, candidate):
        return False
    if order.kind == OrderKind.NEW:
        return (
            candidate.quantity == order.quantity
            and candidate.price == (order.price or 0)
            and _trade_type_agrees(order.trade_type, candidate.trade_type_text)
        )
    if order.kind == OrderKind.MODIFY:
        return candidate.price == order.price
    return True


def _plausible(order: Order, candidate: _Placed) -> bool:
    """Could this be the order? The loose test: such a candidate forbids calling the order not placed."""
    if (
        candidate.kind != order.kind
        or candidate.stock_code != order.stock_code
        or candidate.side != order.side
    ):
        return False
    if order.kind != OrderKind.NEW and candidate.original_number != order.parent.kiwoom_order_number:
        return False
    if candidate.placed_at is None or order.sent_at is None:
        return True
    return order.sent_at - CLOCK_SKEW <= candidate.placed_at <= order.sent_at + settle_time() + CLOCK_SKEW


def _best_match(order: Order, candidates: list[_Placed]) -> _Placed | None:
    """The candidate placed closest to when the order was sent (same quantity first, for children)."""
    if not candidates:
        return None
    sent = order.sent_at or order.created_at

    def distance(candidate: _Placed) -> tuple[bool, float]:
        gap = abs((candidate.placed_at - sent).total_seconds()) if candidate.placed_at else float("inf")
        return (candidate.quantity != order.quantity, gap)

    return min(candidates, key=distance)


def _trade_type_agrees(code: str, text: str) -> bool:
    """Kiwoom lists the type as text (보통, 시장가, 보통(IOC) ...); unknown text is no evidence either way."""
    known = {_normalize_type(t.label.split(" (")[0]): t.value for t in kiwoom.TradeType}
    normalized = _normalize_type(text)
    return normalized not in known or known[normalized] == code


def _normalize_type(text: str) -> str:
    return re.sub(r"[\s()]", "", text)


def settle_time() -> timedelta:
    """After this long from `sent_at`, Kiwoom has certainly finished with the request it stamps (the stamp
    comes before the wait for a rate-limit slot)."""
    request = settings.KIWOOM_CONNECT_TIMEOUT + settings.KIWOOM_READ_TIMEOUT
    return timedelta(seconds=settings.KIWOOM_RATE_LIMIT_WAIT + request + 5)


def _settled(order: Order, now: datetime) -> bool:
    """True once Kiwoom has certainly finished with the request (it cannot still be processing it)."""
    return order.sent_at is None or now - order.sent_at > settle_time()


def _order_found(order: Order, match: _Placed) -> None:
    if order.kind == OrderKind.NEW:
        order_record(
            order=order, status=OrderStatus.ACCEPTED, kiwoom_order_number=match.number, note=LedgerNote.FOUND
        )
    else:
        order_child_accept(
            child=order, order_number=match.number, quantity=match.quantity, note=LedgerNote.FOUND
        )


# --- Applying what Kiwoom shows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Seen:
    """One order as Kiwoom's lists show it; `remaining` is what is still open (0: nothing)."""

    filled: int
    average_price: int | None
    remaining: int


def _seen_today(book: _Book, order: Order) -> _Seen | None:
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


def _seen_in_details(book: _Book, order: Order, *, day_over: bool = False) -> _Seen | None:
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
            order.filled_quantity = max(order.filled_quantity, observation.filled)
            if observation.average_price is not None:
                order.average_fill_price = observation.average_price
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
        Order.objects.bulk_update(orders, _SYNCED_FIELDS)
    if orders and sum(order.filled_quantity for order in orders) != filled_before:
        account_cache_invalidate(user_id=orders[0].user_id)  # new fills moved cash and holdings


# --- Today's fills ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFill:
    """A row of today's fills (ka10076), with the ledger entry behind it when it was placed here."""

    fill: kiwoom.Fill
    order_id: int | None


@dataclass(frozen=True)
class AccountFills:
    fills: list[AccountFill]
    fetched_at: datetime


@dataclass(frozen=True)
class _FillsRead:
    """Today's fills as Kiwoom listed them (ka10076), and when."""

    rows: list[kiwoom.Fill]
    fetched_at: datetime


def account_fills_fetch(*, user: User, mode: str = Mode.MOCK) -> AccountFills:
    """Today's fills at Kiwoom (ka10076), each with its ledger entry when it has one.

    Open orders are synced first, and the fills read within SYNC_INTERVAL_SECONDS (by that sync, say) are the
    answer: the orders page asks for the ledger and the fills at once, and one ka10076 serves both. An order
    placed or changed since makes the sync, and so the fills, fresh.
    """
    credential = credential_get_connected(user=user, mode=mode)
    try:
        order_sync(user=user)
    except KiwoomApiError as failure:
        logger.warning("order sync of user %s failed: %s", user.pk, failure)  # the fills are asked below
    read = cache.get(_fills_key(credential))
    if read is None:
        rows = kiwoom_call(credential=credential, operation=lambda client, token: client.get_fills(token))
        read = _fills_remember(credential=credential, rows=rows)
    numbers = {fill.order_number for fill in read.rows}
    ids = order_ids_by_number(
        user=user,
        mode=mode,
        key_fingerprint=credential.key_fingerprint,
        numbers=numbers,
        day=_kst_date(read.fetched_at),
    )
    return AccountFills(
        fills=[AccountFill(fill=fill, order_id=ids.get(fill.order_number)) for fill in read.rows],
        fetched_at=read.fetched_at,
    )


def _fills_key(credential: KiwoomCredential) -> str:
    # The keys' fingerprint: keys connected since read another account's fills.
    return f"brokerage:fills:v1:{credential.user_id}:{credential.mode}:{credential.key_fingerprint}"


def _fills_remember(*, credential: KiwoomCredential, rows: list[kiwoom.Fill]) -> _FillsRead:
    read = _FillsRead(rows=list(rows), fetched_at=timezone.now())
    cache.set(_fills_key(credential), read, SYNC_INTERVAL_SECONDS)
    return read


# --- Korea time ---------------------------------------------------------------------------------------------


def _kst_date(moment: datetime) -> date:
    return moment.astimezone(KST).date()


def _kst_moment(day: date, text: str) -> datetime | None:
    """Kiwoom's time of day (`HHmmss` or `HH:mm:ss`, Korea time) on `day`; None when unreadable."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) != 6:
        return None
    try:
        return datetime.combine(day, time(int(digits[:2]), int(digits[2:4]), int(digits[4:])), tzinfo=KST)
    except ValueError:
        return None
