"""The API's one error vocabulary: every error is `{code, detail}` with one HTTP status (mapped here)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A failure the API reports to its caller; subclasses fix the code and the HTTP status."""

    code: str = "error"
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail: Any = _("The request could not be completed.")

    def __init__(self, detail: Any = None, *, extra: dict[str, Any] | None = None, headers=None) -> None:
        self.detail = str(detail if detail is not None else self.default_detail)
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(self.detail)

    def __reduce__(self):
        # An exception pickles as `cls(*args)`, which would drop `extra` and `headers`: a failure kept in the
        # cache (and raised again for other requests) must answer exactly as the original did.
        return _unpickle_application_error, (type(self), self.detail, self.extra, self.headers)


def _unpickle_application_error(cls, detail, extra, headers) -> ApplicationError:
    error = cls.__new__(cls)
    ApplicationError.__init__(error, detail, extra=extra, headers=headers)
    return error


class InvalidInput(ApplicationError):
    """Input that a service refused; `errors` maps each field to its messages, as for serializer errors."""

    code = "invalid_input"
    default_detail = _("Invalid input.")

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> InvalidInput:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return cls(_first_message(errors), extra={"errors": errors})


# DRF's own exceptions keep their default codes (`not_authenticated`, `permission_denied`, ...), except these.
_DRF_CODES = {
    exceptions.ValidationError: "invalid_input",
    exceptions.ParseError: "malformed_request",
}


def error_payload(*, code: str, detail: Any, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": str(detail), **extra}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(
            error_payload(code=exc.code, detail=exc.detail, **exc.extra),
            status=exc.status_code,
            headers=exc.headers,
        )
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
            code=code, detail=_first_message(exc.detail), errors=_as_field_errors(exc.detail)
        )
        # The browsable API refills its form from the serializer that refused the input: keep that link.
        serializer = getattr(exc.detail, "serializer", None)
        response.data = payload if serializer is None else ReturnDict(payload, serializer=serializer)
    elif isinstance(exc.detail, dict):
        # simplejwt's errors: {"detail", "code", "messages": [...]}. The class's code stays the API's code.
        detail = exc.detail.get("detail") or _first_message(exc.detail)
        response.data = error_payload(code=code, detail=detail)
    else:
        response.data = error_payload(code=code, detail=exc.detail)
    return response


def _as_field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {field: [str(m) for m in _flatten(messages)] for field, messages in detail.items()}
    return {"non_field_errors": [str(m) for m in _flatten(detail)]}


def _first_message(detail: Any) -> str:
    errors = _as_field_errors(detail)
    for field, messages in errors.items():
        if messages:
            return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
    return str(_("Invalid input."))


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _flatten(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _flatten(v)]
    return [value]


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
