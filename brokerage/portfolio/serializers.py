"""A balance and its holdings, as the prototype reads them."""

from __future__ import annotations

from rest_framework import serializers


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
