"""Market data as the API shows it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from brokerage import kiwoom
from brokerage.market.models import Market, warning_labels
from brokerage.market.search import SEARCH_LIMIT_MAX
from brokerage.market.services import ChartRange, Interval


class TickBandSerializer(serializers.Serializer):
    from_price = serializers.IntegerField(help_text="The band's lowest price (KRW), inclusive.")
    to_price = serializers.IntegerField(
        allow_null=True, help_text="Where the band ends (KRW), exclusive; null for the top band."
    )
    tick = serializers.IntegerField(help_text="The price step (KRW): a limit price is a multiple of it.")


class TickGridSerializer(serializers.Serializer):
    bands = TickBandSerializer(many=True, help_text="Lowest band first.")


class StockQuoteSerializer(serializers.Serializer):
    """ka10001's few fields the order path uses, with the master's (`stock_get`)."""

    stock_code = serializers.CharField()
    name = serializers.CharField()
    current_price = serializers.IntegerField(help_text="KRW.")
    base_price = serializers.IntegerField(help_text="Yesterday's close, today's reference (KRW).")
    upper_limit = serializers.IntegerField(help_text="Today's highest allowed price (KRW).")
    lower_limit = serializers.IntegerField(help_text="Today's lowest allowed price (KRW).")


class Rate(serializers.DecimalField):
    """A percentage with two decimals, as a string ("-1.25"), as the balance shows its rates."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, coerce_to_string=True, **kwargs)


WARNINGS_HELP = (
    "What matters before an order, in the Korean terms traders know: 관리종목, 투자주의, 투자경고, 투자위험, "
    "거래정지, 정리매매, 단기과열, ETF투자주의. Empty when none."
)
WARNING_CODES_HELP = (
    "The same as stable codes: managed, caution, warning, danger, halted, liquidation, overheated, "
    "etf_caution."
)


class WarningsMixin(serializers.Serializer):
    warnings = serializers.SerializerMethodField(help_text=WARNINGS_HELP)
    warning_codes = serializers.SerializerMethodField(help_text=WARNING_CODES_HELP)

    def get_warnings(self, obj) -> list[str]:
        return warning_labels(self._codes(obj))

    def get_warning_codes(self, obj) -> list[str]:
        return list(self._codes(obj))

    def _codes(self, obj) -> list[str]:
        return list(obj.warnings if not isinstance(obj, dict) else obj.get("warnings") or [])


# --- Search ---------------------------------------------------------------------------------------------


class StockSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=40,
        allow_blank=True,
        trim_whitespace=True,
        help_text="A code or its start (0059), any part of the name (삼성), 초성 (ㅅㅅㅈㅈ) or mixed (삼ㅅ).",
    )
    limit = serializers.IntegerField(min_value=1, max_value=SEARCH_LIMIT_MAX, default=20)


class StockSearchResultSerializer(WarningsMixin):
    stock_code = serializers.CharField()
    name = serializers.CharField()
    market = serializers.ChoiceField(choices=Market.choices)


class StockSearchSerializer(serializers.Serializer):
    results = StockSearchResultSerializer(
        many=True,
        help_text="Best first: the exact code, codes starting so, names starting so, then the rest; within "
        "each, ordinary shares before preferred shares before ETFs, by market capitalisation.",
    )


# --- One stock -------------------------------------------------------------------------------------------


class StockMasterFieldsMixin(WarningsMixin):
    market = serializers.CharField(
        allow_null=True, help_text="KOSPI, KOSDAQ, ETF...; null if not in the master."
    )
    nxt_enabled = serializers.BooleanField(help_text="Tradable on Nextrade (NXT), as Kiwoom's master says.")


class StockDetailSerializer(StockMasterFieldsMixin, StockQuoteSerializer):
    """ka10001's few fields, with the master's market, warnings and NXT eligibility."""


class QuoteSerializer(StockMasterFieldsMixin):
    stock_code = serializers.CharField()
    name = serializers.CharField()
    price = serializers.IntegerField(help_text="Last price (KRW).")
    change = serializers.IntegerField(help_text="Against the previous close (KRW), signed.")
    change_rate = Rate(help_text="Against the previous close, percent, signed.")
    volume = serializers.IntegerField(help_text="Shares traded today.")
    open = serializers.IntegerField()
    high = serializers.IntegerField()
    low = serializers.IntegerField()
    upper_limit = serializers.IntegerField(help_text="Today's highest allowed price (KRW).")
    lower_limit = serializers.IntegerField(help_text="Today's lowest allowed price (KRW).")
    base_price = serializers.IntegerField(help_text="Yesterday's close, today's reference (KRW).")
    as_of = serializers.DateTimeField(help_text="When Kiwoom was asked; shared for a couple of seconds.")


class BookLevelSerializer(serializers.Serializer):
    price = serializers.IntegerField()
    quantity = serializers.IntegerField(help_text="Remaining quantity (잔량), shares.")


class OrderBookSerializer(serializers.Serializer):
    stock_code = serializers.CharField()
    asks = BookLevelSerializer(many=True, help_text="매도호가, up to 10, best (lowest) first.")
    bids = BookLevelSerializer(many=True, help_text="매수호가, up to 10, best (highest) first.")
    total_ask_quantity = serializers.IntegerField()
    total_bid_quantity = serializers.IntegerField()
    as_of = serializers.DateTimeField(help_text="When Kiwoom was asked; shared for about a second.")


class CandlesQuerySerializer(serializers.Serializer):
    interval = serializers.ChoiceField(choices=[i.value for i in Interval], default=Interval.DAY)
    range = serializers.ChoiceField(choices=[r.value for r in ChartRange], default=ChartRange.QUARTER)


class CandleSerializer(serializers.Serializer):
    time = serializers.SerializerMethodField(
        help_text="The bar's date (YYYY-MM-DD; week and month: its first trading day) or, for minute bars, "
        "its start in Korea time (ISO 8601 with +09:00)."
    )
    open = serializers.IntegerField()
    high = serializers.IntegerField()
    low = serializers.IntegerField()
    close = serializers.IntegerField()
    volume = serializers.IntegerField()

    def get_time(self, candle) -> str:
        return candle.time.isoformat()


class CandlesSerializer(serializers.Serializer):
    stock_code = serializers.CharField()
    interval = serializers.CharField()
    range = serializers.CharField()
    candles = CandleSerializer(many=True, help_text="Oldest first, split-adjusted.")


class OrderableQuerySerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=["buy", "sell"])
    price = serializers.IntegerField(
        min_value=1,
        max_value=kiwoom.MAX_PRICE,
        required=False,
        help_text="The limit price (KRW); omitted: Kiwoom's reference price.",
    )


class OrderableSerializer(serializers.Serializer):
    stock_code = serializers.CharField()
    side = serializers.CharField()
    price = serializers.IntegerField(allow_null=True)
    max_quantity = serializers.IntegerField(
        help_text="Buy: the most shares the orderable cash buys at `price`, costs included (kt00011, cash "
        "only). Sell: the sellable quantity."
    )
    orderable_cash = serializers.IntegerField(allow_null=True, help_text="Buy only (KRW); null for a sale.")
    sellable_quantity = serializers.IntegerField(allow_null=True, help_text="Sell only; null for a purchase.")
    commission_rate = serializers.DecimalField(
        max_digits=8, decimal_places=6, help_text="A fraction of the amount (0.0035 = 0.35%)."
    )
    tax_rate = serializers.DecimalField(max_digits=8, decimal_places=6, help_text="On sales, a fraction.")
    commission_unit = serializers.IntegerField(help_text="Commission is floored to this many won (10).")
    commission_minimum = serializers.IntegerField(help_text="The least commission on an order (KRW).")
    tax_unit = serializers.IntegerField(help_text="Tax is floored to this many won (1).")
    source = serializers.CharField(help_text="The Kiwoom TR the figures come from: kt00011 or kt00018.")


# --- 관심종목 --------------------------------------------------------------------------------------------


class WatchlistItemSerializer(serializers.Serializer):
    stock_code = serializers.CharField()
    position = serializers.IntegerField()


class WatchlistSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=40, trim_whitespace=True)
    position = serializers.IntegerField(read_only=True)
    items = WatchlistItemSerializer(many=True, read_only=True, help_text="In the user's order.")


class WatchlistItemAddSerializer(serializers.Serializer):
    stock_code = serializers.RegexField(
        rf"^{kiwoom.STOCK_CODE_PATTERN}$",
        error_messages={"invalid": _("A stock code is six characters, such as 005930.")},
    )


class WatchlistItemsReorderSerializer(serializers.Serializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=12), max_length=100, required=False, default=list
    )


class WatchlistsReorderSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(), max_length=100, required=False, default=list
    )


class WatchlistQuoteSerializer(WarningsMixin):
    stock_code = serializers.CharField()
    name = serializers.CharField()
    market = serializers.CharField()
    price = serializers.IntegerField(allow_null=True, source="quote.current_price")
    change = serializers.IntegerField(allow_null=True, source="quote.change")
    change_rate = Rate(allow_null=True, source="quote.change_rate")
    volume = serializers.IntegerField(allow_null=True, source="quote.volume")
    base_price = serializers.IntegerField(allow_null=True, source="quote.base_price")


class WatchlistQuotesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rows = WatchlistQuoteSerializer(
        many=True, help_text="The group's stocks in order; price fields null where Kiwoom gave no row."
    )
    as_of = serializers.DateTimeField()
