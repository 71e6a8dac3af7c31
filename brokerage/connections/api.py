"""The API of a user's Kiwoom keys under /api/v1/kiwoom/credentials, and what every Kiwoom endpoint shares."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage.connections.models import Mode
from brokerage.connections.selectors import credential_find
from brokerage.connections.serializers import CredentialInputSerializer, CredentialStatusSerializer
from brokerage.connections.services import credential_connect, credential_disconnect
from stocklab.api.schema import BODY_ERRORS, ERROR_RESPONSES, error
from stocklab.api.throttling import KiwoomConnectRateThrottle
from stocklab.errors import InvalidInput

KIWOOM_ERRORS = {
    **ERROR_RESPONSES,
    409: error(
        "`kiwoom_not_connected`: connect Kiwoom keys first; `credential_unreadable`: the stored keys can no "
        "longer be decrypted, reconnect them."
    ),
    429: error(
        "`throttled` (too many requests from you) or `kiwoom_rate_limited` (Kiwoom's own limit); see "
        "`Retry-After`."
    ),
    502: error("`kiwoom_token_rejected` or `kiwoom_bad_request`."),
    503: error("`kiwoom_unavailable`: Kiwoom could not be reached."),
}


MODE = OpenApiParameter(
    "mode",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=Mode.values,
    default=Mode.MOCK,
    description="Which of the user's keys: `mock` (the default) or `real`.",
)


# GET kiwoom/credentials and GET kiwoom/credentials/status: the same answer (the prototype calls the second).
CONNECTION_STATUS_SCHEMA = {
    "parameters": [MODE],
    "responses": {
        200: CredentialStatusSerializer,
        409: error("`credential_unreadable`: the stored keys can no longer be decrypted, reconnect them."),
        **ERROR_RESPONSES,
    },
    "summary": "Connection status",
}


def mode_of(request) -> str:
    """The `?mode=` of the request: which of the user's keys (mock unless it says real)."""
    mode = request.query_params.get("mode", Mode.MOCK)
    if mode not in Mode.values:
        message = _('"%(mode)s" is not a valid choice: mock or real.') % {"mode": mode}
        raise InvalidInput(f"mode: {message}", extra={"errors": {"mode": [message]}})
    return mode


class CredentialViewSet(viewsets.GenericViewSet):
    """Connect, inspect and disconnect the user's Kiwoom keys."""

    def get_serializer_class(self):
        return CredentialInputSerializer if self.action == "create" else CredentialStatusSerializer

    def get_throttles(self):
        # Connecting asks Kiwoom for a token: its own budget, on top of the site-wide ones.
        throttles = super().get_throttles()
        return [*throttles, KiwoomConnectRateThrottle()] if self.action == "create" else throttles

    @extend_schema(
        request=CredentialInputSerializer,
        responses={
            201: CredentialStatusSerializer,
            **KIWOOM_ERRORS,
            **BODY_ERRORS,
            400: error("`invalid_input`, or `kiwoom_invalid_credentials` with Kiwoom's message."),
            403: error("`real_trading_disabled` or `kiwoom_ip_not_allowed`."),
            429: error("`throttled`: too many requests or connects from you; see `Retry-After`."),
        },
        summary="Connect Kiwoom keys (checked by issuing a token first)",
    )
    def create(self, request):
        serializer = CredentialInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = credential_connect(user=request.user, **serializer.validated_data)
        return Response(CredentialStatusSerializer.for_credential(credential), status=status.HTTP_201_CREATED)

    @extend_schema(**CONNECTION_STATUS_SCHEMA)
    def retrieve(self, request):
        return self.status(request)

    @extend_schema(
        parameters=[MODE],
        responses={204: OpenApiResponse(), **ERROR_RESPONSES},
        summary="Disconnect (revokes the token)",
    )
    def destroy(self, request):
        credential_disconnect(user=request.user, mode=mode_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(**CONNECTION_STATUS_SCHEMA)
    @action(detail=False, methods=["get"])
    def status(self, request):
        mode = mode_of(request)
        credential = credential_find(user=request.user, mode=mode)
        return Response(CredentialStatusSerializer.for_credential(credential, mode=mode))
