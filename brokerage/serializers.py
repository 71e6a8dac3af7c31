import re
from datetime import UTC

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import kiwoom
from .errors import explain
from .kiwoom.parsing import KST
from .models import KiwoomCredential, Mode, OrderKind, OrderSide, OrderStatus, RefreshOutcome
from .models.credentials import key_fingerprint_suffix
from .models.orders import Exchange

MAX_ORDER_QUANTITY = 10**9
MAX_PRICE = 10**10


class WholeNumberField(serializers.IntegerField):
    """A whole number given as a JSON integer or as a string of digits ("1", as the prototype sends)."""

    default_error_messages = {"invalid": _('Enter a whole number, such as 10 or "10".')}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and re.fullmatch(r"\s*[0-9]{1,15}\s*", data))
        ):
            self.fail("invalid")
        return super().to_internal_value(int(data))


class CredentialInputSerializer(serializers.Serializer):
    app_key = serializers.CharField(max_length=256, trim_whitespace=True)
    app_secret = serializers.CharField(max_length=256, trim_whitespace=True, style={"input_type": "password"})
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.MOCK)


class CredentialErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(help_text=_("Kiwoom's own message."))
    explanation = serializers.CharField(help_text=_("What the error means, in plain words."))
    at = serializers.DateTimeField(default_timezone=UTC, help_text=_("UTC."))


class CredentialStatusSerializer(serializers.Serializer):
    """What a user may know of their connection: never the secret, the token or the full app key."""

    connected = serializers.BooleanField()
    mode = serializers.ChoiceField(choices=Mode.choices)
    status = serializers.CharField(allow_null=True)
    app_key_masked = serializers.CharField(allow_null=True)
    key_fingerprint_suffix = serializers.CharField(allow_null=True)
    token_expires_at = serializers.DateTimeField(allow_null=True, default_timezone=UTC, help_text=_("UTC."))
    token_expires_at_kst = serializers.DateTimeField(
        allow_null=True, default_timezone=KST, help_text=_("Korea time.")
    )
    # Every time here is UTC (with a Korea-time twin for the expiry), as one client reads them all alike.
    last_refreshed_at = serializers.DateTimeField(allow_null=True, default_timezone=UTC, help_text=_("UTC."))
    next_refresh_at = serializers.DateTimeField(
        allow_null=True, default_timezone=UTC, help_text=_("Next scheduled token renewal (UTC).")
    )
    last_refresh_outcome = serializers.ChoiceField(
        choices=RefreshOutcome.choices, allow_blank=True, allow_null=True
    )
    last_error = CredentialErrorSerializer(allow_null=True)

    @classmethod
    def for_credential(cls, credential: KiwoomCredential | None, *, mode: str = Mode.MOCK) -> dict:
        if credential is None:
            data = dict.fromkeys(cls._declared_fields)
            return cls({**data, "connected": False, "mode": mode}).data
        expires = credential.token_expires_at
        last_error = None
        if credential.last_error_code:
            last_error = {
                "code": credential.last_error_code,
                "message": credential.last_error_message,
                "explanation": explain(credential.last_error_code),
                "at": credential.last_error_at,
            }
        return cls(
            {
                "connected": True,
                "mode": credential.mode,
                "status": credential.status,
                "app_key_masked": credential.masked_app_key,
                "key_fingerprint_suffix": key_fingerprint_suffix(credential.key_fingerprint),
                "token_expires_at": expires,
                "token_expires_at_kst": expires,
                "last_refreshed_at": credential.last_refreshed_at,
                "next_refresh_at": credential.next_refresh_at,
                # null until the first renewal, as when not connected
                "last_refresh_outcome": credential.last_refresh_outcome or None,
                "last_error": last_error,
            }
        ).data


class Rate(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, coerce_to_string=True, **kwargs)


class AccountSummarySerializer(serializers.Serializer):
    total_purchase = serializers.IntegerField()
    total_evaluation = serializers.IntegerField()
    total_profit_loss = serializers.IntegerField()
    total_return_rate = Rate()
    estimated_deposit_asset = serializers.IntegerField()
    deposit = serializers.IntegerField()
    orderable_amount = serializers.IntegerField()


class HoldingSerializer(serializers.Serializer):
    stock_code = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    tradable_quantity = serializers.IntegerField()
    average_price = serializers.IntegerField()
    current_price = serializers.IntegerField()
    purchase_amount = serializers.IntegerField()
    evaluation_amount = serializers.IntegerField()
    profit_loss = serializers.IntegerField()
    return_rate = Rate()
    weight = Rate()


class AccountBalanceSerializer(serializers.Serializer):
    summary = AccountSummarySerializer()
    holdings = HoldingSerializer(many=True)
    fetched_at = serializers.DateTimeField()


TRADE_TYPE_CHOICES = [(t.value, t.label) for t in kiwoom.TradeType]


class OrderInputSerializer(serializers.Serializer):
    stock_code = serializers.RegexField(
        r"^[0-9]{6}$", error_messages={"invalid": _("A stock code is six digits, such as 005930.")}
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
        max_value=MAX_PRICE,
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


class OrderModifyInputSerializer(serializers.Serializer):
    price = WholeNumberField(min_value=1, max_value=MAX_PRICE, help_text=_("The new price, KRW per share."))
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
