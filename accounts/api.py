"""Sign-up, JWT tokens, logout and the current user, as viewsets behind the API router."""

from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from stocklab.api.schema import BODY_ERRORS, ERROR_RESPONSES, error
from stocklab.api.throttling import AuthRateThrottle

from . import services
from .errors import LoginLockedOut
from .models import SecurityEvent
from .serializers import (
    LogoutSerializer,
    SignupSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
    UserSerializer,
)
from .services import security_event_record

TOKEN_PAIR = inline_serializer(
    "TokenPair",
    fields={
        "access": serializers.CharField(help_text="The access token, for `Authorization: Bearer`."),
        "refresh": serializers.CharField(help_text="The refresh token, for `token/refresh` and `logout`."),
    },
)


class AuthViewSet(viewsets.GenericViewSet):
    """Accounts: sign up, log out, and who am I."""

    def get_permissions(self):
        if self.action == "signup":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_serializer_class(self):
        return {"signup": SignupSerializer, "logout": LogoutSerializer}.get(self.action, UserSerializer)

    @extend_schema(
        request=SignupSerializer,
        responses={
            201: UserSerializer,
            **ERROR_RESPONSES,
            **BODY_ERRORS,
            409: error("`username_taken`: another account has that username (in any case)."),
        },
    )
    @action(detail=False, methods=["post"], throttle_classes=[AuthRateThrottle])
    def signup(self, request):
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=LogoutSerializer,
        responses={
            204: OpenApiResponse(),
            **ERROR_RESPONSES,
            **BODY_ERRORS,
            403: error("`refresh_token_not_yours`: the refresh token is another user's; nothing is revoked."),
        },
    )
    @action(detail=False, methods=["post"])
    def logout(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.refresh_token_revoke(user=request.user, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: UserSerializer, **ERROR_RESPONSES})
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(UserSerializer(request.user).data)


class TokenViewSet(viewsets.GenericViewSet):
    """JWT pairs: obtain with a password, refresh (rotating), verify."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]
    serializers = {
        "create": TokenObtainPairSerializer,
        "refresh": TokenRefreshSerializer,
        "verify": TokenVerifySerializer,
    }

    def get_serializer_class(self):
        # OPTIONS (DRF's "metadata" action) describes what the route's POST takes.
        action = self.action_map.get("post") if self.action == "metadata" else self.action
        return self.serializers[action]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Tokens are credentials: no browser or proxy may keep a copy of the answer.
        add_never_cache_headers(response)
        return response

    def get_authenticate_header(self, request):
        # No authenticators here, yet a refused password or token is still a 401 with a Bearer challenge.
        return 'Bearer realm="api"'

    def _validated(self, request):
        serializer = self.get_serializer_class()(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        except AuthenticationFailed:
            # django-axes refused to check the password (too many wrong ones for this username and IP). It
            # marks the request it was handed, DRF's; AxesMiddleware sees Django's and leaves this JSON be.
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut() from None
            raise
        return serializer

    @extend_schema(
        request=TokenObtainPairSerializer,
        responses={
            200: TOKEN_PAIR,
            **ERROR_RESPONSES,
            **BODY_ERRORS,
            401: error(
                "`authentication_failed` (a wrong username or password); for an account with two-step "
                "verification on, `otp_required` (send `otp`) or `otp_invalid` (a wrong or used code, "
                "which counts as a failed login). Carries `WWW-Authenticate: Bearer`."
            ),
            429: error(
                "`throttled` (too many attempts from you), `login_locked_out` (too many wrong passwords or "
                "codes for this username), or `otp_throttled` (wrong codes: wait `Retry-After` seconds)."
            ),
        },
    )
    def create(self, request):
        serializer = self._validated(request)
        security_event_record(
            action=SecurityEvent.Action.SIGN_IN,
            user=serializer.user,
            request=request,
            details={
                "channel": "api",
                "second_factor": services.totp_device_confirmed(user=serializer.user) is not None,
            },
        )
        return Response(serializer.validated_data)

    @extend_schema(
        request=TokenRefreshSerializer,
        responses={200: TokenRefreshSerializer, **ERROR_RESPONSES, **BODY_ERRORS},
    )
    @action(detail=False, methods=["post"])
    def refresh(self, request):
        return Response(self._validated(request).validated_data)

    @extend_schema(
        request=TokenVerifySerializer,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="An empty object: the token is good."),
            **ERROR_RESPONSES,
            **BODY_ERRORS,
        },
    )
    @action(detail=False, methods=["post"])
    def verify(self, request):
        return Response(self._validated(request).validated_data)
