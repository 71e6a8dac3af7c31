"""The API's per-IP limit on password guessing, on the login pages too."""

import math

from django.shortcuts import render
from redis.exceptions import RedisError

from stocklab.api.throttling import AuthRateThrottle
from stocklab.errors import ServiceDegraded


class LoginRateLimitMiddleware:
    """Count every form sent to the site's and the admin's login pages, and to the password-reset page,
    against the token endpoint's budget per client IP (AuthRateThrottle): the lockout (django-axes) stops
    guessing one username, this stops trying one password on many.

    While Redis (where both count) cannot be reached, these pages and the sign-up page answer with a page
    saying so (503, Retry-After) instead of a server error (`AuthRateThrottle`, `accounts.lockout`)."""

    # Every door that checks a password or a second-step code: the site's, the admin's, the browsable API's.
    throttled_views = {"login", "admin:login", "rest_framework:login", "login-otp", "password_reset"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name not in self.throttled_views:
            return None
        throttle = AuthRateThrottle()
        try:
            if throttle.allow_request(request, view=None):
                return None
        except ServiceDegraded as exc:
            return _paused(request, exc)
        wait = math.ceil(throttle.wait() or 1)
        context = {"seconds": wait, "resetting": request.resolver_match.view_name == "password_reset"}
        response = render(request, "accounts/throttled.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None  # the API's exception handler answers in JSON
        if isinstance(exception, ServiceDegraded):
            return _paused(request, exception)
        if isinstance(exception, RedisError):
            return _paused(request, ServiceDegraded())
        return None


def _paused(request, error: ServiceDegraded):
    response = render(request, "accounts/unavailable.html", {"seconds": error.retry_after}, status=503)
    response["Retry-After"] = str(error.retry_after)
    return response
