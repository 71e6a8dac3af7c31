"""Django's Redis cache, for what is only a cache: an unreachable Redis is a miss, not an error.

The settings give one Redis two aliases (README "When Redis is down"): `default`, this one, for figures that
can always be read again from their source (a quote, a balance, a sync's marker), and `counters`, Django's
own, for the login lockout and the request limits, whose callers decide what an outage means for them. Both
hold the same keys: clearing one clears the other.
"""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ForgivingRedisCache(RedisCache):
    """A read that cannot reach Redis finds nothing; a write that cannot is dropped (both logged)."""

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            return _skipped("read", exc, default)

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            return _skipped("read", exc, {})

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as exc:
            return _skipped("read", exc, False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as exc:
            return _skipped("write", exc, False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            _skipped("write", exc, None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            return _skipped("write", exc, list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as exc:
            return _skipped("write", exc, False)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as exc:
            return _skipped("write", exc, False)


def _skipped(what: str, exc: RedisError, answer):
    logger.warning("Cache %s skipped, Redis cannot be reached: %s", what, exc)
    return answer
