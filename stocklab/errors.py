"""The one error vocabulary of every domain: a stable snake_case `code`, a human `detail`, and a `kind`.

Domains raise these; they know no HTTP. The API layer (`stocklab.api.errors`) answers each kind with one
status, so a code always comes with the same status.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _


class ErrorKind(StrEnum):
    """What kind of failure it is, for whoever answers the caller."""

    INVALID = "invalid"  # the request itself is wrong
    FORBIDDEN = "forbidden"  # not allowed for this user or this site
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # not possible in the current state of things (connect first, wait, ...)
    REFUSED = "refused"  # understood, and refused by a rule (a guardrail, Kiwoom's rejection)
    RATE_LIMITED = "rate_limited"  # too many; `retry_after` says when to come back
    UPSTREAM_FAILED = "upstream_failed"  # Kiwoom answered with something that cannot be used
    UNAVAILABLE = "unavailable"  # something we depend on cannot be reached now


class ApplicationError(Exception):
    """A failure reported to the caller; subclasses fix the code and the kind."""

    code: str = "error"
    kind: ErrorKind = ErrorKind.INVALID
    default_detail: Any = _("The request could not be completed.")

    def __init__(
        self, detail: Any = None, *, extra: dict[str, Any] | None = None, retry_after: int | None = None
    ) -> None:
        self.detail = str(detail if detail is not None else self.default_detail)
        self.extra = extra or {}
        self.retry_after = retry_after
        super().__init__(self.detail)

    def __reduce__(self):
        # An exception pickles as `cls(*args)`, which would drop `extra` and `retry_after`: a failure kept in
        # the cache (and raised again for other requests) must answer exactly as the original did.
        return _unpickle_application_error, (type(self), self.detail, self.extra, self.retry_after)


def _unpickle_application_error(cls, detail, extra, retry_after) -> ApplicationError:
    error = cls.__new__(cls)
    ApplicationError.__init__(error, detail, extra=extra, retry_after=retry_after)
    return error


class ServiceDegraded(ApplicationError):
    """Something the request needs for its safety (Redis: the shared rate limiter, locks, login counters)
    cannot be reached: nothing was done; the same request may succeed after `retry_after` seconds."""

    code = "service_degraded"
    kind = ErrorKind.UNAVAILABLE
    default_detail = _("This is paused for a moment while part of the service recovers. Try again shortly.")
    # Long enough for a restarted Redis to answer again, short enough that nobody gives up.
    default_retry_after = 5

    def __init__(
        self, detail: Any = None, *, extra: dict[str, Any] | None = None, retry_after: int | None = None
    ) -> None:
        retry_after = self.default_retry_after if retry_after is None else retry_after
        super().__init__(detail, extra=extra, retry_after=retry_after)


class InvalidInput(ApplicationError):
    """Input that a service refused; `errors` maps each field to its messages, as for serializer errors."""

    code = "invalid_input"
    default_detail = _("Invalid input.")

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> InvalidInput:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return cls(first_message(errors), extra={"errors": errors})


def as_field_errors(detail: Any) -> dict[str, list[str]]:
    """Messages by field (`non_field_errors` for the rest), from DRF's or Django's nested error shapes."""
    if isinstance(detail, dict):
        return {field: [str(m) for m in _flatten(messages)] for field, messages in detail.items()}
    return {"non_field_errors": [str(m) for m in _flatten(detail)]}


def first_message(detail: Any) -> str:
    errors = as_field_errors(detail)
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
