"""Rate limits (rates in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]): on the guessable doors, and on every
user's calls, reads generously, writes and orders less so."""

import logging
import time

from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle, UserRateThrottle

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


class FairUseThrottle(_CountersCache, BaseThrottle):
    """Per user (per client IP when anonymous): reads (GET, HEAD, OPTIONS) generously (`user_read`); other
    requests in the `user_write` budget, and those of views that say `throttle_scope = "orders"` (each one
    is sent to Kiwoom, which limits the site's calls per key) in the strictest, `orders`, as well.

    Each budget counts as DRF's `UserRateThrottle` would (the same histories under the same keys); the
    budgets of one request are read in one cache round trip and written in another, whether it meets one
    budget or two. These limits keep one client from taking the site's capacity; they guard nothing that
    must not happen twice, so while the cache (Redis) cannot be reached they let requests through rather
    than fail them."""

    timer = time.time
    cache_format = "throttle_%(scope)s_%(ident)s"
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    def scopes(self, request, view) -> list[str]:
        if request.method in SAFE_METHODS:
            return ["user_read"]
        if getattr(view, "throttle_scope", None) == "orders":
            return ["user_write", "orders"]
        return ["user_write"]

    def allow_request(self, request, view) -> bool:
        user = request.user
        ident = user.pk if user and user.is_authenticated else self.get_ident(request)
        budgets = {}  # cache key: (allowed requests, seconds)
        for scope in self.scopes(request, view):
            rate = self.THROTTLE_RATES.get(scope)
            if rate is not None:
                budgets[self.cache_format % {"scope": scope, "ident": ident}] = _parse_rate(rate)
        if not budgets:
            return True
        try:
            histories = self.cache.get_many(list(budgets))
        except RedisError:
            logger.warning("The fair-use throttle let a request through: the cache cannot be reached")
            return True
        now = self.timer()
        self._waits = []
        counted = {}
        for key, (allowed, seconds) in budgets.items():
            # Newest first, as DRF keeps them; what left the window is dropped.
            history = [moment for moment in histories.get(key, []) if moment > now - seconds]
            if len(history) >= allowed:
                self._waits.append(_wait(history, allowed, seconds, now))
            else:
                counted[key] = [now, *history]
        if counted:
            # Histories keep what they need of the window: the longest budget's time serves them all.
            timeout = max(seconds for _, seconds in budgets.values())
            try:
                if len(counted) == 1:
                    self.cache.set(*counted.popitem(), timeout)
                else:
                    self.cache.set_many(counted, timeout)
            except RedisError:
                logger.warning("The fair-use throttle could not count a request: the cache cannot be reached")
        return not self._waits

    def wait(self) -> float | None:
        waits = [wait for wait in self._waits if wait is not None]
        return max(waits) if waits else None


def _parse_rate(rate: str) -> tuple[int, int]:
    """`600/min` -> (600, 60), as DRF reads a rate."""
    allowed, period = rate.split("/")
    return int(allowed), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def _wait(history: list[float], allowed: int, seconds: int, now: float) -> float | None:
    """The seconds until a request over this budget would be allowed, as DRF's `SimpleRateThrottle.wait`."""
    remaining = seconds - (now - history[-1]) if history else seconds
    available = allowed - len(history) + 1
    return None if available <= 0 else remaining / available
