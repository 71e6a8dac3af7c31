"""Reconciliation: finding at Kiwoom the attempts whose answer was lost.

Reconciliation. Kiwoom orders carry no client id, so an unresolved attempt is matched against the day's
orders at Kiwoom (kt00007, plus the open orders of ka10075 and the fills of ka10076): same stock, side,
quantity, price and type (for a modification or cancellation: the same original order), placed around the
time it was sent, and not already matched to another ledger entry. A match gives it Kiwoom's order number.
It is `not_placed` only once the request has certainly settled and the complete day list holds no plausible
candidate at all; anything ambiguous stays `unresolved` for a person to look at, never resent.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db.models import F

from accounts.models import SecurityEvent, User
from accounts.services import security_event_record
from brokerage import kiwoom
from brokerage.connections.models import KiwoomCredential
from brokerage.orders.models import LedgerNote, Order, OrderKind, OrderStatus
from brokerage.orders.selectors import order_has_fresh_attempt, order_numbers_claimed
from brokerage.orders.services.book import DayBook, PlacedOrder
from brokerage.orders.services.entry import order_child_accept, order_record
from brokerage.orders.services.timing import pending_timeout, settle_time

# Kiwoom's clock and ours may disagree a little: how far from `sent_at` a matching order may have been placed.
CLOCK_SKEW = timedelta(minutes=2)


def unresolved_reconcile(
    user: User, credential: KiwoomCredential, unresolved: list[Order], book: DayBook, now: datetime
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
            _outcome_record(order, status=OrderStatus.ACCEPTED, kiwoom_order_number=match.number)
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
            _outcome_record(order, status=OrderStatus.NOT_PLACED, kiwoom_order_number="")


def _outcome_record(order: Order, *, status: str, kiwoom_order_number: str) -> None:
    """The audit trail learns what became of an attempt whose answer was lost (its request said `unknown`)."""
    security_event_record(
        action=SecurityEvent.Action.ORDER_OUTCOME,
        user=order.user,
        outcome=SecurityEvent.Outcome.SUCCESS
        if status == OrderStatus.ACCEPTED
        else SecurityEvent.Outcome.FAILURE,
        details={
            "order_id": order.pk,
            "parent_order_id": order.parent_id,
            "status": status,
            "kiwoom_order_number": kiwoom_order_number,
            "note": "reconciled",
        },
    )


def _matches(order: Order, candidate: PlacedOrder) -> bool:
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


def _plausible(order: Order, candidate: PlacedOrder) -> bool:
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


def _best_match(order: Order, candidates: list[PlacedOrder]) -> PlacedOrder | None:
    """The candidate placed closest to when the order was sent (same quantity first, for children)."""
    if not candidates:
        return None
    sent = order.sent_at or order.created_at

    def distance(candidate: PlacedOrder) -> tuple[bool, float]:
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


def _settled(order: Order, now: datetime) -> bool:
    """True once Kiwoom has certainly finished with the request (it cannot still be processing it)."""
    return order.sent_at is None or now - order.sent_at > settle_time()


def _order_found(order: Order, match: PlacedOrder) -> None:
    if order.kind == OrderKind.NEW:
        order_record(
            order=order, status=OrderStatus.ACCEPTED, kiwoom_order_number=match.number, note=LedgerNote.FOUND
        )
    else:
        order_child_accept(
            child=order, order_number=match.number, quantity=match.quantity, note=LedgerNote.FOUND
        )
