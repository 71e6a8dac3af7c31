"""Orders: written to the ledger first, sent to Kiwoom once."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .. import kiwoom, selectors
from ..errors import KiwoomApiError, KiwoomUnavailable
from ..models import Mode, Order, OrderStatus
from .tokens import kiwoom_call


def order_place(
    *,
    user: User,
    side: str,
    stock_code: str,
    quantity: int,
    trade_type: str,
    price: int | None = None,
    mode: str = Mode.MOCK,
) -> Order:
    """Write the order to the ledger, then send it to Kiwoom once; never resend after an ambiguous failure."""
    credential = selectors.credential_get_connected(user=user, mode=mode)
    order = Order.objects.create(
        user=user,
        credential=credential,
        mode=mode,
        side=side,
        stock_code=stock_code,
        quantity=quantity,
        trade_type=trade_type,
        price=price,
    )
    order.sent_at = timezone.now()
    order.save(update_fields=["sent_at", "updated_at"])
    try:
        ack = kiwoom_call(
            credential=credential,
            operation=lambda client, token: client.place_order(
                token,
                side=kiwoom.OrderSide(side),
                stock_code=stock_code,
                quantity=quantity,
                trade_type=trade_type,
                price=price,
            ),
        )
    except KiwoomApiError as exc:
        _order_record_failure(order=order, error=exc)
        raise
    order.status = OrderStatus.ACCEPTED
    order.kiwoom_order_number = ack.order_number
    order.kiwoom_message = ack.message
    order.save(update_fields=["status", "kiwoom_order_number", "kiwoom_message", "updated_at"])
    return order


def _order_record_failure(*, order: Order, error: KiwoomApiError) -> None:
    source = error.kiwoom_error
    if isinstance(error, KiwoomUnavailable):
        maybe_sent = getattr(source, "request_sent", True)
        order.status = OrderStatus.UNRESOLVED if maybe_sent else OrderStatus.NOT_PLACED
    else:
        order.status = OrderStatus.REJECTED
    order.kiwoom_code = (source.code or "") if source else ""
    order.kiwoom_message = source.message if source else str(error.detail)
    order.save(update_fields=["status", "kiwoom_code", "kiwoom_message", "updated_at"])
    if order.status == OrderStatus.UNRESOLVED:
        error.detail = _(
            "Kiwoom did not confirm the order; it may or may not have been placed. "
            "It is marked unresolved and will be checked against Kiwoom, not sent again."
        )
