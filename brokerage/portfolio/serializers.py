"""A balance and its holdings, as the prototype reads them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from rest_framework import serializers

from brokerage.portfolio.services import holding_day_change, holding_today_pnl


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
    today_pnl = serializers.IntegerField(help_text="Σ of the holdings' today_pnl (an estimate, see below).")
    today_pnl_estimated = serializers.SerializerMethodField(
        help_text="Always true: `today_pnl` (here and per holding) is the day change × the shares held now. "
        "kt00018 does not say which shares were bought today nor at what price, and the balance cannot see "
        "the order ledger, so shares bought today count from the previous close and today's sales are not "
        "in it. Realized P&L of today's sales is in history/realized and history/journal."
    )

    def get_today_pnl_estimated(self, summary) -> bool:
        return True


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
    previous_close = serializers.IntegerField(help_text="전일종가.")
    day_change = serializers.SerializerMethodField(help_text="전일대비: current price − previous close.")
    day_change_rate = serializers.SerializerMethodField(help_text="Day change / previous close, percent.")
    today_pnl = serializers.SerializerMethodField(
        help_text="Estimated: day change × quantity, KRW (shares bought today count from the previous close)."
    )

    def get_day_change(self, holding) -> int:
        return holding_day_change(holding=holding)

    def get_day_change_rate(self, holding) -> str:
        if not holding.previous_close:
            return "0.00"
        rate = Decimal(holding_day_change(holding=holding) * 100) / holding.previous_close
        return str(rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    def get_today_pnl(self, holding) -> int:
        return holding_today_pnl(holding=holding)


class AccountBalanceSerializer(serializers.Serializer):
    summary = AccountSummarySerializer()
    holdings = HoldingSerializer(many=True)
    fetched_at = serializers.DateTimeField()
