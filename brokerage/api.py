"""The prototype's six endpoints under /api/v1/kiwoom/, as viewsets that call a service or a selector."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from stocklab.schema import ERROR_RESPONSES, error

from . import selectors, services
from .serializers import (
    AccountBalanceSerializer,
    CredentialInputSerializer,
    CredentialStatusSerializer,
    OrderInputSerializer,
    OrderSerializer,
)

KIWOOM_ERRORS = {
    **ERROR_RESPONSES,
    409: error("`kiwoom_not_connected`: connect Kiwoom keys first."),
    429: error("`kiwoom_rate_limited`; see `Retry-After`."),
    502: error("`kiwoom_token_rejected` or `kiwoom_bad_request`."),
    503: error("`kiwoom_unavailable`: Kiwoom could not be reached."),
}


class CredentialViewSet(viewsets.ViewSet):
    """Connect, inspect and disconnect the user's Kiwoom keys."""

    def get_serializer_class(self):
        return CredentialInputSerializer if self.action == "create" else CredentialStatusSerializer

    @extend_schema(
        request=CredentialInputSerializer,
        responses={
            201: CredentialStatusSerializer,
            **KIWOOM_ERRORS,
            400: error("`invalid_input`, or `kiwoom_invalid_credentials` with Kiwoom's message."),
            403: error("`real_trading_disabled` or `kiwoom_ip_not_allowed`."),
        },
        summary="Connect Kiwoom keys (checked by issuing a token first)",
    )
    def create(self, request):
        serializer = CredentialInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = services.credential_connect(user=request.user, **serializer.validated_data)
        return Response(CredentialStatusSerializer.for_credential(credential), status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: CredentialStatusSerializer, **ERROR_RESPONSES}, summary="Connection status"
    )
    def retrieve(self, request):
        return self.status(request)

    @extend_schema(
        responses={204: OpenApiResponse(), **ERROR_RESPONSES}, summary="Disconnect (revokes the token)"
    )
    def destroy(self, request):
        services.credential_disconnect(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={200: CredentialStatusSerializer, **ERROR_RESPONSES}, summary="Connection status"
    )
    @action(detail=False, methods=["get"])
    def status(self, request):
        credential = selectors.credential_find(user=request.user)
        return Response(CredentialStatusSerializer.for_credential(credential))


class AccountViewSet(viewsets.ViewSet):
    """The connected account's balance."""

    serializer_class = AccountBalanceSerializer

    @extend_schema(responses={200: AccountBalanceSerializer, **KIWOOM_ERRORS}, summary="Balance and holdings")
    @action(detail=False, methods=["get"])
    def balance(self, request):
        balance = services.account_balance_fetch(user=request.user)
        return Response(AccountBalanceSerializer(balance).data)


class OrderEntryViewSet(viewsets.ViewSet):
    """Buy and sell; the answer is the order's ledger entry."""

    serializer_class = OrderInputSerializer

    def _place(self, request, side: str) -> Response:
        serializer = OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_place(user=request.user, side=side, **serializer.validated_data)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=OrderInputSerializer,
        responses={
            201: OrderSerializer,
            **KIWOOM_ERRORS,
            422: error("`kiwoom_order_rejected` with Kiwoom's code."),
        },
        summary="Buy",
    )
    @action(detail=False, methods=["post"])
    def buy(self, request):
        return self._place(request, "buy")

    @extend_schema(
        request=OrderInputSerializer,
        responses={
            201: OrderSerializer,
            **KIWOOM_ERRORS,
            422: error("`kiwoom_order_rejected` with Kiwoom's code."),
        },
        summary="Sell",
    )
    @action(detail=False, methods=["post"])
    def sell(self, request):
        return self._place(request, "sell")
