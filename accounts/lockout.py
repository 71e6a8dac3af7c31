"""django-axes' lockout, kept in the cache (Redis), explicit about a cache that cannot be reached."""

import logging

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache
from redis.exceptions import RedisError

from stocklab.errors import ServiceDegraded

logger = logging.getLogger(__name__)


class LockoutCacheHandler(AxesCacheHandler):
    """Counting and checking failed logins needs the cache: without it a login is refused (`ServiceDegraded`,
    503) rather than let through uncounted, which would allow unbounded password guessing for as long as the
    outage lasts. Lifting a lockout (a login that succeeded, a password reset) is best effort: a count left
    standing lapses after AXES_COOLOFF_TIME, and can only lock out sooner."""

    def __init__(self):
        pass  # the cache is looked up on each use (below), so that it follows the settings

    @property
    def cache(self):
        return get_cache()

    def get_failures(self, request, credentials=None) -> int:
        try:
            return super().get_failures(request, credentials)
        except RedisError as exc:
            raise ServiceDegraded() from exc

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        try:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        except RedisError as exc:
            raise ServiceDegraded() from exc

    def user_logged_in(self, sender, request, user, **kwargs):
        try:
            return super().user_logged_in(sender, request, user, **kwargs)
        except RedisError as exc:
            logger.warning("Failed logins of %s not reset: the cache cannot be reached (%s)", user.pk, exc)
            return None

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        try:
            return super().reset_attempts(
                ip_address=ip_address, username=username, ip_or_username=ip_or_username
            )
        except RedisError as exc:
            logger.warning("A lockout was not lifted: the cache cannot be reached (%s)", exc)
            return 0
