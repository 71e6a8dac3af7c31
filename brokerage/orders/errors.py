"""Errors of the order ledger: idempotency keys, changes of an order, the guardrails' refusals."""

from __future__ import annotations

from typing import Any

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


class RecordedFailure(ApplicationError):
    """The error a request was answered with, as recorded on its ledger entry, for a repeat of its key.

    Its code and kind are the original's, so a repeat is answered exactly as the first request was."""

    def __init__(self, *, code: str, kind: str, detail: str, extra: dict[str, Any]) -> None:
        super().__init__(detail, extra=extra)
        self.code = code
        self.kind = ErrorKind(kind)


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


# --- The guardrails' refusals (brokerage.orders.guardrails) ----------------------------------------------


class OrderRuleViolation(ApplicationError):
    """An order that is well formed but breaks a trading rule; nothing was sent to Kiwoom."""

    kind = ErrorKind.REFUSED


class OrderPriceOffTick(OrderRuleViolation):
    code = "order_price_off_tick"
    default_detail = _("The price is not on the KRX price grid.")


class OrderPriceOutOfBand(OrderRuleViolation):
    code = "order_price_out_of_band"
    default_detail = _("The price is outside today's price limits.")


class OrderExchangeNotSupported(OrderRuleViolation):
    code = "order_exchange_not_supported"
    default_detail = _("Mock trading takes orders for KRX only.")


class OrderTypeNotSupported(OrderRuleViolation):
    code = "order_type_not_supported"
    default_detail = _("This order type is not supported.")


class OrderQuantityOverLimit(OrderRuleViolation):
    code = "order_quantity_over_limit"
    default_detail = _("The quantity is over your limit per order.")


class OrderValueOverLimit(OrderRuleViolation):
    code = "order_value_over_limit"
    default_detail = _("The order's value is over your limit per order.")


class OrderConfirmationRequired(OrderRuleViolation):
    code = "order_confirmation_required"
    default_detail = _('A real-money order must be confirmed: send "confirm": true.')


class MarketClosed(ApplicationError):
    code = "market_closed"
    kind = ErrorKind.CONFLICT
    default_detail = _("The market is closed.")


class RealTradingNotEnabled(ApplicationError):
    code = "real_trading_not_enabled"
    kind = ErrorKind.FORBIDDEN
    default_detail = _("Real trading is not enabled for your account. An operator can enable it.")
