"""Market data as the API shows it."""

from __future__ import annotations

from rest_framework import serializers


class TickBandSerializer(serializers.Serializer):
    from_price = serializers.IntegerField(help_text="The band's lowest price (KRW), inclusive.")
    to_price = serializers.IntegerField(
        allow_null=True, help_text="Where the band ends (KRW), exclusive; null for the top band."
    )
    tick = serializers.IntegerField(help_text="The price step (KRW): a limit price is a multiple of it.")


class TickGridSerializer(serializers.Serializer):
    bands = TickBandSerializer(many=True, help_text="Lowest band first.")


class StockQuoteSerializer(serializers.Serializer):
    stock_code = serializers.CharField()
    name = serializers.CharField()
    current_price = serializers.IntegerField(help_text="KRW.")
    base_price = serializers.IntegerField(help_text="Yesterday's close, today's reference (KRW).")
    upper_limit = serializers.IntegerField(help_text="Today's highest allowed price (KRW).")
    lower_limit = serializers.IntegerField(help_text="Today's lowest allowed price (KRW).")
