"""Query parameters of the order list, validated like any other input."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from brokerage import kiwoom
from brokerage.connections.models import Mode
from brokerage.orders.models import OrderKind, OrderSide, OrderStatus


class OrderFilterSerializer(serializers.Serializer):
    """`GET /api/v1/kiwoom/orders?status=filled&side=buy&stock_code=005930&date_from=2025-07-01` ..."""

    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    side = serializers.ChoiceField(choices=OrderSide.choices, required=False)
    stock_code = serializers.RegexField(
        rf"^{kiwoom.STOCK_CODE_PATTERN}$",
        required=False,
        error_messages={"invalid": _("A stock code is six characters, such as 005930.")},
    )
    mode = serializers.ChoiceField(choices=Mode.choices, required=False)
    kind = serializers.ChoiceField(choices=OrderKind.choices, required=False)
    date_from = serializers.DateField(required=False, help_text=_("First day (Korea time), YYYY-MM-DD."))
    date_to = serializers.DateField(required=False, help_text=_("Last day (Korea time), YYYY-MM-DD."))

    def to_internal_value(self, data):
        # An empty value (`?status=`) is refused like any other invalid one, never silently ignored.
        empty = [name for name in self.fields if name in data and data.get(name) == ""]
        if empty:
            raise serializers.ValidationError(
                {name: [_("Leave the filter out, or give it a value.")] for name in empty}
            )
        return super().to_internal_value(data)

    def validate(self, attrs):
        if "date_from" in attrs and "date_to" in attrs and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": _("The last day comes before the first day.")})
        return attrs
