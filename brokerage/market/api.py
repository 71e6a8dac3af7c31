"""Market data under /api/v1/kiwoom/market/, /api/v1/kiwoom/stocks/ and /api/v1/kiwoom/watchlists/: the price
grid, search, a stock's quote, 호가, candles and order limits, and the user's 관심종목."""

from __future__ import annotations

from dataclasses import asdict

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage import kiwoom
from brokerage.connections.api import KIWOOM_ERRORS, MODE, mode_of
from brokerage.market import services
from brokerage.market.errors import WatchlistNotFound
from brokerage.market.search import stocks_search
from brokerage.market.selectors import stock_get, tick_grid, watchlist_get, watchlists_of
from brokerage.market.serializers import (
    CandlesQuerySerializer,
    CandlesSerializer,
    OrderableQuerySerializer,
    OrderableSerializer,
    OrderBookSerializer,
    QuoteSerializer,
    StockDetailSerializer,
    StockSearchQuerySerializer,
    StockSearchSerializer,
    TickGridSerializer,
    WatchlistItemAddSerializer,
    WatchlistItemsReorderSerializer,
    WatchlistQuotesSerializer,
    WatchlistSerializer,
    WatchlistsReorderSerializer,
)
from stocklab.api.parsers import JSONParser
from stocklab.api.schema import BODY_ERRORS, ERROR_RESPONSES, error


class StockCodeSerializer(serializers.Serializer):
    stock_code = serializers.RegexField(
        rf"^{kiwoom.STOCK_CODE_PATTERN}$",
        error_messages={"invalid": _("A stock code is six characters, such as 005930.")},
    )


def _code(stock_code: str) -> str:
    code = StockCodeSerializer(data={"stock_code": stock_code})
    code.is_valid(raise_exception=True)
    return code.validated_data["stock_code"]


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _master_fields(stock_code: str) -> dict:
    stock = stock_get(stock_code=stock_code)
    if stock is None:
        return {"market": None, "warnings": [], "nxt_enabled": False}
    return {"market": stock.market, "warnings": stock.warnings, "nxt_enabled": stock.nxt_enabled}


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


STOCK_CODE = OpenApiParameter(
    "stock_code", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=rf"^{kiwoom.STOCK_CODE_PATTERN}$"
)
STOCK_ERRORS = {
    **KIWOOM_ERRORS,
    400: error(
        "`invalid_input` (not a stock code, or a bad query parameter) or `kiwoom_unknown_symbol` (unknown to "
        "Kiwoom)."
    ),
}


class StockViewSet(viewsets.GenericViewSet):
    """One stock's public data, fetched with the user's keys and shared between users for seconds; search."""

    serializer_class = StockDetailSerializer
    lookup_field = "stock_code"
    lookup_value_regex = "[^/]+"  # anything but a stock code is answered with invalid_input, not a 404

    @extend_schema(
        parameters=[MODE, STOCK_CODE],
        responses={200: StockDetailSerializer, **STOCK_ERRORS},
        summary="A stock's name and current price, with its market and warnings",
    )
    def retrieve(self, request, stock_code: str):
        code = _code(stock_code)
        info = services.stock_quote_get(user=request.user, stock_code=code, mode=mode_of(request))
        return Response(StockDetailSerializer({**asdict(info), **_master_fields(code)}).data)

    @extend_schema(
        parameters=[StockSearchQuerySerializer],
        responses={200: StockSearchSerializer, **ERROR_RESPONSES},
        summary="Find listed stocks by code, name part, 초성 (ㅅㅅㅈㅈ) or mixed input (삼ㅅ)",
    )
    @action(detail=False, methods=["get"])
    def search(self, request):
        query = _query(StockSearchQuerySerializer, request)
        hits = stocks_search(text=query["q"], limit=query["limit"])
        return Response(StockSearchSerializer({"results": hits}).data)

    @extend_schema(
        parameters=[MODE, STOCK_CODE],
        responses={200: QuoteSerializer, **STOCK_ERRORS},
        summary="The quote header (ka10001): price, change, volume, open/high/low, limits, warnings",
    )
    @action(detail=True, methods=["get"])
    def quote(self, request, stock_code: str):
        code = _code(stock_code)
        fetched = services.quote_get(user=request.user, stock_code=code, mode=mode_of(request))
        quote = fetched.value
        return Response(
            QuoteSerializer(
                {
                    "stock_code": code,
                    "name": quote.name,
                    "price": quote.current_price,
                    "change": quote.change,
                    "change_rate": quote.change_rate,
                    "volume": quote.volume,
                    "open": quote.open_price,
                    "high": quote.high_price,
                    "low": quote.low_price,
                    "upper_limit": quote.upper_limit,
                    "lower_limit": quote.lower_limit,
                    "base_price": quote.base_price,
                    "as_of": fetched.as_of,
                    **_master_fields(code),
                }
            ).data
        )

    @extend_schema(
        parameters=[MODE, STOCK_CODE],
        responses={200: OrderBookSerializer, **STOCK_ERRORS},
        summary="The 10-level order book (호가, ka10004), best prices first",
    )
    @action(detail=True, methods=["get"])
    def orderbook(self, request, stock_code: str):
        fetched = services.order_book_get(
            user=request.user, stock_code=_code(stock_code), mode=mode_of(request)
        )
        book = fetched.value
        return Response(OrderBookSerializer({**asdict(book), "as_of": fetched.as_of}).data)

    @extend_schema(
        parameters=[MODE, STOCK_CODE, CandlesQuerySerializer],
        responses={200: CandlesSerializer, **STOCK_ERRORS},
        summary="Candles (ka10080 minutes, ka10081/82/83 days, weeks, months), oldest first, split-adjusted",
        description="Minute bars cover at most 1W (1m) or 1M (5m): a longer range is answered with the "
        "longest offered, which `range` in the answer says.",
    )
    @action(detail=True, methods=["get"])
    def candles(self, request, stock_code: str):
        code = _code(stock_code)
        query = _query(CandlesQuerySerializer, request)
        candles = services.candles_get(
            user=request.user,
            stock_code=code,
            interval=query["interval"],
            chart_range=query["range"],
            mode=mode_of(request),
        )
        return Response(CandlesSerializer(candles).data)

    @extend_schema(
        parameters=[MODE, STOCK_CODE, OrderableQuerySerializer],
        responses={200: OrderableSerializer, **STOCK_ERRORS},
        summary="What the order ticket may offer: maximum quantity, orderable cash, sellable shares, costs",
    )
    @action(detail=True, methods=["get"])
    def orderable(self, request, stock_code: str):
        code = _code(stock_code)
        query = _query(OrderableQuerySerializer, request)
        orderable = services.orderable_get(
            user=request.user,
            stock_code=code,
            side=query["side"],
            price=query.get("price"),
            mode=mode_of(request),
        )
        return Response(OrderableSerializer(orderable).data)


# The reorders take JSON only: in a form, one value and a list of one look the same.
WATCHLIST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
NOT_FOUND = {404: error("`watchlist_not_found`: no group of yours has this id.")}


@extend_schema_view(
    list=extend_schema(
        responses={200: WatchlistSerializer(many=True), **ERROR_RESPONSES},
        summary="Your 관심종목 groups in your order, each with its codes (a first group is made for you)",
    ),
    create=extend_schema(
        request=WatchlistSerializer,
        responses={
            201: WatchlistSerializer,
            **ERROR_RESPONSES,
            **BODY_ERRORS,
            409: error("`watchlist_name_taken`."),
            422: error("`watchlist_limit_reached`."),
        },
        summary="Make a 관심종목 group",
    ),
    retrieve=extend_schema(
        parameters=[WATCHLIST_ID],
        responses={200: WatchlistSerializer, **ERROR_RESPONSES, **NOT_FOUND},
        summary="One of your groups",
    ),
    partial_update=extend_schema(
        parameters=[WATCHLIST_ID],
        request=WatchlistSerializer,
        responses={
            200: WatchlistSerializer,
            **ERROR_RESPONSES,
            **BODY_ERRORS,
            **NOT_FOUND,
            409: error("`watchlist_name_taken`."),
        },
        summary="Rename a group",
    ),
    destroy=extend_schema(
        parameters=[WATCHLIST_ID],
        responses={204: None, **ERROR_RESPONSES, **NOT_FOUND},
        summary="Delete a group and its codes",
    ),
)
class WatchlistViewSet(viewsets.GenericViewSet):
    """The user's 관심종목: named groups of codes in the user's order; nobody else's are visible."""

    serializer_class = WatchlistSerializer
    pagination_class = None  # 20 groups at most

    def get_queryset(self):  # for the schema generator's path parameters
        return watchlists_of(user=self.request.user)

    def list(self, request):
        services.watchlists_ensure_default(user=request.user)
        return Response(WatchlistSerializer(watchlists_of(user=request.user), many=True).data)

    def create(self, request):
        body = WatchlistSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        watchlist = services.watchlist_create(user=request.user, name=body.validated_data["name"])
        return Response(self._one(watchlist.pk), status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk: str):
        return Response(self._one(pk))

    def partial_update(self, request, pk: str):
        body = WatchlistSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        if "name" in body.validated_data:
            services.watchlist_rename(
                user=request.user, watchlist_id=_id(pk), name=body.validated_data["name"]
            )
        return Response(self._one(pk))

    def destroy(self, request, pk: str):
        services.watchlist_delete(user=request.user, watchlist_id=_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[WATCHLIST_ID],
        request=WatchlistItemAddSerializer,
        responses={
            201: WatchlistSerializer,
            **ERROR_RESPONSES,
            **BODY_ERRORS,
            404: error("`watchlist_not_found`, or `stock_not_found` (not a listed code)."),
            409: error("`watchlist_item_exists`."),
            422: error("`watchlist_full` (100 codes)."),
        },
        summary="Add a stock at the end of a group",
    )
    @action(detail=True, methods=["post"])
    def items(self, request, pk: str):
        body = WatchlistItemAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.watchlist_item_add(
            user=request.user, watchlist_id=_id(pk), stock_code=body.validated_data["stock_code"]
        )
        return Response(self._one(pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[WATCHLIST_ID, OpenApiParameter("stock_code", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={
            204: None,
            **ERROR_RESPONSES,
            404: error("`watchlist_not_found` or `watchlist_item_not_found`."),
        },
        summary="Remove a stock from a group",
    )
    @action(detail=True, methods=["delete"], url_path=r"items/(?P<stock_code>[^/]+)", url_name="item")
    def item(self, request, pk: str, stock_code: str):
        services.watchlist_item_remove(user=request.user, watchlist_id=_id(pk), stock_code=stock_code)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[WATCHLIST_ID],
        request=WatchlistItemsReorderSerializer,
        responses={200: WatchlistSerializer, **ERROR_RESPONSES, **BODY_ERRORS, **NOT_FOUND},
        summary="Reorder a group's stocks: those in `codes` first, in that order, then the rest as they were",
        operation_id="v1_kiwoom_watchlists_items_reorder",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def reorder(self, request, pk: str):
        body = WatchlistItemsReorderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.watchlist_items_reorder(
            user=request.user, watchlist_id=_id(pk), codes=body.validated_data["codes"]
        )
        return Response(self._one(pk))

    @extend_schema(
        request=WatchlistsReorderSerializer,
        responses={200: WatchlistSerializer(many=True), **ERROR_RESPONSES, **BODY_ERRORS},
        summary="Reorder your groups: those in `ids` first, in that order, then the others as they were",
        operation_id="v1_kiwoom_watchlists_reorder",
    )
    @action(
        detail=False, methods=["post"], url_path="reorder", url_name="reorder", parser_classes=[JSONParser]
    )
    def reorder_all(self, request):
        body = WatchlistsReorderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.watchlists_reorder(user=request.user, ids=body.validated_data["ids"])
        return Response(WatchlistSerializer(watchlists_of(user=request.user), many=True).data)

    @extend_schema(
        parameters=[WATCHLIST_ID, MODE],
        responses={200: WatchlistQuotesSerializer, **KIWOOM_ERRORS, **NOT_FOUND},
        summary="A group's stocks with price, change and volume (ka10095, one call, rows shared)",
    )
    @action(detail=True, methods=["get"])
    def quotes(self, request, pk: str):
        rows = services.watchlist_quotes(user=request.user, watchlist_id=_id(pk), mode=mode_of(request))
        return Response(
            WatchlistQuotesSerializer({"id": int(pk), "rows": rows, "as_of": timezone.now()}).data
        )

    def _one(self, pk) -> dict:
        return WatchlistSerializer(watchlist_get(user=self.request.user, watchlist_id=_id(pk))).data


def _id(pk) -> int:
    """A path's id; anything but a number is nobody's group."""
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise WatchlistNotFound() from None
