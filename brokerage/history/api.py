"""The account's history under /api/v1/kiwoom/history/: equity, realized P&L, the journal, orders, fills and
the cost rates. Orders, fills and the journal also answer text/csv (`?format=csv` or `Accept: text/csv`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from brokerage.connections.api import MODE, mode_of
from brokerage.connections.costs import costs_all
from brokerage.history.csv_export import CSVRenderer, csv_response, queryset_pages
from brokerage.history.selectors import (
    equity_curve,
    history_fill_orders,
    history_fill_rows,
    history_orders,
    journal_days,
)
from brokerage.history.serializers import (
    CostsSerializer,
    EquityQuerySerializer,
    EquitySerializer,
    HistoryFillSerializer,
    HistoryOrderSerializer,
    JournalSerializer,
    LedgerQuerySerializer,
    PeriodQuerySerializer,
    RealizedQuerySerializer,
    RealizedSerializer,
)
from brokerage.history.services.reports import ledger_bring_up_to_date, realized_report
from brokerage.orders.api import OrderPagination
from stocklab.api.schema import ERROR_RESPONSES, error

_WITH_CSV = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
_NOT_FOUND = {404: error("`not_found`: a `format` other than json or csv, or a page past the last one.")}
_CSV = OpenApiResponse(
    response=OpenApiTypes.STR,
    description="`?format=csv` or `Accept: text/csv`: the whole period as CSV (UTF-8 with BOM), streamed.",
)

ORDER_COLUMNS = [
    ("ordered_at", "created_at"),
    ("order_number", "kiwoom_order_number"),
    ("mode", "mode"),
    ("kind", "kind"),
    ("side", "side"),
    ("stock_code", "stock_code"),
    ("stock_name", "stock_name"),
    ("quantity", "quantity"),
    ("price", "price"),
    ("trade_type", "trade_type"),
    ("status", "status"),
    ("filled_quantity", "filled_quantity"),
    ("average_fill_price", "average_fill_price"),
    ("cancelled_quantity", "cancelled_quantity"),
]
FILL_COLUMNS = [
    ("last_filled_at", "updated_at"),
    ("order_number", "kiwoom_order_number"),
    ("side", "side"),
    ("stock_code", "stock_code"),
    ("stock_name", "stock_name"),
    ("quantity", "filled_quantity"),
    ("price", "average_fill_price"),
    ("amount", "amount"),
    ("commission", "commission"),
    ("tax", "tax"),
]
JOURNAL_COLUMNS = [
    "day",
    "trades",
    "buy_quantity",
    "buy_amount",
    "sell_quantity",
    "sell_amount",
    "realized_pnl",
    "realized_pnl_before_costs",
    "commission",
    "tax",
]


def _wants_csv(request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is not None and renderer.format == "csv"


def _cell(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


class HistoryViewSet(viewsets.GenericViewSet):
    """The connected account over time; every answer is the signed-in user's own."""

    pagination_class = OrderPagination
    serializer_class = HistoryOrderSerializer

    def _query(self, serializer_class):
        query = serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    @extend_schema(
        parameters=[EquityQuerySerializer, MODE],
        responses={200: EquitySerializer, **ERROR_RESPONSES},
        summary="Estimated assets and cumulative return over a range, beside KOSPI and KOSDAQ",
    )
    @action(detail=False, methods=["get"])
    def equity(self, request):
        query = self._query(EquityQuerySerializer)
        equity = equity_curve(user=request.user, mode=mode_of(request), range=query["range"])
        return Response(EquitySerializer(equity).data)

    @extend_schema(
        parameters=[RealizedQuerySerializer, MODE],
        responses={200: RealizedSerializer, **ERROR_RESPONSES},
        summary="Realized P&L of a period and its trades (moving-average cost)",
    )
    @action(detail=False, methods=["get"])
    def realized(self, request):
        query = self._query(RealizedQuerySerializer)
        report = realized_report(user=request.user, mode=mode_of(request), **query)
        return Response(RealizedSerializer(report, context={"costs": query["costs"]}).data)

    @extend_schema(
        parameters=[PeriodQuerySerializer, MODE],
        responses={
            (200, "application/json"): JournalSerializer,
            (200, "text/csv"): _CSV,
            **ERROR_RESPONSES,
            **_NOT_FOUND,
        },
        summary="The 매매일지: per day, buys, sells, realized P&L, commission and tax",
    )
    @action(detail=False, methods=["get"], renderer_classes=_WITH_CSV)
    def journal(self, request):
        query = self._query(PeriodQuerySerializer)
        ledger_bring_up_to_date(user=request.user, end=query["end"])
        days = journal_days(user=request.user, mode=mode_of(request), **query)
        if _wants_csv(request):
            rows = ([_cell(getattr(day, column)) for column in JOURNAL_COLUMNS] for day in days)
            name = f"journal-{query['start']}-{query['end']}.csv"
            return csv_response(request=request, filename=name, header=JOURNAL_COLUMNS, rows=rows)
        data = {"start": query["start"], "end": query["end"], "source": "ledger", "days": days}
        return Response(JournalSerializer(data).data)

    @extend_schema(
        parameters=[LedgerQuerySerializer, MODE],
        responses={
            (200, "application/json"): HistoryOrderSerializer(many=True),
            (200, "text/csv"): _CSV,
            **ERROR_RESPONSES,
            **_NOT_FOUND,
        },
        summary="Orders of any period (paginated), newest first",
    )
    @action(detail=False, methods=["get"], renderer_classes=_WITH_CSV)
    def orders(self, request):
        query = self._query(LedgerQuerySerializer)
        ledger_bring_up_to_date(user=request.user, end=query["end"])
        orders = history_orders(user=request.user, mode=mode_of(request), **query)
        if _wants_csv(request):
            rows = (
                [_cell(getattr(order, field)) for _name, field in ORDER_COLUMNS]
                for order in queryset_pages(orders, field="created_at")
            )
            name = f"orders-{query['start']}-{query['end']}.csv"
            header = [c for c, _f in ORDER_COLUMNS]
            return csv_response(request=request, filename=name, header=header, rows=rows)
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(HistoryOrderSerializer(page, many=True).data)

    @extend_schema(
        parameters=[LedgerQuerySerializer, MODE],
        responses={
            (200, "application/json"): HistoryFillSerializer(many=True),
            (200, "text/csv"): _CSV,
            **ERROR_RESPONSES,
            **_NOT_FOUND,
        },
        summary="Fills of any period (paginated; one row per order), the latest fill first",
    )
    @action(detail=False, methods=["get"], renderer_classes=_WITH_CSV)
    def fills(self, request):
        query = self._query(LedgerQuerySerializer)
        ledger_bring_up_to_date(user=request.user, end=query["end"])
        orders = history_fill_orders(user=request.user, mode=mode_of(request), **query)
        if _wants_csv(request):
            rows = (
                [_cell(getattr(order, field)) for _name, field in FILL_COLUMNS]
                for order in history_fill_rows(orders=queryset_pages(orders, field="updated_at"))
            )
            name = f"fills-{query['start']}-{query['end']}.csv"
            header = [c for c, _f in FILL_COLUMNS]
            return csv_response(request=request, filename=name, header=header, rows=rows)
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(
            HistoryFillSerializer(list(history_fill_rows(orders=page)), many=True).data
        )

    @extend_schema(
        responses={200: CostsSerializer, **ERROR_RESPONSES}, summary="Commission and tax rates in use"
    )
    @action(detail=False, methods=["get"])
    def costs(self, request):
        note = _(
            "Rates used for P&L computed from StockLab's ledger. Kiwoom's mock trading charges a far higher "
            "commission than real accounts."
        )
        return Response(CostsSerializer({"rates": costs_all(), "note": note}).data)
