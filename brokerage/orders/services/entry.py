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
in between leaves a `pending` entry; once no request of it can still be in flight (`pending_timeout`),
`order_settle_abandoned` turns it into `unresolved` when `sent_at` is set (reconciliation then looks for it at
Kiwoom) and into `not_placed` when it is not. Sync and reconciliation live in `reconciliation`.

Idempotency. Each service first looks the key up, in the query that loads the credential; a repeat gets the
answer recorded for the first request and sends nothing, a repeat while the first is in flight gets 409, the
same key with other parameters 422. The unique constraint (user, idempotency_key) reserves a key together with
the ledger entry, in the same INSERT, before Kiwoom is called, so two requests racing past the look-up still
make one order. Refusals that happen before the entry is written (invalid input, guardrails) record nothing:
nothing was attempted, so a repeat is checked afresh; so is a repeat of an attempt that certainly did not
reach Kiwoom or that Kiwoom did not process (`not_placed`: no token, no rate-limit slot, Kiwoom's 429), whose
entry lets the key go.

Changes. A modification or cancellation is refused (409 `order_change_unresolved`) while an earlier one of
the same order is `pending` or `unresolved`: it may have reached Kiwoom, and a second one, under another key,
would change the order twice. Reconciliation settles the first; then the order can be changed again.

Cost. Every round trip to PostgreSQL or Redis adds to an order's latency. An order takes four SQL statements:
the user (for the JWT), the credential with the trading profile and the key, the entry (written as sent), and
the outcome.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.connections.coordination import CREDENTIAL_LOCK_WAIT
from brokerage.connections.errors import KiwoomApiError, KiwoomRateLimited, KiwoomUnavailable
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.connections.selectors import credential_require_connected
from brokerage.connections.services.calls import kiwoom_call
from brokerage.market.services import stock_info_get
from brokerage.orders import guardrails
from brokerage.orders.errors import (
    IdempotencyKeyInFlight,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    OrderChangeUnresolved,
    OrderModifyUnchanged,
    OrderNotModifiable,
    OrderNotOpen,
    OrderPlacedWithOtherKeys,
    OrderQuantityOverRemainder,
)
from brokerage.orders.models import UNSETTLED_STATUSES, Exchange, LedgerNote, Order, OrderKind, OrderStatus
from brokerage.orders.selectors import (
    credential_find_for_order,
    order_find_by_idempotency_key,
    order_get,
    trading_profile_of,
)
from stocklab.api.errors import error_payload, status_of
from stocklab.errors import ApplicationError

IDEMPOTENCY_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
# A token good for this much longer than KIWOOM_TOKEN_REFRESH_MARGIN is used as it is (tokens.token_get_valid
# renews only within the margin), so nothing is sent between writing the entry and its request: the entry is
# written as sent.
TOKEN_IN_HAND_SLACK = timedelta(minutes=1)
# A `sent_at` written with the entry stands for the request when it leaves within this long; else (something
# slow came in between after all) it is stamped again as the request goes out.
SENT_AT_SLACK = timedelta(seconds=1)


class _KeyTaken(Exception):
    """The key is already used (found by the look-up, or taken by another request before our insert);
    `answer` is its replay."""

    def __init__(self, answer: OrderAnswer) -> None:
        super().__init__(answer.status_code)
        self.answer = answer


# --- How long a send can take -------------------------------------------------------------------------------


def pending_timeout() -> timedelta:
    """How long an attempt can be in flight; a `pending` entry older than this was abandoned by its process.

    The longest `kiwoom_call` of an order: a token (waiting for another process's renewal, then au10001) and
    the request (a rate-limit slot, then the connect and read timeouts), and all of it once more after an
    8005 or an upstream 429.
    """
    request = settings.KIWOOM_CONNECT_TIMEOUT + settings.KIWOOM_READ_TIMEOUT
    once = CREDENTIAL_LOCK_WAIT + request + settings.KIWOOM_RATE_LIMIT_WAIT + request
    return timedelta(seconds=2 * once + 5)


# --- Idempotency --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdempotencyClaim:
    """A request's `Idempotency-Key` and the fingerprint of what it asks for; `render(entry)` is the body of
    its success, recorded with the outcome and replayed to repeats."""

    key: str
    fingerprint: str
    render: Callable[[Order], Any]


@dataclass(frozen=True)
class OrderAnswer:
    """What an order request is answered with; `replayed` when it repeats an earlier request's key."""

    status_code: int
    body: Any
    replayed: bool = False


def order_request_answer(
    *,
    user: User,
    idempotency_key: str | None,
    action: str,
    params: Mapping[str, Any],
    perform: Callable[[IdempotencyClaim | None], Order],
    render: Callable[[Order], Any],
) -> OrderAnswer:
    """Answer an order request (`perform` places, modifies or cancels) under its `Idempotency-Key`.

    Without a key, `perform` runs. With a new key, it runs and its answer is recorded. A repeat of the key
    gets the recorded answer and sends nothing; while the first request has not answered, 409
    `idempotency_key_in_flight`; with other `action` or `params`, 422 `idempotency_key_reused`. Errors that
    `perform` raises before it writes the entry propagate and record nothing.

    `perform` passes the claim to `order_place`, `order_modify` or `order_cancel`, which look the key up
    before anything else, in the query that loads the credential.
    """
    if idempotency_key is None:
        return OrderAnswer(status.HTTP_201_CREATED, render(perform(None)))
    claim = _claim(key=idempotency_key, action=action, params=params, render=render)
    try:
        order = perform(claim)
    except _KeyTaken as taken:
        return taken.answer
    return OrderAnswer(order.response_status, order.response_body)


def _claim(
    *, key: str, action: str, params: Mapping[str, Any], render: Callable[[Order], Any]
) -> IdempotencyClaim:
    key = key.strip()
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise IdempotencyKeyInvalid()
    canonical = json.dumps({"action": action, "params": dict(params)}, sort_keys=True, default=str)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    return IdempotencyClaim(key=key, fingerprint=fingerprint, render=render)


def _credential_for_order(
    *, user: User, mode: str, idempotency: IdempotencyClaim | None
) -> KiwoomCredential | None:
    """The user's credential for `mode` (None: not connected), looked up with the idempotency key: a key
    already used raises `_KeyTaken` with its answer (or the 409 or 422 of `_replay`)."""
    key = idempotency.key if idempotency is not None else None
    credential = credential_find_for_order(user=user, mode=mode, idempotency_key=key)
    if idempotency is not None and (credential is None or credential.idempotency_key_used):
        answer = _replay(user=user, claim=idempotency)
        if answer is not None:
            raise _KeyTaken(answer)
    return credential


def _replay(*, user: User, claim: IdempotencyClaim) -> OrderAnswer | None:
    """The answer for a key already used; None for a new key."""
    order = order_find_by_idempotency_key(user=user, key=claim.key)
    if order is None:
        return None
    if order.request_fingerprint != claim.fingerprint:
        raise IdempotencyKeyReused(extra={"order_id": order.pk})
    if order.response_status is not None:
        return OrderAnswer(order.response_status, order.response_body, replayed=True)
    if order.status == OrderStatus.PENDING and order.created_at > timezone.now() - pending_timeout():
        raise IdempotencyKeyInFlight(extra={"order_id": order.pk})
    # Its request stopped without an answer (its process died, or an unexpected error): the entry as it is.
    entry = order_get(user=user, order_id=order.pk)
    return OrderAnswer(status.HTTP_200_OK, claim.render(entry), replayed=True)


# --- Placing, modifying, cancelling -------------------------------------------------------------------------


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
) -> Order:
    """Check the guardrails, write the order to the ledger, then send it to Kiwoom once (kt10000/kt10001)."""
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
    return order


def order_modify(
    *,
    order: Order,
    price: int,
    quantity: int | None = None,
    confirm: bool = False,
    idempotency: IdempotencyClaim | None = None,
) -> Order:
    """Move `quantity` shares (default: the whole remainder) of an open order to a new price (kt10002).

    Kiwoom gives the moved shares a new order number: they become a child entry (kind `modify`), and the
    order is `modified` once nothing of it is left open. Returns the child.
    """
    credential = _credential_for_order(user=order.user, mode=order.mode, idempotency=idempotency)
    _require_changeable(order)
    if not kiwoom.TradeType(order.trade_type).requires_price:
        raise OrderNotModifiable()
    if price == order.price:
        raise OrderModifyUnchanged()
    _require_within_remainder(order, quantity)
    guardrails.check_real_trading_allowed(mode=order.mode)
    credential = credential_require_connected(credential=credential)
    _require_placed_with(order, credential)
    moved = quantity or order.remaining_quantity
    proposal = guardrails.OrderProposal(
        mode=order.mode,
        exchange=order.exchange,
        side=order.side,
        stock_code=order.stock_code,
        quantity=moved,
        trade_type=order.trade_type,
        price=price,
    )
    _check_guardrails(credential=credential, proposal=proposal, confirm=confirm)
    child = _order_reserve(
        _child_of(order, kind=OrderKind.MODIFY, credential=credential, quantity=moved, price=price),
        idempotency=idempotency,
        asked_quantity=quantity,
    )
    ack = _order_send(
        order=child,
        credential=credential,
        idempotency=idempotency,
        operation=lambda client, token: client.modify_order(
            token,
            original_order_number=order.kiwoom_order_number,
            stock_code=order.stock_code,
            quantity=quantity or 0,  # 0: whatever is left open at Kiwoom
            price=price,
            exchange=order.exchange,
        ),
    )
    order_child_accept(
        child=child,
        order_number=ack.order_number,
        quantity=ack.quantity,
        message=ack.message,
        idempotency=idempotency,
    )
    return child


def order_cancel(
    *, order: Order, quantity: int | None = None, idempotency: IdempotencyClaim | None = None
) -> Order:
    """Cancel `quantity` shares (default: the whole remainder) of an open order (kt10003).

    The cancellation is a child entry (kind `cancel`); the order is `cancelled` once nothing of it is left
    open. Cancelling reduces risk, so it needs neither the real-trading switches nor trading hours.
    """
    credential = _credential_for_order(user=order.user, mode=order.mode, idempotency=idempotency)
    _require_changeable(order)
    _require_within_remainder(order, quantity)
    credential = credential_require_connected(credential=credential)
    _require_placed_with(order, credential)
    child = _order_reserve(
        _child_of(
            order,
            kind=OrderKind.CANCEL,
            credential=credential,
            quantity=quantity or order.remaining_quantity,
            price=None,
        ),
        idempotency=idempotency,
        asked_quantity=quantity,
    )
    ack = _order_send(
        order=child,
        credential=credential,
        idempotency=idempotency,
        operation=lambda client, token: client.cancel_order(
            token,
            original_order_number=order.kiwoom_order_number,
            stock_code=order.stock_code,
            quantity=quantity or 0,  # 0: whatever is left open at Kiwoom
            exchange=order.exchange,
        ),
    )
    order_child_accept(
        child=child,
        order_number=ack.order_number,
        quantity=ack.quantity,
        message=ack.message,
        idempotency=idempotency,
    )
    return child


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
        answer = _replay(user=order.user, claim=idempotency) if idempotency is not None else None
        if answer is None:
            raise
        raise _KeyTaken(answer) from None
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
    `failure`, else the rendered entry, 201)."""
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(order, name, value)
    if idempotency is not None:
        if failure is None:
            order.response_status, order.response_body = status.HTTP_201_CREATED, idempotency.render(order)
        else:
            order.response_status = status_of(failure)
            order.response_body = error_payload(code=failure.code, detail=failure.detail, **failure.extra)
        fields.update(response_status=order.response_status, response_body=order.response_body)
    Order.objects.filter(pk=order.pk).update(**fields)


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
