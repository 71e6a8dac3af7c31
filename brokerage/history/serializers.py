"""The history API's inputs (query parameters) and answers."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from brokerage import kiwoom
from brokerage.history.selectors import RANGES
from brokerage.kiwoom.parsing import KST
from brokerage.orders.models import OrderSide
from brokerage.orders.serializers import OrderSerializer


class Rate(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=4, coerce_to_string=True, **kwargs)


class _StrictQuery(serializers.Serializer):
    def to_internal_value(self, data):
        # An empty value (`?side=`) is refused like any other invalid one, never silently ignored.
        empty = [name for name in self.fields if name in data and data.get(name) == ""]
        if empty:
            raise serializers.ValidationError(
                {name: [_("Leave the filter out, or give it a value.")] for name in empty}
            )
        return super().to_internal_value(data)


class PeriodQuerySerializer(_StrictQuery):
    """`?start=2026-11-01&end=2026-11-30` (Korea-time days, both included; default: the last 30 days)."""

    start = serializers.DateField(required=False, help_text=_("First day (Korea time), YYYY-MM-DD."))
    end = serializers.DateField(required=False, help_text=_("Last day (Korea time), YYYY-MM-DD."))

    def validate(self, attrs):
        today = timezone.now().astimezone(KST).date()
        attrs.setdefault("end", today)
        attrs.setdefault("start", attrs["end"] - timedelta(days=30))
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": [_("The last day comes before the first day.")]})
        return attrs


class RealizedQuerySerializer(PeriodQuerySerializer):
    costs = serializers.ChoiceField(
        choices=[("after", _("after costs")), ("before", _("before costs"))],
        default="after",
        help_text=_("P&L after commission and tax (the default) or before."),
    )
    source = serializers.ChoiceField(
        choices=[("auto", _("Kiwoom where the mode answers, else the ledger")), ("ledger", _("the ledger"))],
        default="auto",
    )


class LedgerQuerySerializer(PeriodQuerySerializer):
    stock_code = serializers.RegexField(
        rf"^{kiwoom.STOCK_CODE_PATTERN}\Z",
        required=False,
        error_messages={"invalid": _("A stock code is six characters, such as 005930.")},
    )
    side = serializers.ChoiceField(choices=OrderSide.choices, required=False)


class EquityQuerySerializer(_StrictQuery):
    range = serializers.ChoiceField(choices=list(RANGES), default="1M")


class EquityPointSerializer(serializers.Serializer):
    time = serializers.CharField(
        help_text=_("A day (YYYY-MM-DD), or a moment (ISO 8601, Korea time) for 1D.")
    )
    estimated_assets = serializers.IntegerField()
    deposit = serializers.IntegerField()
    holdings_value = serializers.IntegerField()
    net_flow = serializers.IntegerField(
        help_text=_(
            "Deposits (+) and withdrawals (−) detected since the previous point; not counted as return."
        )
    )
    cumulative_return = Rate(help_text=_("Time-weighted return since the first point, percent."))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["time"] = (
            instance.time.astimezone(KST).isoformat()
            if hasattr(instance.time, "hour")
            else str(instance.time)
        )
        return data


class BenchmarkPointSerializer(serializers.Serializer):
    time = serializers.DateField()
    close = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    cumulative_return = Rate()


class EquitySerializer(serializers.Serializer):
    range = serializers.CharField()
    points = EquityPointSerializer(many=True)
    benchmarks = serializers.DictField(
        child=BenchmarkPointSerializer(many=True), help_text=_("KOSPI and KOSDAQ over the same days.")
    )
    gaps = serializers.ListField(
        child=serializers.DateField(), help_text=_("Trading days without a snapshot.")
    )


class _PnlAsCostsAsk(serializers.Serializer):
    """`pnl`: the gross or the net figure, as the request's `costs` asks."""

    def get_pnl(self, row) -> int:
        return row.gross_pnl if self.context.get("costs") == "before" else row.net_pnl


class RealizedTradeSerializer(_PnlAsCostsAsk):
    day = serializers.DateField()
    time = serializers.DateTimeField(allow_null=True)
    stock_code = serializers.CharField()
    stock_name = serializers.CharField()
    quantity = serializers.IntegerField()
    sell_price = serializers.IntegerField()
    average_cost = serializers.DecimalField(max_digits=16, decimal_places=2, coerce_to_string=True)
    gross_pnl = serializers.IntegerField(help_text=_("(sell price − average cost) × quantity."))
    commission = serializers.IntegerField()
    tax = serializers.IntegerField()
    net_pnl = serializers.IntegerField(help_text=_("gross_pnl − commission − tax."))
    pnl = serializers.SerializerMethodField(help_text=_("net_pnl or gross_pnl, as `costs` asks."))
    source = serializers.ChoiceField(choices=["kiwoom", "ledger"])
    order_id = serializers.IntegerField(allow_null=True)
    cost_known = serializers.BooleanField(
        help_text=_("False when the shares' cost was unknown (bought outside StockLab before any snapshot).")
    )


class RealizedTotalsSerializer(_PnlAsCostsAsk):
    quantity = serializers.IntegerField()
    sell_amount = serializers.IntegerField()
    gross_pnl = serializers.IntegerField()
    commission = serializers.IntegerField()
    tax = serializers.IntegerField()
    net_pnl = serializers.IntegerField()
    pnl = serializers.SerializerMethodField()


class RealizedSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    costs = serializers.CharField()
    source = serializers.ChoiceField(choices=["kiwoom", "ledger"])
    totals = RealizedTotalsSerializer()
    trades = RealizedTradeSerializer(many=True)


class JournalDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    trades = serializers.IntegerField()
    buy_quantity = serializers.IntegerField()
    buy_amount = serializers.IntegerField()
    sell_quantity = serializers.IntegerField()
    sell_amount = serializers.IntegerField()
    realized_pnl = serializers.IntegerField(help_text=_("After commission and tax."))
    realized_pnl_before_costs = serializers.IntegerField()
    commission = serializers.IntegerField(help_text=_("Paid that day, on buys and sales."))
    tax = serializers.IntegerField()


class JournalSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    source = serializers.CharField()
    days = JournalDaySerializer(many=True)


class HistoryOrderSerializer(OrderSerializer):
    """A ledger entry, as the order list shows it."""


class HistoryFillSerializer(serializers.Serializer):
    """One ledger entry's fills taken together, with the commission and tax at the mode's rates."""

    order_id = serializers.IntegerField(source="id")
    order_number = serializers.CharField(source="kiwoom_order_number")
    last_filled_at = serializers.DateTimeField(
        source="updated_at",
        help_text="When the ledger last recorded a change of the order: for a filled one its latest fill "
        "(the ledger keeps no time per fill).",
    )
    stock_code = serializers.CharField()
    stock_name = serializers.CharField()
    side = serializers.ChoiceField(choices=OrderSide.choices)
    quantity = serializers.IntegerField(source="filled_quantity")
    price = serializers.IntegerField(source="average_fill_price")
    amount = serializers.IntegerField()
    commission = serializers.IntegerField()
    tax = serializers.IntegerField()


class CostRatesSerializer(serializers.Serializer):
    mode = serializers.CharField()
    commission_rate = serializers.DecimalField(max_digits=10, decimal_places=6, coerce_to_string=True)
    sell_tax_rate = serializers.DecimalField(max_digits=10, decimal_places=6, coerce_to_string=True)
    commission_rounding = serializers.CharField(default="floor to 10 won per order")
    tax_rounding = serializers.CharField(default="floor to 1 won")


class CostsSerializer(serializers.Serializer):
    rates = CostRatesSerializer(many=True)
    note = serializers.CharField()
