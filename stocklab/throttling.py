"""Rate limits on the API's guessable doors (rates in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])."""

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AuthRateThrottle(AnonRateThrottle):
    """Token, refresh and sign-up requests per client IP."""

    scope = "auth"


class KiwoomConnectRateThrottle(UserRateThrottle):
    """Kiwoom key connects per user: each one asks Kiwoom for a token."""

    scope = "kiwoom_connect"
