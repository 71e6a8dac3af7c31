"""Middleware every request passes: the Content-Security-Policy header, and query strings refused early."""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation


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
