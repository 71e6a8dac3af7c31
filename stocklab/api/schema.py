"""OpenAPI pieces shared by every endpoint: the error body and the errors any authenticated call can get."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Stable snake_case error code, e.g. `kiwoom_not_connected`."),
        "detail": serializers.CharField(help_text="What went wrong, in words a person can act on."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Per-field messages (`invalid_input` only).",
        ),
        "kiwoom_code": serializers.CharField(required=False, help_text="Kiwoom's own code, e.g. `RC4003`."),
        "kiwoom_message": serializers.CharField(required=False, help_text="Kiwoom's own message."),
    },
)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


THROTTLED = {429: error("`throttled`: too many requests from you; see `Retry-After`.")}
# Every operation can be refused these: bad input, no (valid) identity, the per-user throttles.
ERROR_RESPONSES = {
    400: error("`invalid_input` (with per-field `errors`) or `malformed_request`."),
    401: error(
        "`not_authenticated`, `token_not_valid`, or `authentication_failed` (a wrong password, or a token "
        "whose user is gone or has changed the password since); carries `WWW-Authenticate: Bearer`."
    ),
    **THROTTLED,
}
# And those that take a body, a body of another media type.
BODY_ERRORS = {
    415: error(
        "`unsupported_media_type`: send `application/json`, `application/x-www-form-urlencoded` or "
        "`multipart/form-data`."
    ),
}


def paths_without_trailing_slash(result, generator, request, public):
    """drf-spectacular post-processing: document each path as the prototype's front end calls it (the routers
    accept it with or without the trailing slash, and the schema would otherwise show it with one)."""
    result["paths"] = {path.rstrip("/") or "/": operations for path, operations in result["paths"].items()}
    return result
