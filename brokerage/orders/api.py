"""Order entry (kiwoom/order/buy, sell), the ledger (kiwoom/orders), today's fills (kiwoom/account/fills).

Viewsets validate input, call one service or selector, and shape the answer; the work is in `services`.
An order write builds the claim of its `Idempotency-Key` (`idempotency_claim`), calls its service and answers
its outcome (`_answer`): here alone are statuses chosen (201 for an order answered now or replayed, 200 for
the entry of a request that stopped unanswered, the error's own status for a failure replayed).
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from brokerage.connections.api import KIWOOM_ERRORS, MODE, mode_of
from brokerage.orders.filters import OrderFilterSerializer
from brokerage.orders.models import UNSETTLED_STATUSES, Order, OrderStatus
from brokerage.orders.selectors import order_list
from brokerage.orders.serializers import (
    AccountFillsSerializer,
    OrderCancelInputSerializer,
    OrderInputSerializer,
    OrderModifyInputSerializer,
    OrderSerializer,
)
from brokerage.orders.services import (
    IdempotencyClaim,
    OrderOutcome,
    account_fills_fetch,
    idempotency_claim,
    order_cancel,
    order_modify,
    order_place,
    order_reconcile,
    order_sync_quietly,
)
from stocklab.api.errors import error_response
from stocklab.api.schema import BODY_ERRORS, ERROR_RESPONSES, error
from stocklab.errors import ApplicationError, ErrorKind

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique string per intended order (a UUID). A repeat with the same key gets the first answer "
        "(same status and body, header `Idempotent-Replayed: true`) and sends nothing to Kiwoom; a repeat "
        "while the first is still being processed gets 409 `idempotency_key_in_flight`; the same key with "
        "other parameters gets 422 `idempotency_key_reused`. Refusals before the order is written "
        "(invalid input, guardrails) are not recorded: a repeat is checked afresh."
    ),
)


ORDER_ENTRY_ERRORS = {
    **KIWOOM_ERRORS,
    **BODY_ERRORS,
    400: error(
        "`invalid_input` (per-field `errors`), `malformed_request`, `idempotency_key_invalid`, or "
        "`kiwoom_unknown_symbol`."
    ),
    403: error("`real_trading_disabled`, `real_trading_not_enabled` or `kiwoom_ip_not_allowed`."),
    409: error(
        "`kiwoom_not_connected`, `market_closed` (outside the session of the trade type) or "
        "`idempotency_key_in_flight`."
    ),
    422: error(
        "A guardrail: `order_price_off_tick` (with `tick_size` and `nearest_prices`), "
        "`order_price_out_of_band` (with `lower_limit`, `upper_limit`), `order_exchange_not_supported`, "
        "`order_type_not_supported` (stop-limit; mid-price types on mock), "
        "`order_quantity_over_limit`, `order_value_over_limit` (with `limit`), "
        "`order_confirmation_required`; `idempotency_key_reused`; or `kiwoom_order_rejected` with Kiwoom's "
        "`kiwoom_code` and "
        "`kiwoom_message` (and the ledger entry's `order_id`)."
    ),
    503: error(
        "`kiwoom_unavailable`. With `order_status` `unresolved` the order may have reached Kiwoom: it is "
        "reconciled (see `order_id`), never sent again. With `not_placed` nothing was sent."
    ),
}


ORDER_CHANGE_ERRORS = {
    **ORDER_ENTRY_ERRORS,
    404: error("`not_found`: no such order of yours."),
    409: error(
        "`order_not_open` (only accepted or partially filled orders change), `order_not_modifiable`, "
        "`order_change_unresolved` (an earlier modification or cancellation of the order, `change_id`, is "
        "`pending` or `unresolved`: it may have reached Kiwoom and is being reconciled, so nothing is sent "
        "until it is settled), `order_placed_with_other_keys` (the user has since connected other keys: "
        "another account), `kiwoom_not_connected`, `market_closed` or `idempotency_key_in_flight`."
    ),
    422: error(
        "`order_quantity_over_remainder`, `order_modify_unchanged` (the price is the order's own), a "
        "guardrail on the new terms (`order_price_off_tick`, "
        "`order_price_out_of_band`, `order_quantity_over_limit`, `order_value_over_limit`, "
        "`order_confirmation_required`), `idempotency_key_reused`, or `kiwoom_order_rejected` with "
        "Kiwoom's code."
    ),
}


REPLAYED = OpenApiResponse(
    OrderSerializer,
    description="A repeat of an Idempotency-Key whose first request stopped before answering: the entry now.",
)


def _claim(request, *, action: str, params: dict) -> IdempotencyClaim | None:
    """The request's claim on its `Idempotency-Key`, if it has one (an unusable key is refused)."""
    key = request.headers.get("Idempotency-Key")
    return None if key is None else idempotency_claim(key=key, action=action, params=params)


def _answer(outcome: OrderOutcome) -> Response:
    """An order write's answer: the entry (201; 200 when its first request stopped unanswered), or the error a
    first request failed with, replayed with its own status."""
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if outcome.error is not None:
        response = error_response(outcome.error)
        for name, value in headers.items():
            response[name] = value
        return response
    status_code = status.HTTP_201_CREATED if outcome.answered else status.HTTP_200_OK
    return Response(_render_order(outcome.order), status=status_code, headers=headers)


# One serializer represents every order, as for balances (`_represent_balance`).
_render_order = OrderSerializer().to_representation

logger = logging.getLogger(__name__)

_EVENTS = {
    "buy": SecurityEvent.Action.ORDER_PLACE,
    "sell": SecurityEvent.Action.ORDER_PLACE,
    "modify": SecurityEvent.Action.ORDER_MODIFY,
    "cancel": SecurityEvent.Action.ORDER_CANCEL,
}
# Refusals: nothing was sent (or Kiwoom said no); the rest failed on the way, and may have reached Kiwoom.
_REFUSALS = {
    ErrorKind.INVALID,
    ErrorKind.FORBIDDEN,
    ErrorKind.NOT_FOUND,
    ErrorKind.CONFLICT,
    ErrorKind.REFUSED,
}


def _order_request(request, action: str, service, **arguments) -> Response:
    """Run one order write and answer it; the request and its outcome go to the audit trail either way."""
    try:
        outcome = service(**arguments)
    except ApplicationError as error:
        _order_event_record(request, action, order=None, error=error, replayed=False)
        raise
    _order_event_record(request, action, order=outcome.order, error=outcome.error, replayed=outcome.replayed)
    return _answer(outcome)


def _order_event_record(request, action: str, *, order: Order | None, error, replayed: bool) -> None:
    if error is None:
        result = SecurityEvent.Outcome.SUCCESS
    elif error.kind in _REFUSALS:
        result = SecurityEvent.Outcome.REFUSED
    elif OrderStatus.UNRESOLVED in (getattr(order, "status", None), error.extra.get("order_status")):
        result = SecurityEvent.Outcome.UNKNOWN
    else:
        result = SecurityEvent.Outcome.FAILURE
    details = {"action": action, "replayed": replayed, "code": error.code if error is not None else ""}
    if error is not None and "order_id" in error.extra:  # a failure after the entry was written names it
        details |= {"order_id": error.extra["order_id"], "status": error.extra.get("order_status", "")}
    if order is not None:
        details |= {
            "order_id": order.pk,
            "parent_order_id": order.parent_id,
            "stock_code": order.stock_code,
            "side": order.side,
            "quantity": order.quantity,
            "price": order.price,
            "trade_type": order.trade_type,
            "status": order.status,
            "kiwoom_order_number": order.kiwoom_order_number,
        }
    try:
        security_event_record(action=_EVENTS[action], request=request, outcome=result, details=details)
    except Exception:
        # The order's own outcome is committed and must be answered: a lost audit line is logged, not a 500.
        logger.exception("The audit trail could not record an order request (%s)", details)


class OrderEntryViewSet(viewsets.GenericViewSet):
    """Buy and sell; the answer is the order's ledger entry."""

    serializer_class = OrderInputSerializer
    throttle_scope = "orders"  # the strictest per-user budget: each one is sent to Kiwoom

    def _place(self, request, side: str) -> Response:
        serializer = OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = _claim(request, action=side, params=data)
        return _order_request(
            request, side, order_place, user=request.user, side=side, idempotency=claim, **data
        )

    @extend_schema(
        request=OrderInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderSerializer, 200: REPLAYED, **ORDER_ENTRY_ERRORS},
        summary="Buy",
        description="Checked by the guardrails, written to the ledger, then sent to Kiwoom (kt10000) once.",
    )
    @action(detail=False, methods=["post"])
    def buy(self, request):
        return self._place(request, "buy")

    @extend_schema(
        request=OrderInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderSerializer, 200: REPLAYED, **ORDER_ENTRY_ERRORS},
        summary="Sell",
        description="Checked by the guardrails, written to the ledger, then sent to Kiwoom (kt10001) once.",
    )
    @action(detail=False, methods=["post"])
    def sell(self, request):
        return self._place(request, "sell")


class OrderPagination(PageNumberPagination):
    """Pages of the ledger: `page` from 1 (404 past the last), `page_size` 1 to 200 (400 otherwise)."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            message = _("A page size is a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {
                "minimum": 1,
                "maximum": self.max_page_size,
                "default": self.page_size,
            },
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The order ledger: every attempt and what became of it, brought up to date when looked at."""

    serializer_class = OrderSerializer
    pagination_class = OrderPagination
    throttle_scope = "orders"  # modify, cancel and reconcile are sent to Kiwoom

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Order.objects.none()
        if self.action != "list":
            return order_list(user=self.request.user)
        filters = OrderFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return order_list(user=self.request.user, **filters.validated_data)

    def get_serializer_class(self):
        inputs = {"modify": OrderModifyInputSerializer, "cancel": OrderCancelInputSerializer}
        return inputs.get(self.action, OrderSerializer)

    @extend_schema(
        parameters=[OrderFilterSerializer],
        responses={
            200: OrderSerializer(many=True),
            **ERROR_RESPONSES,
            404: error("`not_found`: no such page (past the last one, or not a page number)."),
        },
        summary="The order ledger, newest first (paginated)",
        description="Open orders are first brought up to date with Kiwoom (ka10075, ka10076), and unresolved "
        "ones reconciled; when Kiwoom cannot answer, the ledger is shown as it stands.",
    )
    def list(self, request, *args, **kwargs):
        order_sync_quietly(user=request.user)
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={
            200: OrderSerializer,
            404: error("`not_found`: no such order of yours."),
            **ERROR_RESPONSES,
        },
        summary="One ledger entry (brought up to date with Kiwoom when still open or unresolved)",
    )
    def retrieve(self, request, *args, **kwargs):
        order = self.get_object()
        if order.is_open or order.status in UNSETTLED_STATUSES:
            order_sync_quietly(user=request.user)
            order.refresh_from_db()
        return Response(_render_order(order))

    @extend_schema(
        request=OrderCancelInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderSerializer, 200: REPLAYED, **ORDER_CHANGE_ERRORS},
        summary="Cancel the whole open remainder, or some shares of it (kt10003)",
        description="Answers with the cancellation's own ledger entry (kind `cancel`, `parent` = this "
        "order); the order becomes `cancelled` once nothing of it is left open.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._change(request, "cancel", order_cancel)

    @extend_schema(
        request=OrderModifyInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderSerializer, 200: REPLAYED, **ORDER_CHANGE_ERRORS},
        summary="Move the open remainder, or some shares of it, to a new price (kt10002)",
        description="Kiwoom gives the moved shares a new order number: the answer is that new ledger entry "
        "(kind `modify`, `parent` = this order); the order becomes `modified` once nothing of it is left "
        "open.",
    )
    @action(detail=True, methods=["post"])
    def modify(self, request, pk=None):
        return self._change(request, "modify", order_modify)

    def _change(self, request, action: str, service) -> Response:
        """Cancel or modify one of the user's orders (another user's is a 404 before anything else)."""
        order = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = _claim(request, action=action, params={"order_id": order.pk, **data})
        return _order_request(request, action, service, order=order, idempotency=claim, **data)

    @extend_schema(
        request=None,
        responses={200: OrderSerializer, **KIWOOM_ERRORS, 404: error("`not_found`: no such order of yours.")},
        summary="Reconcile now: match unresolved attempts at Kiwoom (kt00007, ka10075, ka10076) and sync",
    )
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        order = order_reconcile(order=self.get_object())
        return Response(_render_order(order))


class AccountFillsViewSet(viewsets.GenericViewSet):
    """Today's fills of the connected account (beside the balance, under /kiwoom/account/)."""

    serializer_class = AccountFillsSerializer

    @extend_schema(
        parameters=[MODE],
        responses={200: AccountFillsSerializer, **KIWOOM_ERRORS},
        summary="Today's fills (ka10076), one row per order, newest first",
    )
    @action(detail=False, methods=["get"], serializer_class=AccountFillsSerializer)
    def fills(self, request):
        fills = account_fills_fetch(user=request.user, mode=mode_of(request))
        return Response(AccountFillsSerializer(fills).data)
