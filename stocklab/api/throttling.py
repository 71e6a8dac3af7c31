"""Rate limits (rates in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]): on the guessable doors, and on every
user's calls, reads generously, writes and orders less so."""

import logging

from redis.exceptions import RedisError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class AuthRateThrottle(SimpleRateThrottle):
    """Token, refresh and sign-up requests per client IP, signed in or not: a JWT of one account must not
    lift the limit on guessing passwords or making more accounts. The sign-up and login pages (the admin's
    too) and password-reset requests count here as well."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class KiwoomConnectRateThrottle(UserRateThrottle):
    """Kiwoom key connects per user: each one asks Kiwoom for a token."""

    scope = "kiwoom_connect"


class _FairUseThrottle(UserRateThrottle):
    """Per user (per client IP when anonymous), for the requests `applies` picks.

    These limits keep one client from taking the site's capacity; they guard nothing that must not happen
    twice, so while the cache (Redis) cannot be reached they let requests through rather than fail them."""

    def applies(self, request, view) -> bool:
        raise NotImplementedError

    def allow_request(self, request, view):
        if not self.applies(request, view):
            return True
        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("The %s throttle let a request through: the cache cannot be reached", self.scope)
            return True


class UserReadRateThrottle(_FairUseThrottle):
    """Reads (GET, HEAD, OPTIONS): generous, for pages that poll."""

    scope = "user_read"

    def applies(self, request, view) -> bool:
        return request.method in SAFE_METHODS


class UserWriteRateThrottle(_FairUseThrottle):
    """Everything else (POST, PUT, PATCH, DELETE)."""

    scope = "user_write"

    def applies(self, request, view) -> bool:
        return request.method not in SAFE_METHODS


class OrderRateThrottle(_FairUseThrottle):
    """Order requests (placing, modifying, cancelling): writes of views that say `throttle_scope = "orders"`.
    Each one is sent to Kiwoom, which limits the site's calls per key."""

    scope = "orders"

    def applies(self, request, view) -> bool:
        return request.method not in SAFE_METHODS and getattr(view, "throttle_scope", None) == self.scope
