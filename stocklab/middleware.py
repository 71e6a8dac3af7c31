"""Middleware every request passes: its request id (in the logs too), the Content-Security-Policy header, and
query strings refused early."""

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.signals import request_finished
from django.dispatch import receiver

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's (or a proxy's) id is kept when it is short and plain: it goes into logs and the audit trail.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_current_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def current_request_id() -> str:
    """The id of the request being answered, or "-" outside one (a Celery task, a command)."""
    return _current_request_id.get()


def current_client_ip() -> str | None:
    """The client IP of the request being answered (as django-axes reads it, proxies counted), or None
    outside one: services that record an audit event have no request at hand."""
    return _current_client_ip.get()


class RequestIdMiddleware:
    """Give every request an id: the caller's `X-Request-ID` if it is sane, else a new one. It is sent back
    in the same header, set as `request.request_id`, and put on every log record (RequestIdLogFilter), so
    that one id ties a caller's report, the logs and the audit trail together. The client's IP is kept
    beside it for the audit events that services record."""

    def __init__(self, get_response):
        # Here, not at the top: logging imports this module (RequestIdLogFilter) before the apps are ready,
        # and django-axes' helpers import its models. Its reading of the IP is the site's (proxies counted).
        from axes.helpers import get_client_ip_address

        self.get_response = get_response
        self.client_ip = get_client_ip_address

    def __call__(self, request):
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        # Kept until the response is closed (request_finished): Django logs a 4xx/5xx after the middleware.
        _current_request_id.set(request.request_id)
        _current_client_ip.set(self.client_ip(request))
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


@receiver(request_finished, dispatch_uid="stocklab.middleware.request_id_finished")
def _forget_request_id(sender, **kwargs):
    _current_request_id.set("-")
    _current_client_ip.set(None)


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every record (for the formatter's `%(request_id)s`); lets every record through."""

    def filter(self, record):
        record.request_id = _current_request_id.get()
        return True


class ContentSecurityPolicyMiddleware:
    """Send `settings.SECURE_CSP` ({directive: [sources]}) as the Content-Security-Policy of every response.

    Django 6.0 brings a middleware of this name reading the same setting; it needs Python 3.12, and this one
    gives way to it then."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = "; ".join(f"{name} {' '.join(sources)}" for name, sources in settings.SECURE_CSP.items())
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class NulInQueryString(SuspiciousOperation):
    pass


class RejectNulInQueryStringMiddleware:
    """Answer 400 to a NUL byte in a query parameter's name or value, before any view sees it.

    PostgreSQL cannot compare a string holding one, so a filter that reaches the database with it (an admin
    list filter, a search) would otherwise fail with a 500; no page or endpoint has a use for one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\0" in text for name, values in request.GET.lists() for text in (name, *values)):
            # Django answers a SuspiciousOperation with its 400 handler (JSON under /api/) and logs it.
            raise NulInQueryString("A NUL byte in the query string")
        return self.get_response(request)
