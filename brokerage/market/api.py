"""Market data under /api/v1/kiwoom/market/ and /api/v1/kiwoom/stocks/: the price grid and a stock's quote."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage.connections.api import KIWOOM_ERRORS, MODE, mode_of
from brokerage.market.selectors import tick_grid
from brokerage.market.serializers import StockQuoteSerializer, TickGridSerializer
from brokerage.market.services import stock_quote_get
from stocklab.api.schema import ERROR_RESPONSES, error


class StockCodeSerializer(serializers.Serializer):
    stock_code = serializers.RegexField(
        r"^[0-9]{6}$", error_messages={"invalid": _("A stock code is six digits, such as 005930.")}
    )


class MarketViewSet(viewsets.GenericViewSet):
    """Rules of the market that hold for every stock."""

    serializer_class = TickGridSerializer

    @extend_schema(
        responses={200: TickGridSerializer, **ERROR_RESPONSES},
        summary="The KRX price grid (호가가격단위) for stocks",
    )
    @action(detail=False, methods=["get"], url_path="tick-grid")
    def tick_grid(self, request):
        return Response(TickGridSerializer({"bands": tick_grid()}).data)


class StockViewSet(viewsets.GenericViewSet):
    """One stock's name and quote (Kiwoom's ka10001), fetched with the user's keys and shared for seconds."""

    serializer_class = StockQuoteSerializer
    lookup_field = "stock_code"
    lookup_value_regex = "[^/]+"  # anything but six digits is answered with invalid_input, not a 404

    @extend_schema(
        parameters=[
            MODE,
            OpenApiParameter("stock_code", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[0-9]{6}$"),
        ],
        responses={
            200: StockQuoteSerializer,
            **KIWOOM_ERRORS,
            400: error("`invalid_input` (not six digits) or `kiwoom_unknown_symbol` (unknown to Kiwoom)."),
        },
        summary="A stock's name and current price",
    )
    def retrieve(self, request, stock_code: str):
        code = StockCodeSerializer(data={"stock_code": stock_code})
        code.is_valid(raise_exception=True)
        quote = stock_quote_get(
            user=request.user, stock_code=code.validated_data["stock_code"], mode=mode_of(request)
        )
        return Response(StockQuoteSerializer(quote).data)
