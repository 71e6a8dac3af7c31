"""Kiwoom's `00` 주문체결 events into the ledger, at once, in agreement with the sync.

An event names an order by Kiwoom's number and carries its cumulative filled quantity and amount (FIDs
911 and 903) and its open remainder (902). The ledger's quantities only ever grow (`max`), exactly as the
sync applies ka10076's cumulative rows (`sync._apply_seen`), so an event seen twice, or a fill that both an
event and a sync report, is counted once, in whichever order they come. Orders placed elsewhere (HTS) have
no ledger entry and are left alone; an event that arrives before the entry learned its number (a market
order fills inside the kt10000 call) is reported as unknown, for the caller to try again a moment later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.kiwoom.parsing import KST
from brokerage.kiwoom.realtime import OrderEvent
from brokerage.orders.models import UNSETTLED_STATUSES, Order, OrderKind, OrderStatus
from brokerage.orders.services.book import kst_date
from brokerage.orders.signals import order_changed_on_commit

# Kiwoom's 주문상태 (FID 913).
ACCEPTED, FILLED, CONFIRMED, CANCELLED, REJECTED = "접수", "체결", "확인", "취소", "거부"

_FIELDS = ["status", "filled_quantity", "average_fill_price", "cancelled_quantity", "updated_at"]


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """A `00` event and the account it came from (the keys `key_fingerprint` of the user in `mode`)."""

    user_id: int
    mode: str
    key_fingerprint: str
    event: OrderEvent


def order_event_apply(
    *, user_id: int, mode: str, key_fingerprint: str, event: OrderEvent, now: datetime | None = None
) -> Order | None:
    """Apply one `00` event of an account to its ledger entry; None when no entry of today has the number
    (yet). The entry is returned whether or not it changed; `order_changed` is sent if it did."""
    [order] = order_events_apply(
        events=[AccountEvent(user_id=user_id, mode=mode, key_fingerprint=key_fingerprint, event=event)],
        now=now,
    )
    return order


def order_events_apply(*, events: Sequence[AccountEvent], now: datetime | None = None) -> list[Order | None]:
    """`order_event_apply` for many events at once, in their order: one locked read and at most one write
    for all of them, in one transaction. The stream process applies every `00` event of every account it
    streams this way, so that a burst of fills (a price crossing a level many users rest at) costs a few
    queries rather than three each."""
    now = now or timezone.now()
    wanted = [item for item in events if item.event.order_number]
    if not wanted:
        return [None] * len(events)
    midnight = datetime.combine(kst_date(now), time.min, tzinfo=KST)
    change_in_doubt = Order.objects.filter(parent=OuterRef("pk"), status__in=UNSETTLED_STATUSES)
    with transaction.atomic():
        rows = (
            Order.objects.select_for_update(of=("self",))
            .filter(
                user_id__in={item.user_id for item in wanted},
                kiwoom_order_number__in={item.event.order_number for item in wanted},
                created_at__gte=midnight,
                created_at__lt=midnight + timedelta(days=1),
            )
            .annotate(change_in_doubt=Exists(change_in_doubt))
            .order_by("pk")  # rows locked in one order by every batch: no deadlock between two
        )
        found: dict[tuple, Order] = {}
        for order in rows:
            key = (order.user_id, order.mode, order.key_fingerprint, order.kiwoom_order_number)
            found.setdefault(key, order)  # the first of the day, as a single event's `.first()` read
        applied: list[Order | None] = []
        before: dict[int, tuple] = {}
        filled_before: dict[int, int] = {}
        for item in events:
            key = (item.user_id, item.mode, item.key_fingerprint, item.event.order_number)
            order = found.get(key) if item.event.order_number else None
            applied.append(order)
            if order is None:
                continue
            before.setdefault(order.pk, tuple(getattr(order, name) for name in _FIELDS[:-1]))
            filled_before.setdefault(order.pk, order.filled_quantity)
            _apply(order, item.event)
        changed = [
            order
            for order in found.values()
            if order.pk in before and tuple(getattr(order, name) for name in _FIELDS[:-1]) != before[order.pk]
        ]
        for order in changed:
            order.updated_at = now
        if changed:
            Order.objects.bulk_update(changed, _FIELDS)
            for order in changed:
                order_changed_on_commit(order)
    for user_id in {order.user_id for order in changed if order.filled_quantity != filled_before[order.pk]}:
        account_cache_invalidate(user_id=user_id)  # the fill moved cash and holdings
    return applied


def _apply(order: Order, event: OrderEvent) -> None:
    """What the event says of an open order; a closed one is never reopened, quantities never shrink."""
    if order.kind == OrderKind.CANCEL or not order.is_open:
        return  # a cancellation is done once accepted (entry records that); a closed order stays closed
    if event.state == REJECTED:
        if not order.filled_quantity:
            order.status = OrderStatus.REJECTED
        return
    if event.state not in (FILLED, CANCELLED, ACCEPTED, CONFIRMED):
        return
    filled = min(event.filled_quantity, order.quantity)
    if filled > order.filled_quantity:
        order.filled_quantity = filled
        if event.average_price is not None:
            order.average_fill_price = event.average_price
    if event.state == CANCELLED and not order.change_in_doubt:
        # The remainder ended at Kiwoom's side (the day's close, an IOC/FOK remainder, HTS): as the sync
        # counts it. A change of ours in flight is left to account for its own shares.
        done = order.filled_quantity + order.modified_quantity
        gone = order.quantity - done - max(0, event.remaining_quantity)
        order.cancelled_quantity = max(order.cancelled_quantity, gone)
    if order.remaining_quantity:
        order.status = OrderStatus.PARTIALLY_FILLED if order.filled_quantity else OrderStatus.ACCEPTED
    else:
        order.status = order.closed_status
