"""A stock page's own part of the account: /api/v1/kiwoom/stocks/{code}/position (issue 15).

Here rather than in the market domain, which may not read orders or balances: the holding comes from the
coalesced balance (portfolio), the open orders from the ledger, today's fills from ka10076 (both orders').
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage import kiwoom
from brokerage.connections.api import KIWOOM_ERRORS, MODE, mode_of
from brokerage.market.api import StockCodeSerializer
from brokerage.orders.models import OPEN_STATUSES
from brokerage.orders.selectors import order_list
from brokerage.orders.serializers import OrderFillSerializer, OrderSerializer
from brokerage.orders.services import account_fills_fetch
from brokerage.portfolio.serializers import HoldingSerializer
from brokerage.portfolio.services import account_balance_fetch
from stocklab.api.schema import error


class StockPositionSerializer(serializers.Serializer):
    stock_code = serializers.CharField()
    holding = HoldingSerializer(
        allow_null=True, help_text="The account's holding of the stock; null if none."
    )
    open_orders = OrderSerializer(
        many=True, help_text="Orders placed through StockLab still open, newest first."
    )
    fills = OrderFillSerializer(many=True, help_text="Today's fills at Kiwoom in the stock (ka10076).")
    as_of = serializers.DateTimeField()


class StockPositionViewSet(viewsets.GenericViewSet):
    """The user's holding, open orders and today's fills in one stock."""

    serializer_class = StockPositionSerializer
    lookup_field = "stock_code"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        parameters=[
            MODE,
            OpenApiParameter(
                "stock_code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=rf"^{kiwoom.STOCK_CODE_PATTERN}$",
            ),
        ],
        responses={
            200: StockPositionSerializer,
            **KIWOOM_ERRORS,
            400: error("`invalid_input`: not a stock code."),
        },
        summary="Your holding, open orders and today's fills in one stock",
    )
    @action(detail=True, methods=["get"])
    def position(self, request, stock_code: str):
        code = StockCodeSerializer(data={"stock_code": stock_code})
        code.is_valid(raise_exception=True)
        stock_code, mode = code.validated_data["stock_code"], mode_of(request)
        balance = account_balance_fetch(user=request.user, mode=mode)
        fills = account_fills_fetch(user=request.user, mode=mode)
        orders = order_list(user=request.user, stock_code=stock_code, mode=mode).filter(
            status__in=OPEN_STATUSES
        )
        holding = next((h for h in balance.holdings if h.stock_code == stock_code), None)
        return Response(
            StockPositionSerializer(
                {
                    "stock_code": stock_code,
                    "holding": holding,
                    "open_orders": list(orders),
                    "fills": [fill for fill in fills.fills if fill.fill.stock_code == stock_code],
                    "as_of": timezone.now(),
                }
            ).data
        )
