"""The account's history under /api/v1/kiwoom/history/: equity, realized P&L, the journal, orders, fills and
the cost rates. Orders, fills and the journal also answer text/csv (`?format=csv` or `Accept: text/csv`)."""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from brokerage import kiwoom
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

# The CSV columns: a header in the request's language, and each row's cells as the pages show them.
ORDER_COLUMNS = [
    (_("Ordered at"), lambda order: kst(order.created_at)),
    (_("Order number"), attrgetter("kiwoom_order_number")),
    (_("Mode"), lambda order: order.get_mode_display()),
    (_("Kind"), lambda order: order.get_kind_display()),
    (_("Side"), lambda order: order.get_side_display()),
    (_("Code"), attrgetter("stock_code")),
    (pgettext_lazy("stock", "Name"), attrgetter("stock_name")),
    (_("Quantity"), attrgetter("quantity")),
    (_("Price"), attrgetter("price")),
    (_("Order type"), lambda order: trade_type_label(order.trade_type)),
    (_("Status"), lambda order: order.get_status_display()),
    (_("Filled quantity"), attrgetter("filled_quantity")),
    (_("Average fill price"), attrgetter("average_fill_price")),
    (_("Cancelled quantity"), attrgetter("cancelled_quantity")),
]
FILL_COLUMNS = [
    (_("Filled at"), lambda order: kst(order.updated_at)),
    (_("Order number"), attrgetter("kiwoom_order_number")),
    (_("Side"), lambda order: order.get_side_display()),
    (_("Code"), attrgetter("stock_code")),
    (pgettext_lazy("stock", "Name"), attrgetter("stock_name")),
    (_("Quantity"), attrgetter("filled_quantity")),
    (_("Price"), attrgetter("average_fill_price")),
    (_("Amount"), attrgetter("amount")),
    (_("Commission"), attrgetter("commission")),
    (_("Tax"), attrgetter("tax")),
]
JOURNAL_COLUMNS = [
    (_("Date"), lambda day: day.day.isoformat()),
    (_("Trades"), attrgetter("trades")),
    (_("Buy quantity"), attrgetter("buy_quantity")),
    (_("Bought"), attrgetter("buy_amount")),
    (_("Sell quantity"), attrgetter("sell_quantity")),
    (_("Sold"), attrgetter("sell_amount")),
    (_("Realized P&L"), attrgetter("realized_pnl")),
    (_("Realized P&L before costs"), attrgetter("realized_pnl_before_costs")),
    (_("Commission"), attrgetter("commission")),
    (_("Tax"), attrgetter("tax")),
]


def kst(moment) -> str:
    """A moment in Korea time as the pages write it, without an offset: `2026-12-08 09:32:22`."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def trade_type_label(code: str) -> str:
    try:
        return kiwoom.TradeType(code).label
    except ValueError:
        return code


def _wants_csv(request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is not None and renderer.format == "csv"


def _csv(request, *, filename: str, columns, items: Iterable) -> StreamingHttpResponse:
    """`items` as CSV, header and labels in the request's language (the rows are read while streaming, when
    the request's language may no longer be the active one)."""
    language = translation.get_language()

    def rows():
        for item in items:
            with translation.override(language):
                row = [str(value) if isinstance(value, Promise) else value for value in cells(item)]
            yield row

    def cells(item):
        return [cell(item) for _name, cell in columns]

    header = [str(name) for name, _cell in columns]
    return csv_response(request=request, filename=filename, header=header, rows=rows())


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
            name = f"journal-{query['start']}-{query['end']}.csv"
            return _csv(request, filename=name, columns=JOURNAL_COLUMNS, items=days)
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
            name = f"orders-{query['start']}-{query['end']}.csv"
            items = queryset_pages(orders, field="created_at")
            return _csv(request, filename=name, columns=ORDER_COLUMNS, items=items)
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
            name = f"fills-{query['start']}-{query['end']}.csv"
            items = history_fill_rows(orders=queryset_pages(orders, field="updated_at"))
            return _csv(request, filename=name, columns=FILL_COLUMNS, items=items)
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(
            HistoryFillSerializer(list(history_fill_rows(orders=page)), many=True).data
        )

    @extend_schema(
        responses={200: CostsSerializer, **ERROR_RESPONSES}, summary="Commission and tax rates in use"
    )
    @action(detail=False, methods=["get"])
    def costs(self, request):
        note = gettext(
            "Rates used for P&L computed from StockLab's ledger. Kiwoom's mock trading charges a far higher "
            "commission than real accounts."
        )
        return Response(CostsSerializer({"rates": costs_all(), "note": note}).data)
