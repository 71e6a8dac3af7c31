"""Errors of the order ledger: idempotency keys, changes of an order, and the guardrails' refusals."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from stocklab.errors import ApplicationError, ErrorKind


class OrderPlacedWithOtherKeys(ApplicationError):
    """A change of an order placed with Kiwoom keys the user has since replaced: through the new keys it would
    reach another account, where the same order number can name another order."""

    code = "order_placed_with_other_keys"
    kind = ErrorKind.CONFLICT
    default_detail = _(
        "This order was placed with Kiwoom keys you have since replaced, so StockLab cannot change it. "
        "Change it in Kiwoom's own app, or connect those keys again."
    )


class OrderChangeUnresolved(ApplicationError):
    """A modification or cancellation while an earlier one of the same order has no known outcome: another
    could change the order twice, so nothing is resent after an ambiguous failure."""

    code = "order_change_unresolved"
    kind = ErrorKind.CONFLICT
    default_detail = _(
        "An earlier change of this order is not confirmed by Kiwoom yet: it may have reached Kiwoom and is "
        "being checked against Kiwoom's orders. This change was not sent; try again once the earlier one is "
        "settled."
    )


class IdempotencyKeyInvalid(ApplicationError):
    code = "idempotency_key_invalid"
    kind = ErrorKind.INVALID
    default_detail = _(
        "The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID."
    )


class IdempotencyKeyInFlight(ApplicationError):
    code = "idempotency_key_in_flight"
    kind = ErrorKind.CONFLICT
    default_detail = _(
        "A request with this Idempotency-Key is still being processed. Wait for its answer, then repeat it "
        "to get the same answer."
    )


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    kind = ErrorKind.REFUSED
    default_detail = _(
        "This Idempotency-Key was already used for a different request. Use a new key for a new request."
    )


class OrderNotOpen(ApplicationError):
    code = "order_not_open"
    kind = ErrorKind.CONFLICT
    default_detail = _("The order is no longer open at Kiwoom.")


class OrderNotModifiable(ApplicationError):
    code = "order_not_modifiable"
    kind = ErrorKind.CONFLICT
    default_detail = _(
        "Only orders with a price (limit types) can be modified; cancel this one and place a new order."
    )


class OrderQuantityOverRemainder(ApplicationError):
    code = "order_quantity_over_remainder"
    kind = ErrorKind.REFUSED
    default_detail = _("The quantity is more than the order has left open.")


class OrderModifyUnchanged(ApplicationError):
    code = "order_modify_unchanged"
    kind = ErrorKind.REFUSED
    default_detail = _("That is the order's price already: a modification would change nothing.")

    def __init__(self) -> None:
        super().__init__(extra={"errors": {"price": [str(self.default_detail)]}})
