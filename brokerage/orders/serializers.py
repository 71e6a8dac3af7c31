"""Order input, ledger entries and today's fills."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from brokerage import kiwoom
from brokerage.connections.models import Mode, key_fingerprint_suffix
from brokerage.orders.models import Exchange, OrderKind, OrderSide, OrderStatus

MAX_ORDER_QUANTITY = 10**9


class WholeNumberField(serializers.IntegerField):
    """A whole number given as a JSON integer or as a string of digits ("1", as the prototype sends)."""

    default_error_messages = {"invalid": _('Enter a whole number, such as 10 or "10".')}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and re.fullmatch(r"\s*[0-9]{1,15}\s*", data))
        ):
            self.fail("invalid")
        return super().to_internal_value(int(data))


TRADE_TYPE_CHOICES = [(t.value, t.label) for t in kiwoom.TradeType]


class StrictRegexField(serializers.RegexField):
    """A string matching the pattern; a number is refused rather than read as its digits."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class OrderInputSerializer(serializers.Serializer):
    stock_code = StrictRegexField(
        rf"^{kiwoom.STOCK_CODE_PATTERN}$",
        error_messages={"invalid": _("A stock code is six characters, such as 005930.")},
    )
    quantity = WholeNumberField(min_value=1, max_value=MAX_ORDER_QUANTITY)
    trade_type = serializers.ChoiceField(
        choices=TRADE_TYPE_CHOICES,
        default=kiwoom.TradeType.MARKET.value,
        initial=kiwoom.TradeType.MARKET.value,  # what the browsable API's form shows, as when omitted
        help_text=_("Kiwoom's 매매구분 code: 0 limit, 3 market, ... Market (3) when omitted."),
    )
    price = WholeNumberField(
        min_value=1,
        max_value=kiwoom.MAX_PRICE,
        required=False,
        allow_null=True,
        help_text=_(
            "KRW per share; required exactly for the types that take a price (0, 5, 10, 20, 28, 62)."
        ),
    )
    exchange = serializers.ChoiceField(
        choices=Exchange.choices,
        default=Exchange.KRX,
        help_text=_("Where the order goes (dmst_stex_tp); mock trading takes KRX only."),
    )
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.MOCK)
    confirm = serializers.BooleanField(
        default=False, help_text=_("Must be true for a real-money order (mode `real`).")
    )

    def validate(self, attrs):
        trade_type = kiwoom.TradeType(attrs["trade_type"])
        price = attrs.get("price")
        if trade_type.requires_price and price is None:
            raise serializers.ValidationError({"price": _("This order type needs a price.")})
        if not trade_type.requires_price and price is not None:
            raise serializers.ValidationError({"price": _("This order type takes no price; leave it out.")})
        attrs["price"] = price
        return attrs


_PRICED_TYPES = [t.value for t in kiwoom.TradeType if t.requires_price and t != kiwoom.TradeType.STOP_LIMIT]
_UNPRICED_TYPES = [t.value for t in kiwoom.TradeType if not t.requires_price]
_MID_PRICE_TYPES = {
    kiwoom.TradeType.MID_PRICE,
    kiwoom.TradeType.MID_PRICE_IOC,
    kiwoom.TradeType.MID_PRICE_FOK,
}


def _site_limits(schema: dict) -> dict:
    """The request's limits as the site enforces them for a user without limits of their own: at most
    ORDER_MAX_QUANTITY shares, and no price over ORDER_MAX_VALUE (a single share's worth)."""
    properties = schema.get("properties", {})
    if "quantity" in properties:
        properties["quantity"]["maximum"] = settings.ORDER_MAX_QUANTITY
    if "price" in properties:
        properties["price"]["maximum"] = min(kiwoom.MAX_PRICE, settings.ORDER_MAX_VALUE)
    return schema


class OrderInputSchema(OpenApiSerializerExtension):
    """An order as the server takes it: a price exactly for the types that take one, and on mock only KRX and
    the types mock trades (never stop-limit, which needs a stop price StockLab does not take)."""

    target_class = OrderInputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = _site_limits(auto_schema._map_basic_serializer(self.target, direction))
        if direction != "request":
            return schema

        # Each branch's enums sit inside an allOf: the enum post-processing hook would otherwise fold them
        # into one shared component per property name, and each branch's own values would be lost.
        def only(*values):
            return {"allOf": [{"enum": list(values)}]}

        mock = {"mode": only(Mode.MOCK.value), "exchange": only("KRX")}
        real = {"mode": only(Mode.REAL.value), "confirm": only(True)}
        priced = {"trade_type": only(*_PRICED_TYPES), "price": {"type": "integer"}}
        on_mock = [t for t in _UNPRICED_TYPES if t not in _MID_PRICE_TYPES]
        unpriced = {"price": {"not": {"type": "integer"}}}  # absent, or null
        schema["oneOf"] = [
            {"properties": {**mock, **priced}, "required": ["trade_type", "price"]},
            {"properties": {**mock, **unpriced, "trade_type": only(*on_mock)}},
            {"properties": {**real, **priced}, "required": ["mode", "confirm", "trade_type", "price"]},
            {
                "properties": {**real, **unpriced, "trade_type": only(*_UNPRICED_TYPES)},
                "required": ["mode", "confirm"],
            },
        ]
        schema["description"] = (
            "A price exactly for the trade types that take one (0, 5, 10, 20, 62); none (or null) for the "
            "others, market (3) when omitted. Mock trading takes exchange KRX only and no mid-price types "
            "(29, 30, 31); stop-limit (28) is refused. A real-money order needs `confirm: true`. The limits "
            "are the site's (ORDER_MAX_QUANTITY shares; a price up to ORDER_MAX_VALUE); an operator may set "
            "a user's own, and an order worth more than the value limit is refused (422)."
        )
        return schema


class OrderModifyInputSerializer(serializers.Serializer):
    price = WholeNumberField(
        min_value=1, max_value=kiwoom.MAX_PRICE, help_text=_("The new price, KRW per share.")
    )
    quantity = WholeNumberField(
        min_value=1,
        max_value=MAX_ORDER_QUANTITY,
        required=False,
        allow_null=True,
        help_text=_("Shares to move to the new price; the whole open remainder when omitted."),
    )
    confirm = serializers.BooleanField(
        default=False, help_text=_("Must be true to modify a real-money order.")
    )


class OrderCancelInputSerializer(serializers.Serializer):
    quantity = WholeNumberField(
        min_value=1,
        max_value=MAX_ORDER_QUANTITY,
        required=False,
        allow_null=True,
        help_text=_("Shares to cancel; the whole open remainder when omitted."),
    )


# Declared field by field rather than as a ModelSerializer: it renders every order answer, and building the
# fields from the model on each use cost more than all the rest of the rendering.
class OrderSerializer(serializers.Serializer):
    """A ledger entry: an order, or a modification or cancellation of one (`kind`, with its `parent`)."""

    def get_key_fingerprint_suffix(self, order) -> str:
        return key_fingerprint_suffix(order.key_fingerprint)

    id = serializers.IntegerField()
    order_number = serializers.CharField(
        source="kiwoom_order_number", help_text=_("Kiwoom's order number; empty until Kiwoom accepted it.")
    )
    side = serializers.ChoiceField(choices=OrderSide.choices)
    stock_code = serializers.CharField()
    stock_name = serializers.CharField()
    quantity = serializers.IntegerField()
    trade_type = serializers.CharField(help_text=_("Kiwoom's 매매구분 code."))
    price = serializers.IntegerField(allow_null=True, help_text=_("KRW per share; null for market types."))
    status = serializers.ChoiceField(
        choices=OrderStatus.choices,
        help_text=_(
            "pending, accepted, rejected, unresolved (sent, outcome unknown: being reconciled), "
            "not_placed, partially_filled, filled, cancelled or modified."
        ),
    )
    filled_quantity = serializers.IntegerField()
    kiwoom_code = serializers.CharField(help_text=_("Kiwoom's code of a rejection or failure, e.g. RC4003."))
    kiwoom_message = serializers.CharField(
        source="message", help_text=_("Kiwoom's message, or what became of the attempt.")
    )
    ordered_at = serializers.DateTimeField(source="created_at")
    updated_at = serializers.DateTimeField()
    mode = serializers.ChoiceField(choices=Mode.choices)
    kind = serializers.ChoiceField(choices=OrderKind.choices)
    parent = serializers.IntegerField(
        source="parent_id",
        allow_null=True,
        help_text=_("For a modification or cancellation: the order it acts on."),
    )
    exchange = serializers.ChoiceField(choices=Exchange.choices)
    key_fingerprint_suffix = serializers.SerializerMethodField(
        help_text=_(
            "The end of the fingerprint of the keys that placed it, as in the credential status: only those "
            "keys can change it."
        )
    )
    remaining_quantity = serializers.IntegerField(
        help_text=_("Shares still open at Kiwoom, as of the last sync.")
    )
    average_fill_price = serializers.IntegerField(allow_null=True)
    cancelled_quantity = serializers.IntegerField()
    modified_quantity = serializers.IntegerField()
    sent_at = serializers.DateTimeField(allow_null=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)
    request_id = serializers.UUIDField(help_text=_("StockLab's id of the attempt, for support."))


class OrderFillSerializer(serializers.Serializer):
    """One of today's fills at Kiwoom (ka10076), one row per order."""

    order_id = serializers.IntegerField(
        allow_null=True, help_text=_("The ledger entry, when the order was placed through StockLab.")
    )
    order_number = serializers.CharField(source="fill.order_number")
    original_order_number = serializers.CharField(source="fill.original_order_number", allow_null=True)
    stock_code = serializers.CharField(source="fill.stock_code")
    stock_name = serializers.CharField(source="fill.name")
    side = serializers.CharField(source="fill.side")
    order_quantity = serializers.IntegerField(source="fill.order_quantity")
    order_price = serializers.IntegerField(source="fill.order_price")
    filled_quantity = serializers.IntegerField(source="fill.fill_quantity")
    fill_price = serializers.IntegerField(source="fill.fill_price")
    remaining_quantity = serializers.IntegerField(source="fill.remaining_quantity")
    fee = serializers.IntegerField(source="fill.fee")
    tax = serializers.IntegerField(source="fill.tax")
    order_time = serializers.CharField(source="fill.time_text", help_text=_("HHmmss, Korea time."))


class AccountFillsSerializer(serializers.Serializer):
    fills = OrderFillSerializer(many=True)
    fetched_at = serializers.DateTimeField()


class OrderChangeInputSchema(OpenApiSerializerExtension):
    """A modification's or cancellation's limits, as the site enforces them."""

    target_class = OrderModifyInputSerializer

    def map_serializer(self, auto_schema, direction):
        return _site_limits(auto_schema._map_basic_serializer(self.target, direction))


class OrderCancelInputSchema(OrderChangeInputSchema):
    target_class = OrderCancelInputSerializer
