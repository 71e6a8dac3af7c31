"""Orders: every attempt is written to the ledger before it is sent, sent to Kiwoom once, never resent.

The life of a ledger entry (`Order.status`):

    pending ─┬─> accepted ──> partially_filled ──> filled
             │      └──────────────┴──────────> cancelled / modified (its remainder moved to a child order)
             ├─> rejected     Kiwoom answered and refused (its code and message are kept)
             ├─> not_placed   certainly not at Kiwoom: never sent, or reconciliation proved it absent
             └─> unresolved   sent, but the answer was lost: reconciled with Kiwoom's day lists, never resent

Durability. The entry is committed (and with it the idempotency key) before anything else happens; `sent_at`
is committed once a token is in hand, just before the request goes out, and the outcome right after the reply.
A failure before `sent_at` (no token, no rate-limit slot) is `not_placed` for certain. A process that dies in
between leaves a `pending` entry. Once it is older than PENDING_TIMEOUT (no request can still be in flight by
then), reconciliation turns it into `unresolved` when `sent_at` is set (the request may have reached Kiwoom)
and into `not_placed` when it is not (the request never left).

Reconciliation. Kiwoom orders carry no client id, so an unresolved attempt is matched against the day's
orders at Kiwoom (kt00007, plus the open orders of ka10075 and the fills of ka10076): same stock, side,
quantity, price and type (for a modification or cancellation: the same original order), placed around the
time it was sent, and not already matched to another ledger entry. A match gives it Kiwoom's order number.
It is `not_placed` only once the request has certainly settled and the complete day list holds no plausible
candidate at all; anything ambiguous stays `unresolved` for a person to look at, never resent.

Sync. Open orders follow Kiwoom with one ka10075 and one ka10076 call per user and mode (not per order),
when the user looks at them (at most once per SYNC_INTERVAL_SECONDS unless an order changed meanwhile) and
from the periodic task. ka10076 is read as one row per order with its cumulative filled quantity and average
price, which is how Kiwoom's example and the simulator present it. An open order in neither list closed
without a fill; kt00007 (the day's complete list) confirms it before the ledger says so. Orders of earlier
days are closed from that day's kt00007: their remainder expired at the close. A modification is a child
entry with its own order number and follows Kiwoom like any order; a cancellation is a child that is done
once accepted.

Idempotency. The unique constraint (user, idempotency_key) reserves a key together with the ledger entry, in a
short transaction before Kiwoom is called. The answer given to that first request is recorded on the entry
and replayed to repeats; a repeat while the first is in flight gets 409, the same key with other parameters
422. Refusals that happen before the entry is written (invalid input, guardrails) record nothing: nothing was
attempted, so a repeat is checked afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status

from accounts.models import User
from stocklab.errors import ApplicationError, error_payload

from .. import guardrails, kiwoom, selectors
from ..coordination import LockTimeout, named_lock
from ..errors import KiwoomApiError, KiwoomUnavailable
from ..models import CredentialStatus, KiwoomCredential, Mode, Order, OrderKind, OrderStatus
from ..models.orders import Exchange
from .balance import balance_cache_invalidate
from .tokens import kiwoom_call

logger = logging.getLogger(__name__)

KST = ZoneInfo("Asia/Seoul")
# No request to Kiwoom can still be in flight after this long (timeouts, token renewal and rate-limit waits
# included): a `pending` entry this old was abandoned by its process.
PENDING_TIMEOUT = timedelta(minutes=1)
# Orders of a user are synced at most this often when someone looks at them (Kiwoom allows 1 call/s on mock).
SYNC_INTERVAL_SECONDS = 1
# Kiwoom's clock and ours may disagree a little: how far from `sent_at` a matching order may have been placed.
CLOCK_SKEW = timedelta(minutes=2)
# Quotes (ka10001) for the guardrails are reused this long.
STOCK_INFO_SECONDS = 5
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


# --- Errors -------------------------------------------------------------------------------------------------


class IdempotencyKeyInvalid(ApplicationError):
    code = "idempotency_key_invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy(
        "The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID."
    )


class IdempotencyKeyInFlight(ApplicationError):
    code = "idempotency_key_in_flight"
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy(
        "A request with this Idempotency-Key is still being processed. Wait for its answer, then repeat it "
        "to get the same answer."
    )


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy(
        "This Idempotency-Key was already used for a different request. Use a new key for a new request."
    )


class OrderNotOpen(ApplicationError):
    code = "order_not_open"
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The order is no longer open at Kiwoom.")


class OrderNotModifiable(ApplicationError):
    code = "order_not_modifiable"
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy(
        "Only orders with a price (limit types) can be modified; cancel this one and place a new order."
    )


class OrderQuantityOverRemainder(ApplicationError):
    code = "order_quantity_over_remainder"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The quantity is more than the order has left open.")


class IdempotencyKeyTaken(Exception):
    """Another request reserved the key between our look-up and our insert (internal; answered by replay)."""

    def __init__(self, order: Order) -> None:
        super().__init__(order.pk)
        self.order = order


# --- Idempotency --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdempotencyClaim:
    """A request's `Idempotency-Key`, the fingerprint of what it asks for, and how a success is answered:
    `answer(entry)` gives the (HTTP status, body) recorded with the outcome and replayed to repeats."""

    key: str
    fingerprint: str
    answer: Callable[[Order], tuple[int, Any]] = field(compare=False, repr=False)


@dataclass(frozen=True)
class RecordedResponse:
    """What a repeat of a key gets: the first answer, or the entry itself when its request died unanswered."""

    order: Order
    status_code: int | None
    body: Any


def idempotency_claim(
    *,
    key: str | None,
    action: str,
    params: Mapping[str, Any],
    answer: Callable[[Order], tuple[int, Any]],
) -> IdempotencyClaim | None:
    """The claim of a request (None without the header); the fingerprint covers the action and parameters."""
    if key is None:
        return None
    key = key.strip()
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise IdempotencyKeyInvalid()
    canonical = json.dumps({"action": action, "params": dict(params)}, sort_keys=True, default=str)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    return IdempotencyClaim(key=key, fingerprint=fingerprint, answer=answer)


def order_replay(*, user: User, claim: IdempotencyClaim) -> RecordedResponse | None:
    """The recorded answer for a key already used (None for a new key).

    Raises `idempotency_key_reused` when the key came with other parameters, and `idempotency_key_in_flight`
    while the first request has not answered yet.
    """
    order = selectors.order_find_by_idempotency_key(user=user, key=claim.key)
    if order is None:
        return None
    if order.request_fingerprint != claim.fingerprint:
        raise IdempotencyKeyReused(extra={"order_id": order.pk})
    if order.response_status is not None:
        return RecordedResponse(order=order, status_code=order.response_status, body=order.response_body)
    if order.created_at > timezone.now() - PENDING_TIMEOUT:
        raise IdempotencyKeyInFlight(extra={"order_id": order.pk})
    return RecordedResponse(order=order, status_code=None, body=None)


# --- Quotes -------------------------------------------------------------------------------------------------


def stock_info_get(*, credential: KiwoomCredential, stock_code: str) -> kiwoom.StockInfo:
    """ka10001 for one stock, reused for a few seconds (the guardrails need it for every order)."""
    key = f"brokerage:stock-info:{credential.mode}:{stock_code}"
    cached = cache.get(key)
    if cached is not None:
        return kiwoom.StockInfo(**cached)
    info = kiwoom_call(
        credential=credential, operation=lambda client, token: client.get_stock_info(token, stock_code)
    )
    cache.set(key, asdict(info), STOCK_INFO_SECONDS)
    return info


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
    guardrails.check_real_trading_allowed(mode=mode)
    credential = selectors.credential_get_for_trading(user=user, mode=mode)
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
    _order_conclude(
        order,
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
    _require_open(order)
    if not kiwoom.TradeType(order.trade_type).requires_price:
        raise OrderNotModifiable()
    _require_within_remainder(order, quantity)
    guardrails.check_real_trading_allowed(mode=order.mode)
    credential = selectors.credential_get_for_trading(user=order.user, mode=order.mode)
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
    _child_accept(
        child,
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
    _require_open(order)
    _require_within_remainder(order, quantity)
    credential = selectors.credential_get_connected(user=order.user, mode=order.mode)
    child = _order_reserve(
        _child_of(
            order,
            kind=OrderKind.CANCEL,
            credential=credential,
            quantity=quantity or order.remaining_quantity,
            price=None,
        ),
        idempotency=idempotency,
    )
    ack = _order_send(
        order=child,
        credential=credential,
        idempotency=idempotency,
        operation=lambda client, token: client.cancel_order(
            token,
            original_order_number=order.kiwoom_order_number,
            stock_code=order.stock_code,
            quantity=quantity or 0,
            exchange=order.exchange,
        ),
    )
    _child_accept(
        child,
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
    profile = selectors.trading_profile_of(credential)
    guardrails.check_real_trading(mode=proposal.mode, profile=profile, confirm=confirm)
    limits = guardrails.OrderLimits.for_profile(profile)
    guardrails.check_order(proposal, limits=limits)
    quote = stock_info_get(credential=credential, stock_code=proposal.stock_code)
    guardrails.check_order_against_quote(proposal, limits=limits, quote=quote)
    return quote


def _require_open(order: Order) -> None:
    if not order.is_open or not order.kiwoom_order_number:
        raise OrderNotOpen(
            _("Order %(id)s is %(status)s: only accepted or partially filled orders can be changed.")
            % {"id": order.pk, "status": order.get_status_display().lower()},
            extra={"order_status": order.status},
        )


def _require_within_remainder(order: Order, quantity: int | None) -> None:
    # Fills only shrink what is open, so the ledger's remainder is an upper bound of Kiwoom's.
    remaining = order.remaining_quantity
    if quantity is not None and quantity > remaining:
        raise OrderQuantityOverRemainder(
            _("The order has at most %(remaining)s shares left open; %(quantity)s were asked for.")
            % {"remaining": remaining, "quantity": quantity},
            extra={"remaining_quantity": remaining},
        )


def _child_of(order: Order, *, kind: str, credential: KiwoomCredential, quantity: int, price: int | None):
    return Order(
        user_id=order.user_id,
        credential=credential,
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


def _order_reserve(order: Order, *, idempotency: IdempotencyClaim | None) -> Order:
    """Commit the new ledger entry, and with it the idempotency key, before anything is sent."""
    if idempotency is not None:
        order.idempotency_key = idempotency.key
        order.request_fingerprint = idempotency.fingerprint
    try:
        with transaction.atomic():
            order.save(force_insert=True)
    except IntegrityError:
        taken = selectors.order_find_by_idempotency_key(user=order.user, key=order.idempotency_key)
        if taken is None:
            raise
        raise IdempotencyKeyTaken(taken) from None
    return order


def _order_send(
    *,
    order: Order,
    credential: KiwoomCredential,
    idempotency: IdempotencyClaim | None,
    operation: Callable[[kiwoom.KiwoomClient, str], kiwoom.OrderAck],
) -> kiwoom.OrderAck:
    """Call Kiwoom once, marking the entry sent (committed) just before the request goes out; whatever fails
    is recorded on the entry and re-raised."""

    def send(client: kiwoom.KiwoomClient, token: str) -> kiwoom.OrderAck:
        # After the token is in hand: a failure to get one leaves `sent_at` unset (certainly not sent).
        if order.sent_at is None:
            order.sent_at = order.updated_at = timezone.now()
            Order.objects.filter(pk=order.pk).update(sent_at=order.sent_at, updated_at=order.updated_at)
        return operation(client, token)

    try:
        return kiwoom_call(credential=credential, operation=send)
    except KiwoomApiError as error:
        _order_record_failure(order=order, error=error, idempotency=idempotency)
        raise
    except Exception:
        # Not a Kiwoom answer: if the request went out, reconcile; never resend.
        sent = order.sent_at is not None
        _order_set(
            order,
            status=OrderStatus.UNRESOLVED if sent else OrderStatus.NOT_PLACED,
            kiwoom_message=_("Interrupted while sending.") if sent else _("Interrupted before sending."),
        )
        raise
    finally:
        balance_cache_invalidate(user_id=order.user_id)


def _order_record_failure(
    *, order: Order, error: KiwoomApiError, idempotency: IdempotencyClaim | None
) -> None:
    source = error.kiwoom_error
    if order.sent_at is None:
        order_status = OrderStatus.NOT_PLACED  # failed before the request went out (token, rate limit)
    elif isinstance(error, KiwoomUnavailable) and getattr(source, "request_sent", True):
        order_status = OrderStatus.UNRESOLVED
        error.detail = _(
            "Kiwoom did not confirm the order; it may or may not have been placed. It is marked unresolved "
            "and will be checked against Kiwoom, not sent again."
        )
    elif isinstance(error, KiwoomUnavailable):
        order_status = OrderStatus.NOT_PLACED
        error.detail = _("The order was not placed: Kiwoom could not be reached, so nothing was sent.")
    elif source is None:
        order_status = OrderStatus.NOT_PLACED  # refused on our side before anything was sent
    else:
        # Kiwoom answered and refused: the order system, or a token, rate or key check before it.
        order_status = OrderStatus.REJECTED
    error.extra.update(order_id=order.pk, order_status=order_status)
    _order_conclude(
        order,
        idempotency=idempotency,
        failure=error,
        status=order_status,
        kiwoom_code=((source.code or "") if source else "")[:32],
        kiwoom_message=source.message if source else str(error.detail),
    )


def _order_set(order: Order, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=[*fields, "updated_at"])


def _order_conclude(
    order: Order,
    *,
    idempotency: IdempotencyClaim | None,
    failure: ApplicationError | None = None,
    **fields: Any,
) -> None:
    """Write an attempt's outcome and, in the same statement, the answer its idempotency key replays."""
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(order, name, value)
    if idempotency is not None:
        if failure is None:
            order.response_status, order.response_body = idempotency.answer(order)
        else:
            order.response_status = failure.status_code
            order.response_body = error_payload(code=failure.code, detail=failure.detail, **failure.extra)
        fields.update(response_status=order.response_status, response_body=order.response_body)
    Order.objects.filter(pk=order.pk).update(**fields)


def _child_accept(
    child: Order,
    *,
    order_number: str,
    quantity: int | None,
    message: str,
    idempotency: IdempotencyClaim | None = None,
) -> None:
    """Kiwoom took a modification or cancellation: the child gets its number, the parent gives up shares."""
    moved = quantity or child.quantity
    with transaction.atomic():
        parent = Order.objects.select_for_update().get(pk=child.parent_id)
        _order_conclude(
            child,
            idempotency=idempotency,
            status=OrderStatus.ACCEPTED,
            kiwoom_order_number=order_number,
            kiwoom_message=message,
            quantity=moved,
        )
        if child.kind == OrderKind.MODIFY:
            parent.modified_quantity += moved
        else:
            parent.cancelled_quantity += moved
        done = parent.filled_quantity + parent.cancelled_quantity + parent.modified_quantity
        if parent.is_open and done >= parent.quantity:
            parent.status = _closed_status(parent)
        parent.save(update_fields=["modified_quantity", "cancelled_quantity", "status", "updated_at"])
    child.parent = parent


def _closed_status(order: Order) -> str:
    """The final status of an order with nothing left open."""
    if order.filled_quantity >= order.quantity:
        return OrderStatus.FILLED
    if order.modified_quantity:
        return OrderStatus.MODIFIED  # its remainder lives on in a child order
    return OrderStatus.CANCELLED


# --- Sync and reconciliation --------------------------------------------------------------------------------


def order_sync(*, user: User, force: bool = False) -> bool:
    """Bring the user's open orders up to date with Kiwoom and reconcile the attempts whose fate is unknown.

    Per mode with work to do: one ka10075 and one ka10076 call, plus one kt00007 when an attempt of today is
    unresolved and one per earlier day with orders still open. Without `force`, at most once per
    SYNC_INTERVAL_SECONDS per user. Returns True when Kiwoom was asked; Kiwoom's errors are raised.
    """
    order_settle_abandoned(user=user)
    work = [order for order in selectors.orders_to_sync(user=user) if order.status != OrderStatus.PENDING]
    if not work:
        return False
    if not force and not _sync_due(user.pk, work):
        return False
    asked = False
    for mode in sorted({order.mode for order in work}):
        credential = selectors.credential_find(user=user, mode=mode)
        if credential is None or credential.status == CredentialStatus.INVALID:
            continue  # nothing to ask Kiwoom with; the orders wait for the keys to come back
        try:
            # A look waits briefly for a sync already running; the periodic task and `reconcile` wait longer.
            with named_lock(f"orders:{user.pk}:{mode}:sync", ttl=60, wait=10 if force else 1):
                _sync_mode(user, credential, [order for order in work if order.mode == mode])
        except LockTimeout:
            logger.info("order sync of user %s (%s) skipped: another one is running", user.pk, mode)
            continue
        asked = True
    if asked:
        cache.set(_sync_key(user.pk), timezone.now(), SYNC_INTERVAL_SECONDS)
    return asked


def order_reconcile(*, order: Order) -> Order:
    """On demand: reconcile and sync the order's owner now, then return the order as it stands."""
    order_sync(user=order.user, force=True)
    order.refresh_from_db()
    return order


def order_settle_abandoned(*, user: User | None = None) -> int:
    """`pending` entries older than PENDING_TIMEOUT: `unresolved` if they were sent, `not_placed` if not."""
    now = timezone.now()
    abandoned = Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=now - PENDING_TIMEOUT)
    if user is not None:
        abandoned = abandoned.filter(user=user)
    sent = abandoned.filter(sent_at__isnull=False).update(
        status=OrderStatus.UNRESOLVED,
        kiwoom_message=_("Its process stopped after sending it; to be checked against Kiwoom."),
        updated_at=now,
    )
    unsent = abandoned.filter(sent_at__isnull=True).update(
        status=OrderStatus.NOT_PLACED,
        kiwoom_message=_("Its process stopped before sending it; nothing reached Kiwoom."),
        updated_at=now,
    )
    return sent + unsent


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

    def placed(self) -> list[_Placed]:
        """Every order of the day that any list shows, once each."""
        found: dict[str, _Placed] = {}
        for row in (self.details or {}).values():
            kind = {"정정": OrderKind.MODIFY, "취소": OrderKind.CANCEL}.get(row.modify_cancel_text.strip())
            found[row.order_number] = self._placed(
                row, kind or OrderKind.NEW, row.order_quantity, row.order_price
            )
        for row in [*self.open_orders.values(), *self.fills.values()]:
            if row.order_number not in found:
                kind = OrderKind.NEW if row.original_order_number is None else OrderKind.MODIFY
                found[row.order_number] = self._placed(row, kind, row.order_quantity, row.order_price)
        return list(found.values())

    def _placed(self, row: Any, kind: str, quantity: int, price: int) -> _Placed:
        return _Placed(
            number=row.order_number,
            original_number=row.original_order_number,
            kind=kind,
            stock_code=row.stock_code,
            side=str(row.side),
            quantity=quantity,
            price=price,
            trade_type_text=row.trade_type_text,
            placed_at=_kst_moment(self.day, row.time_text),
        )


def _sync_mode(user: User, credential: KiwoomCredential, orders: list[Order]) -> None:
    now = timezone.now()
    today = _kst_date(now)
    by_day: dict[date, list[Order]] = {}
    for order in orders:
        by_day.setdefault(_kst_date(order.sent_at or order.created_at), []).append(order)

    todays = by_day.pop(today, [])
    if todays:
        unresolved = [order for order in todays if order.status == OrderStatus.UNRESOLVED]
        open_orders = {row.order_number: row for row in _call(credential, lambda c, t: c.get_open_orders(t))}
        fills = {row.order_number: row for row in _call(credential, lambda c, t: c.get_fills(t))}
        # An open order in neither list has closed without a fill (cancelled, expired IOC ...): kt00007,
        # the day's complete list, says so for certain.
        vanished = any(
            _is_tracked_open(order) and order.kiwoom_order_number not in open_orders.keys() | fills.keys()
            for order in todays
        )
        details = _details(credential, today) if unresolved or vanished else None
        book = _Book(day=today, open_orders=open_orders, fills=fills, details=details)
        _reconcile(user, credential.mode, unresolved, book, now)
        _apply_seen({order.pk: _seen_today(book, order) for order in todays if _is_tracked_open(order)}, now)

    for day, earlier in sorted(by_day.items()):
        book = _Book(day=day, open_orders={}, fills={}, details=_details(credential, day))
        unresolved = [order for order in earlier if order.status == OrderStatus.UNRESOLVED]
        _reconcile(user, credential.mode, unresolved, book, now)
        _apply_seen(
            {
                order.pk: _seen_in_details(book, order, day_over=True)
                for order in earlier
                if _is_tracked_open(order)
            },
            now,
        )


def _call(credential: KiwoomCredential, operation: Callable[[kiwoom.KiwoomClient, str], Any]) -> Any:
    return kiwoom_call(credential=credential, operation=operation)


def _details(credential: KiwoomCredential, day: date) -> dict[str, kiwoom.OrderDetail]:
    rows = _call(credential, lambda client, token: client.get_order_details(token, order_date=day))
    return {row.order_number: row for row in rows}


def _is_tracked_open(order: Order) -> bool:
    return order.is_open and bool(order.kiwoom_order_number)


def _reconcile(user: User, mode: str, unresolved: list[Order], book: _Book, now: datetime) -> None:
    if not unresolved:
        return
    start = _kst_midnight(book.day)
    claimed = selectors.order_numbers_claimed(
        user=user, mode=mode, since=start, until=start + timedelta(days=1)
    )
    placed = book.placed()
    for order in sorted(unresolved, key=lambda o: (o.sent_at or o.created_at, o.pk)):
        Order.objects.filter(pk=order.pk).update(reconcile_attempts=F("reconcile_attempts") + 1)
        if selectors.order_has_fresh_attempt(
            user=user, stock_code=order.stock_code, side=order.side, since=now - PENDING_TIMEOUT
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
            _order_set(
                order,
                status=OrderStatus.NOT_PLACED,
                kiwoom_message=_("Not found among the day's orders at Kiwoom: it was not placed. (%(was)s)")
                % {"was": order.kiwoom_message},
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
    return order.sent_at - CLOCK_SKEW <= candidate.placed_at <= order.sent_at + _settle_time() + CLOCK_SKEW


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


def _settled(order: Order, now: datetime) -> bool:
    """True once Kiwoom has certainly finished with the request (it cannot still be processing it)."""
    return order.sent_at is None or now - order.sent_at > _settle_time()


def _settle_time() -> timedelta:
    return timedelta(seconds=settings.KIWOOM_CONNECT_TIMEOUT + settings.KIWOOM_READ_TIMEOUT + 5)


def _order_found(order: Order, match: _Placed) -> None:
    note = _("Found at Kiwoom by reconciliation as order %(number)s. (%(was)s)") % {
        "number": match.number,
        "was": order.kiwoom_message,
    }
    if order.kind == OrderKind.NEW:
        _order_set(order, status=OrderStatus.ACCEPTED, kiwoom_order_number=match.number, kiwoom_message=note)
    else:
        _child_accept(order, order_number=match.number, quantity=match.quantity, message=note)


@dataclass(frozen=True)
class _Seen:
    """One order as Kiwoom's lists show it; `remaining` is what is still open (0: nothing)."""

    filled: int
    average_price: int | None
    remaining: int


def _seen_today(book: _Book, order: Order) -> _Seen | None:
    """From ka10075 and ka10076, or kt00007 for an order in neither; None when no list shows it."""
    open_row = book.open_orders.get(order.kiwoom_order_number)
    fill = book.fills.get(order.kiwoom_order_number)
    if open_row is None and fill is None:
        return _seen_in_details(book, order)
    return _Seen(
        filled=fill.fill_quantity if fill else 0,
        average_price=fill.fill_price if fill and fill.fill_quantity else None,
        remaining=open_row.remaining_quantity if open_row is not None else 0,
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

    A modification or cancellation accepted meanwhile (it locks the same rows) is not overwritten, and an
    order it closed is not reopened from lists taken before it.
    """
    if not seen:
        return
    with transaction.atomic():
        orders = list(Order.objects.select_for_update().filter(pk__in=list(seen)).order_by("pk"))
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
            # Whatever is neither filled, moved to a modification nor open any more was cancelled: by us, at
            # Kiwoom's side, or by the close for an earlier day's order.
            order.cancelled_quantity = max(
                0, order.quantity - order.filled_quantity - order.modified_quantity - observation.remaining
            )
            if observation.remaining:
                order.status = OrderStatus.PARTIALLY_FILLED if order.filled_quantity else OrderStatus.ACCEPTED
            else:
                order.status = _closed_status(order)
            if (
                order.status,
                order.filled_quantity,
                order.average_fill_price,
                order.cancelled_quantity,
            ) != before:
                order.updated_at = now
        Order.objects.bulk_update(orders, _SYNCED_FIELDS)
    if orders and sum(order.filled_quantity for order in orders) != filled_before:
        balance_cache_invalidate(user_id=orders[0].user_id)  # new fills moved cash and holdings


def _sync_key(user_id: int) -> str:
    return f"brokerage:orders-synced:{user_id}"


def _sync_due(user_id: int, work: list[Order]) -> bool:
    """Unless an order changed since, a sync of the user within SYNC_INTERVAL_SECONDS is recent enough."""
    last = cache.get(_sync_key(user_id))
    return last is None or any(order.updated_at > last for order in work)


# --- Today's fills ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFill:
    """A row of today's fills (ka10076), with the ledger entry behind it when it was placed here."""

    fill: kiwoom.Fill
    order_id: int | None


def account_fills_fetch(*, user: User, mode: str = Mode.MOCK) -> list[AccountFill]:
    credential = selectors.credential_get_connected(user=user, mode=mode)
    fills = _call(credential, lambda client, token: client.get_fills(token))
    ids = selectors.order_ids_by_number(
        user=user,
        mode=mode,
        numbers={fill.order_number for fill in fills},
        since=_kst_midnight(_kst_date(timezone.now())),
    )
    return [AccountFill(fill=fill, order_id=ids.get(fill.order_number)) for fill in fills]


# --- Korea time ---------------------------------------------------------------------------------------------


def _kst_date(moment: datetime) -> date:
    return moment.astimezone(KST).date()


def _kst_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=KST)


def _kst_moment(day: date, text: str) -> datetime | None:
    """Kiwoom's time of day (`HHmmss` or `HH:mm:ss`, Korea time) on `day`; None when unreadable."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) != 6:
        return None
    try:
        return datetime.combine(day, time(int(digits[:2]), int(digits[2:4]), int(digits[4:])), tzinfo=KST)
    except ValueError:
        return None
