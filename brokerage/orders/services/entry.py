"""Orders: every attempt is written to the ledger before it is sent, sent to Kiwoom once, never resent.

The life of a ledger entry (`Order.status`):

    pending ─┬─> accepted ──> partially_filled ──> filled
             │      └──────────────┴──────────> cancelled / modified (its remainder moved to a child order)
             ├─> rejected     Kiwoom answered and refused (its code and message are kept)
             ├─> not_placed   certainly not at Kiwoom: never sent, refused unprocessed (429), or
             │                reconciliation proved it absent
             └─> unresolved   sent, but the answer was lost: reconciled with Kiwoom's day lists, never resent

Durability. The entry is committed (and with it the idempotency key) before anything is sent; `sent_at` marks
that its request may have left: it is committed with the entry when the credential holds a token that needs
no renewal (the usual case, so nothing reaches Kiwoom between the two), else once a token is in hand just
before the request goes out, and again before a retry. The outcome is committed right after the reply. A
failure before the request (no token, no rate-limit slot) is `not_placed` for certain. A process that dies
in between leaves a `pending` entry; once no request of it can still be in flight (`timing.pending_timeout`),
`order_settle_abandoned` (in `sync`) turns it into `unresolved` when `sent_at` is set (reconciliation then
looks for it at Kiwoom) and into `not_placed` when it is not.

Idempotency (`idempotency`). With a claim on an `Idempotency-Key`, each service looks the key up first, in
the query that loads the credential: a repeat returns the first request's outcome (`OrderOutcome` with
`replayed`: the entry as answered, or the error it failed with) and sends nothing; a repeat while the first
is in flight raises `IdempotencyKeyInFlight`, the same key with other parameters `IdempotencyKeyReused`. The
unique constraint (user, idempotency_key) reserves a new key together with the ledger entry, in the same
INSERT, before Kiwoom is called, so two requests racing past the look-up still make one order: the loser
replays the winner. The outcome is recorded on the entry (`Order.answer`) in the statement that records
the result. Refusals that happen before the entry is written (invalid input, guardrails) record nothing:
nothing was attempted, so a repeat is checked afresh; so is a repeat of an attempt that certainly did not
reach Kiwoom or that Kiwoom did not process (`not_placed`: no token, no rate-limit slot, Kiwoom's 429), whose
entry lets the key go. Services return outcomes and raise domain errors; the API chooses statuses.

Changes. A modification and a cancellation share their preconditions and their ending (`_order_change`).
Either is refused (`order_change_unresolved`) while an earlier change of the same order is `pending` or
`unresolved`: it may have reached Kiwoom, and a second one, under another key, would change the order twice.
Reconciliation settles the first; then the order can be changed again.

Cost. Every round trip to PostgreSQL or Redis adds to an order's latency. An order takes four SQL statements:
the user (for the JWT), the credential with the trading profile and the key, the entry (written as sent), and
the outcome (the API then appends the request to the audit trail: a fifth); and four Redis round trips: the
fair-use budgets read and counted (`stocklab.api.throttling`), the rate limiter's slot, and the account
cache's new generation. The quote comes from the process's memory (`market.services`) but once every few
seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.connections.errors import KiwoomApiError, KiwoomRateLimited, KiwoomUnavailable
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.connections.selectors import credential_require_connected
from brokerage.connections.services.calls import kiwoom_call
from brokerage.market.services import stock_info_get
from brokerage.orders import guardrails
from brokerage.orders.errors import (
    OrderChangeUnresolved,
    OrderModifyUnchanged,
    OrderNotModifiable,
    OrderNotOpen,
    OrderPlacedWithOtherKeys,
    OrderQuantityOverRemainder,
)
from brokerage.orders.models import UNSETTLED_STATUSES, Exchange, LedgerNote, Order, OrderKind, OrderStatus
from brokerage.orders.selectors import credential_find_for_order, trading_profile_of
from brokerage.orders.services.idempotency import IdempotencyClaim, OrderOutcome, answer_of, order_replay
from brokerage.orders.signals import order_changed_on_commit
from stocklab.errors import ApplicationError

# A token good for this much longer than KIWOOM_TOKEN_REFRESH_MARGIN is used as it is (tokens.token_get_valid
# renews only within the margin), so nothing is sent between writing the entry and its request: the entry is
# written as sent.
TOKEN_IN_HAND_SLACK = timedelta(minutes=1)
# A `sent_at` written with the entry stands for the request when it leaves within this long; else (something
# slow came in between after all) it is stamped again as the request goes out.
SENT_AT_SLACK = timedelta(seconds=1)


class _KeyTaken(Exception):
    """The key is already held (found by the look-up, or taken by another request before our insert);
    `outcome` is its replay. Raised and caught inside this module only."""

    def __init__(self, outcome: OrderOutcome) -> None:
        super().__init__(outcome.order.pk)
        self.outcome = outcome


# --- Placing ------------------------------------------------------------------------------------------------


def order_place(
    *,
    user: User,
    side: str,
    stock_code: str,
    quantity: int,
    trade_type: str,
    price: int | None = None,
    exchange: str = Exchange.KRX,
    mode: str = Mode.MOCK,
    confirm: bool = False,
    idempotency: IdempotencyClaim | None = None,
) -> OrderOutcome:
    """Check the guardrails, write the order to the ledger, then send it to Kiwoom once (kt10000/kt10001).

    With `idempotency`, a repeat of its key returns the first request's outcome and sends nothing.
    """
    try:
        credential = _credential_for_order(user=user, mode=mode, idempotency=idempotency)
        guardrails.check_real_trading_allowed(mode=mode)
        credential = credential_require_connected(credential=credential)
        proposal = guardrails.OrderProposal(
            mode=mode,
            exchange=exchange,
            side=side,
            stock_code=stock_code,
            quantity=quantity,
            trade_type=trade_type,
            price=price,
        )
        quote = _check_guardrails(credential=credential, proposal=proposal, confirm=confirm)
        order = _order_reserve(
            Order(
                user=user,
                credential=credential,
                key_fingerprint=credential.key_fingerprint,
                mode=mode,
                kind=OrderKind.NEW,
                side=side,
                stock_code=stock_code,
                stock_name=quote.name[:64],
                quantity=quantity,
                trade_type=trade_type,
                price=price,
                exchange=exchange,
            ),
            idempotency=idempotency,
        )
    except _KeyTaken as taken:
        return taken.outcome
    ack = _order_send(
        order=order,
        credential=credential,
        idempotency=idempotency,
        operation=lambda client, token: client.place_order(
            token,
            side=kiwoom.OrderSide(side),
            stock_code=stock_code,
            quantity=quantity,
            trade_type=trade_type,
            price=price,
            exchange=exchange,
        ),
    )
    order_record(
        order=order,
        idempotency=idempotency,
        status=OrderStatus.ACCEPTED,
        kiwoom_order_number=ack.order_number,
        kiwoom_message=ack.message,
    )
    return OrderOutcome(order=order)


# --- Modifying and cancelling -------------------------------------------------------------------------------


def order_modify(
    *,
    order: Order,
    price: int,
    quantity: int | None = None,
    confirm: bool = False,
    idempotency: IdempotencyClaim | None = None,
) -> OrderOutcome:
    """Move `quantity` shares (default: the whole remainder) of an open order to a new price (kt10002).

    Kiwoom gives the moved shares a new order number: they become a child entry (kind `modify`), and the
    order is `modified` once nothing of it is left open. The outcome's entry is the child.
    """
    change = _Change(order=order, kind=OrderKind.MODIFY, quantity=quantity, price=price, confirm=confirm)
    return _order_change(change, idempotency=idempotency)


def order_cancel(
    *, order: Order, quantity: int | None = None, idempotency: IdempotencyClaim | None = None
) -> OrderOutcome:
    """Cancel `quantity` shares (default: the whole remainder) of an open order (kt10003).

    The cancellation is a child entry (kind `cancel`); the order is `cancelled` once nothing of it is left
    open. Cancelling reduces risk, so it needs neither the real-trading switches nor trading hours.
    """
    change = _Change(order=order, kind=OrderKind.CANCEL, quantity=quantity)
    return _order_change(change, idempotency=idempotency)


@dataclass(frozen=True)
class _Change:
    """A modification or cancellation of `order`: `quantity` shares as asked (None: the whole remainder)."""

    order: Order
    kind: str
    quantity: int | None
    price: int | None = None  # a modification's new price
    confirm: bool = False

    @property
    def adds_risk(self) -> bool:
        """A modification places shares on new terms: the real-trading switches and guardrails apply."""
        return self.kind == OrderKind.MODIFY

    @property
    def moved(self) -> int:
        return self.quantity or self.order.remaining_quantity

    def send(self, client: kiwoom.KiwoomClient, token: str) -> kiwoom.OrderAck:
        order = self.order
        if self.kind == OrderKind.MODIFY:
            return client.modify_order(
                token,
                original_order_number=order.kiwoom_order_number,
                stock_code=order.stock_code,
                quantity=self.quantity or 0,  # 0: whatever is left open at Kiwoom
                price=self.price,
                exchange=order.exchange,
            )
        return client.cancel_order(
            token,
            original_order_number=order.kiwoom_order_number,
            stock_code=order.stock_code,
            quantity=self.quantity or 0,
            exchange=order.exchange,
        )


def _order_change(change: _Change, *, idempotency: IdempotencyClaim | None) -> OrderOutcome:
    """The one path of a modification and a cancellation: the key, the preconditions, the child entry,
    Kiwoom once, and the parent giving up the shares."""
    order = change.order
    try:
        credential = _credential_for_order(user=order.user, mode=order.mode, idempotency=idempotency)
        _require_changeable(order)
        if change.adds_risk:
            _require_modifiable(order, price=change.price)
        _require_within_remainder(order, change.quantity)
        if change.adds_risk:
            guardrails.check_real_trading_allowed(mode=order.mode)
        credential = credential_require_connected(credential=credential)
        _require_placed_with(order, credential)
        if change.adds_risk:
            proposal = guardrails.OrderProposal(
                mode=order.mode,
                exchange=order.exchange,
                side=order.side,
                stock_code=order.stock_code,
                quantity=change.moved,
                trade_type=order.trade_type,
                price=change.price,
            )
            _check_guardrails(credential=credential, proposal=proposal, confirm=change.confirm)
        child = _order_reserve(
            _child_of(
                order, kind=change.kind, credential=credential, quantity=change.moved, price=change.price
            ),
            idempotency=idempotency,
            asked_quantity=change.quantity,
        )
    except _KeyTaken as taken:
        return taken.outcome
    ack = _order_send(order=child, credential=credential, idempotency=idempotency, operation=change.send)
    order_child_accept(
        child=child,
        order_number=ack.order_number,
        quantity=ack.quantity,
        message=ack.message,
        idempotency=idempotency,
    )
    return OrderOutcome(order=child)


# --- The preconditions --------------------------------------------------------------------------------------


def _credential_for_order(
    *, user: User, mode: str, idempotency: IdempotencyClaim | None
) -> KiwoomCredential | None:
    """The user's credential for `mode` (None: not connected), looked up with the idempotency key: a key
    already held raises `_KeyTaken` with its outcome (or `order_replay`'s in-flight or reused error)."""
    key = idempotency.key if idempotency is not None else None
    credential = credential_find_for_order(user=user, mode=mode, idempotency_key=key)
    if idempotency is not None and (credential is None or credential.idempotency_key_used):
        replay = order_replay(user=user, claim=idempotency)
        if replay is not None:
            raise _KeyTaken(replay)
    return credential


def _check_guardrails(
    *, credential: KiwoomCredential, proposal: guardrails.OrderProposal, confirm: bool
) -> kiwoom.StockInfo:
    """The plain rules first (no Kiwoom call), then the quote and the rules that need it."""
    profile = trading_profile_of(credential=credential)
    guardrails.check_real_trading(mode=proposal.mode, profile=profile, confirm=confirm)
    limits = guardrails.OrderLimits.for_profile(profile)
    guardrails.check_order(proposal, limits=limits)
    quote = stock_info_get(credential=credential, stock_code=proposal.stock_code)
    guardrails.check_order_against_quote(proposal, limits=limits, quote=quote)
    return quote


def _require_changeable(order: Order) -> None:
    _require_open(order)
    _require_no_change_in_doubt(order)


def _require_modifiable(order: Order, *, price: int | None) -> None:
    if not kiwoom.TradeType(order.trade_type).requires_price:
        raise OrderNotModifiable()
    if price == order.price:
        raise OrderModifyUnchanged()


def _require_placed_with(order: Order, credential: KiwoomCredential) -> None:
    if order.key_fingerprint != credential.key_fingerprint:
        raise OrderPlacedWithOtherKeys()


def _require_open(order: Order) -> None:
    if not order.is_open or not order.kiwoom_order_number:
        raise OrderNotOpen(
            _("Order %(id)s is %(status)s: only accepted or partially filled orders can be changed.")
            % {"id": order.pk, "status": order.get_status_display().lower()},
            extra={"order_status": order.status},
        )


def _require_no_change_in_doubt(order: Order) -> None:
    """Refuse a change while an earlier change of the order is in flight or unresolved: it may have reached
    Kiwoom, and another one could act on the order twice."""
    change = (
        Order.objects.filter(parent_id=order.pk, status__in=UNSETTLED_STATUSES)
        .order_by("pk")
        .values("pk", "status")
        .first()
    )
    if change is not None:
        raise OrderChangeUnresolved(extra={"change_id": change["pk"], "change_status": change["status"]})


def _require_within_remainder(order: Order, quantity: int | None) -> None:
    # Fills only shrink what is open, so the ledger's remainder is an upper bound of Kiwoom's.
    remaining = order.remaining_quantity
    if quantity is not None and quantity > remaining:
        raise OrderQuantityOverRemainder(
            _("The order has at most %(remaining)s shares left open; %(quantity)s were asked for.")
            % {"remaining": remaining, "quantity": quantity},
            extra={"remaining_quantity": remaining},
        )


def _child_of(
    order: Order, *, kind: str, credential: KiwoomCredential, quantity: int, price: int | None
) -> Order:
    return Order(
        user=order.user,
        credential=credential,
        key_fingerprint=credential.key_fingerprint,
        mode=order.mode,
        kind=kind,
        parent=order,
        side=order.side,
        stock_code=order.stock_code,
        stock_name=order.stock_name,
        quantity=quantity,
        trade_type=order.trade_type,
        price=price,
        exchange=order.exchange,
    )


# --- Writing the entry, sending, recording ------------------------------------------------------------------


def _order_reserve(
    order: Order, *, idempotency: IdempotencyClaim | None, asked_quantity: int | None = None
) -> Order:
    """Commit the new ledger entry, and with it the idempotency key, before anything is sent; written as sent
    when its token is in hand (`_order_send` stamps it otherwise), which saves a statement per order.

    For a change, `asked_quantity` is the quantity the request named (None: the whole remainder)."""
    if idempotency is not None:
        order.idempotency_key = idempotency.key
        order.request_fingerprint = idempotency.fingerprint
    if _token_in_hand(order.credential):
        order.sent_at = timezone.now()
    try:
        # Order services never run inside a transaction (they call Kiwoom), so the INSERT commits by itself.
        # Inside a caller's transaction all the same (the tests'), a savepoint keeps it usable on a taken key.
        # A change is checked again with its order locked, and committed before the lock goes: of two changes
        # that passed the first check together, the second sees the first's entry (or the order it closed).
        with transaction.atomic() if connection.in_atomic_block or order.parent_id else nullcontext():
            if order.parent_id:
                parent = Order.objects.select_for_update().get(pk=order.parent_id)
                _require_changeable(parent)
                _require_within_remainder(parent, asked_quantity)
            order.save(force_insert=True)
    except IntegrityError:
        # Another request reserved the key after our look-up: it is in flight (409), or has just answered.
        replay = order_replay(user=order.user, claim=idempotency) if idempotency is not None else None
        if replay is None:
            raise
        raise _KeyTaken(replay) from None
    return order


def _token_in_hand(credential: KiwoomCredential) -> bool:
    """True when `kiwoom_call` will use the stored token as it is: nothing reaches Kiwoom before the order."""
    expires = credential.token_expires_at
    if not credential.access_token or expires is None:
        return False
    margin = timedelta(seconds=settings.KIWOOM_TOKEN_REFRESH_MARGIN) + TOKEN_IN_HAND_SLACK
    return expires - margin > timezone.now()


def _order_send(
    *,
    order: Order,
    credential: KiwoomCredential,
    idempotency: IdempotencyClaim | None,
    operation: Callable[[kiwoom.KiwoomClient, str], kiwoom.OrderAck],
) -> kiwoom.OrderAck:
    """Call Kiwoom once, the entry marked sent (committed) before the request goes out; whatever fails is
    recorded on the entry and re-raised."""
    sends = 0  # requests of this order that went out, or may have

    def send(client: kiwoom.KiwoomClient, token: str) -> kiwoom.OrderAck:
        nonlocal sends
        # Stamped with a token in hand, so a failure to get one leaves the entry certainly unsent. The stamp
        # written with the entry stands for the first request if nothing slow came in between; a retry after
        # a refusal that Kiwoom did not process is stamped anew: only the last request can have placed the
        # order, and reconciliation measures from when it left.
        sent_at = timezone.now()
        if sends or order.sent_at is None or sent_at - order.sent_at > SENT_AT_SLACK:
            Order.objects.filter(pk=order.pk).update(sent_at=sent_at, updated_at=sent_at)
            order.sent_at = order.updated_at = sent_at
        sends += 1
        return operation(client, token)

    try:
        return kiwoom_call(credential=credential, operation=send)
    except KiwoomApiError as error:
        _order_record_failure(order=order, error=error, idempotency=idempotency, sent=sends > 0)
        raise
    except Exception:
        # Not a Kiwoom answer: if the request went out, reconcile; never resend.
        sent = sends > 0
        order_record(
            order=order,
            status=OrderStatus.UNRESOLVED if sent else OrderStatus.NOT_PLACED,
            note=LedgerNote.INTERRUPTED_SENDING if sent else LedgerNote.INTERRUPTED_BEFORE,
            **({} if sent else _NOT_PLACED_FIELDS),
        )
        raise
    finally:
        account_cache_invalidate(user_id=order.user_id)


# An attempt certainly not at Kiwoom has no send time (even if written as sent) and lets its idempotency key
# go: a repeat (after Retry-After, say) is tried afresh, as after a refusal before the entry was written; the
# entry stays in the ledger.
_NOT_PLACED_FIELDS = {"sent_at": None, "idempotency_key": "", "request_fingerprint": ""}


def _order_record_failure(
    *, order: Order, error: KiwoomApiError, idempotency: IdempotencyClaim | None, sent: bool
) -> None:
    source = error.kiwoom_error
    order_status = _failure_status(error, sent=sent)
    if sent and isinstance(error, KiwoomUnavailable):
        if order_status == OrderStatus.UNRESOLVED:
            error.detail = _(
                "Kiwoom did not confirm the order; it may or may not have been placed. It is marked "
                "unresolved and will be checked against Kiwoom, not sent again."
            )
        else:
            error.detail = _("The order was not placed: Kiwoom could not be reached, so nothing was sent.")
    error.extra.update(order_id=order.pk, order_status=order_status)
    not_placed = order_status == OrderStatus.NOT_PLACED
    order_record(
        order=order,
        idempotency=None if not_placed else idempotency,
        failure=error,
        status=order_status,
        kiwoom_code=(source.code or "")[:32] if source else "",
        # Kiwoom's words when Kiwoom answered; a transport failure's own text is for the logs, not the ledger.
        kiwoom_message=source.message if source is not None and source.answered else "",
        note=_failure_note(error, order_status),
        **(_NOT_PLACED_FIELDS if not_placed else {}),
    )


def _failure_note(error: KiwoomApiError, order_status: str) -> str:
    if not isinstance(error, KiwoomUnavailable):
        return ""
    return LedgerNote.ANSWER_LOST if order_status == OrderStatus.UNRESOLVED else LedgerNote.NOT_REACHED


def _failure_status(error: KiwoomApiError, *, sent: bool) -> str:
    """What a failed send leaves the entry as (`sent`: the order's request was about to go out)."""
    if not sent:
        return OrderStatus.NOT_PLACED  # failed before the request went out (token)
    if isinstance(error, KiwoomRateLimited):
        # Our limiter refused before sending; Kiwoom's 429 is a refusal it did not process (as were the
        # refusals `kiwoom_call` retried before it). Either way no order exists: the key goes free, and a
        # repeat after Retry-After is tried afresh.
        return OrderStatus.NOT_PLACED
    if isinstance(error, KiwoomUnavailable):
        # Unless the connection was certainly never made, the request may have reached Kiwoom (without a
        # Kiwoom error behind it, e.g. a token lock that timed out before an 8005 retry: assume it did).
        reached = getattr(error.kiwoom_error, "request_sent", True)
        return OrderStatus.UNRESOLVED if reached else OrderStatus.NOT_PLACED
    if error.kiwoom_error is None:
        return OrderStatus.NOT_PLACED  # refused on our side before anything was sent (no rate-limit slot)
    # Kiwoom answered and refused: the order system, or a token, rate or key check before it.
    return OrderStatus.REJECTED


def order_record(
    *,
    order: Order,
    idempotency: IdempotencyClaim | None = None,
    failure: ApplicationError | None = None,
    **fields: Any,
) -> None:
    """Write `fields` of an entry in one statement, with the answer its idempotency key replays (the error
    `failure`, else the entry as written)."""
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(order, name, value)
    if idempotency is not None:
        order.answer = fields["answer"] = answer_of(order, failure)
    Order.objects.filter(pk=order.pk).update(**fields)
    order_changed_on_commit(order)


def order_child_accept(
    *,
    child: Order,
    order_number: str,
    quantity: int | None,
    message: str = "",
    note: str = "",
    idempotency: IdempotencyClaim | None = None,
) -> None:
    """Kiwoom took a modification or cancellation (`quantity` shares; None: as asked): the child gets its
    number, and its parent, locked, gives up the shares and closes once nothing of it is left open.

    Found late by reconciliation, the change may find its shares already counted as cancelled by a sync
    that could not know of it (the order looked closed at Kiwoom): they are counted once, as what the change
    made of them, and a parent closed as cancelled is closed again as what it now is.
    """
    moved = quantity or child.quantity
    with transaction.atomic():
        parent = Order.objects.select_for_update().get(pk=child.parent_id)
        if child.kind == OrderKind.MODIFY:
            parent.modified_quantity += moved
        else:
            parent.cancelled_quantity += moved
        counted = parent.filled_quantity + parent.cancelled_quantity + parent.modified_quantity
        if counted > parent.quantity:
            parent.cancelled_quantity = max(0, parent.cancelled_quantity - (counted - parent.quantity))
        if not parent.is_open or parent.remaining_quantity == 0:
            parent.status = parent.closed_status
        parent.save(update_fields=["modified_quantity", "cancelled_quantity", "status", "updated_at"])
        order_changed_on_commit(parent)
        child.parent = parent
        order_record(
            order=child,
            idempotency=idempotency,
            status=OrderStatus.ACCEPTED,
            kiwoom_order_number=order_number,
            kiwoom_message=message,
            note=note,
            quantity=moved,
        )
