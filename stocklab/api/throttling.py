"""Rate limits (rates in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]): on the guessable doors, and on every
user's calls, reads generously, writes and orders less so."""

import logging

from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from stocklab.errors import ServiceDegraded

logger = logging.getLogger(__name__)


class _CountersCache:
    """The throttles count in the `counters` cache, which reports an unreachable Redis (each throttle says
    what that means for it), rather than the forgiving `default` one (stocklab.cache)."""

    @property
    def cache(self):
        return caches["counters"]


class AuthRateThrottle(_CountersCache, SimpleRateThrottle):
    """Token, refresh and sign-up requests per client IP, signed in or not: a JWT of one account must not
    lift the limit on guessing passwords or making more accounts. The sign-up and login pages (the admin's
    too) and password-reset requests count here as well.

    While the cache (Redis) cannot be reached these doors close (`ServiceDegraded`, 503): with the lockout
    (django-axes, in the same cache) this limit is all that bounds guessing passwords, usernames and
    mailboxes, and it would be unbounded for as long as the outage lasts. Whoever is signed in stays signed
    in (sessions live in PostgreSQL, access tokens in themselves)."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            logger.warning("The %s throttle refused a request: the cache cannot be reached", self.scope)
            raise ServiceDegraded() from exc


class KiwoomConnectRateThrottle(_CountersCache, UserRateThrottle):
    """Kiwoom key connects per user: each one asks Kiwoom for a token (which needs Redis anyway, so while it
    cannot be reached a connect answers 503 `service_degraded`)."""

    scope = "kiwoom_connect"

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            raise ServiceDegraded() from exc


class _FairUseThrottle(_CountersCache, UserRateThrottle):
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
