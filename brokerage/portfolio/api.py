"""The balance under /api/v1/kiwoom/account/balance."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage.connections.api import KIWOOM_ERRORS, MODE, mode_of
from brokerage.portfolio.serializers import AccountBalanceSerializer
from brokerage.portfolio.services import account_balance_fetch

# One serializer represents every balance: a serializer deep-copies its declared fields when it is made
# (about a millisecond for a balance and its holdings, more than the rest of a cached answer), while
# representing an object leaves the serializer as it was, so one instance serves every thread.
_represent_balance = AccountBalanceSerializer().to_representation


class AccountViewSet(viewsets.GenericViewSet):
    """The connected account's balance."""

    serializer_class = AccountBalanceSerializer

    @extend_schema(
        parameters=[MODE],
        responses={200: AccountBalanceSerializer, **KIWOOM_ERRORS},
        summary="Balance and holdings",
    )
    @action(detail=False, methods=["get"])
    def balance(self, request):
        balance = account_balance_fetch(user=request.user, mode=mode_of(request))
        return Response(_represent_balance(balance))
