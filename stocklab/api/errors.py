"""The API's one error handler: every error is `{code, detail}` with one HTTP status per code.

Domain errors carry a kind (`stocklab.errors.ErrorKind`); this is the one place that turns a kind into an
HTTP status, and DRF's and Django's own errors into the same body.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.views import exception_handler as drf_exception_handler

from stocklab.errors import ApplicationError, ErrorKind, ServiceDegraded, as_field_errors, first_message

logger = logging.getLogger(__name__)

STATUS_OF_KIND = {
    ErrorKind.INVALID: status.HTTP_400_BAD_REQUEST,
    ErrorKind.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    ErrorKind.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    ErrorKind.CONFLICT: status.HTTP_409_CONFLICT,
    ErrorKind.REFUSED: status.HTTP_422_UNPROCESSABLE_ENTITY,
    ErrorKind.RATE_LIMITED: status.HTTP_429_TOO_MANY_REQUESTS,
    ErrorKind.UPSTREAM_FAILED: status.HTTP_502_BAD_GATEWAY,
    ErrorKind.UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
}

# DRF's own exceptions keep their default codes (`not_authenticated`, `permission_denied`, ...), except these.
_DRF_CODES = {
    exceptions.ValidationError: "invalid_input",
    exceptions.ParseError: "malformed_request",
}


def status_of(error: ApplicationError) -> int:
    return STATUS_OF_KIND[error.kind]


def error_payload(*, code: str, detail: Any, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": str(detail), **extra}


def error_response(error: ApplicationError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return Response(
        error_payload(code=error.code, detail=error.detail, **error.extra),
        status=status_of(error),
        headers=headers,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RedisError):
        # Whatever met Redis down without saying what that means (a plain cache read, say) answers as
        # unavailable for a moment, not as a server error.
        logger.warning("Redis cannot be reached: %s", exc, exc_info=True)
        exc = ServiceDegraded()
    if isinstance(exc, ApplicationError):
        return error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # an unexpected error: Django's 500 handling applies

    code = next((c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)), exc.default_code)
    if isinstance(exc, exceptions.ValidationError):
        payload = error_payload(
            code=code, detail=first_message(exc.detail), errors=as_field_errors(exc.detail)
        )
        # The browsable API refills its form from the serializer that refused the input: keep that link.
        serializer = getattr(exc.detail, "serializer", None)
        response.data = payload if serializer is None else ReturnDict(payload, serializer=serializer)
    elif isinstance(exc.detail, dict):
        # simplejwt's errors: {"detail", "code", "messages": [...]}. The class's code stays the API's code.
        detail = exc.detail.get("detail") or first_message(exc.detail)
        response.data = error_payload(code=code, detail=detail)
    else:
        response.data = error_payload(code=code, detail=exc.detail)
    return response


# --- Errors Django answers before any API view runs (unknown URLs, oversized bodies, crashes) ---------------
# Under /api/ they keep the vocabulary; the website's pages keep Django's own.


def _api_or(page, code: str, detail: Any, status_code: int):
    def handler(request, exception=None, **kwargs):
        if request.path.startswith("/api/"):
            return JsonResponse(error_payload(code=code, detail=detail), status=status_code)
        return page(request, exception, **kwargs) if exception is not None else page(request, **kwargs)

    return handler


bad_request = _api_or(defaults.bad_request, "bad_request", _("The request could not be read."), 400)
page_not_found = _api_or(defaults.page_not_found, "not_found", exceptions.NotFound.default_detail, 404)
server_error = _api_or(defaults.server_error, "server_error", _("Something went wrong on our side."), 500)
