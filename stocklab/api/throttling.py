"""Rate limits on the guessable doors (rates in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])."""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class AuthRateThrottle(SimpleRateThrottle):
    """Token, refresh and sign-up requests per client IP, signed in or not: a JWT of one account must not
    lift the limit on guessing passwords or making more accounts. The sign-up page counts here too."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class KiwoomConnectRateThrottle(UserRateThrottle):
    """Kiwoom key connects per user: each one asks Kiwoom for a token."""

    scope = "kiwoom_connect"
