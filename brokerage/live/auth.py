"""Who is on the other end of a /ws/v1/live socket: a page (its session) or a script (`?token=<JWT access>`).

A browser cannot set headers on a WebSocket, so scripts pass their access token in the query string. A token
that is there but not a valid, current access token (bad, expired, a refresh token, a changed password) is
refused even when a session cookie came along: the consumer accepts, says why, and closes with
`CLOSE_UNAUTHENTICATED`, so that the client can tell "log in again" from a network failure.

One middleware does what Channels' cookie, session and auth middleware would, and hands the consumer a scope
of its own with only what it reads: each of those middleware keeps a copy of the scope (and the session's
objects) alive for as long as the socket is open, which thousands of open pages pay for in memory.
"""

from __future__ import annotations

from importlib import import_module
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken

# The close code of a refused handshake (4000-4999 are the application's; 4401 reads as HTTP's 401).
CLOSE_UNAUTHENTICATED = 4401
# Where the middleware leaves the reason a token was refused, for the consumer: one of the error codes below.
AUTH_ERROR = "live_auth_error"
TOKEN_EXPIRED = "token_expired"
# Where the middleware leaves a token's `exp` (seconds since the epoch): the consumer closes the socket then.
TOKEN_EXP = "live_token_exp"
SESSION_KEY = "live_session_key"
TOKEN_INVALID = "token_invalid"
NOT_AUTHENTICATED = "not_authenticated"
# What the consumer and the URL router read of the handshake's scope; the rest is left behind.
SCOPE_KEYS = (
    "type",
    "asgi",
    "http_version",
    "scheme",
    "server",
    "client",
    "path",
    "root_path",
    "subprotocols",
)


@database_sync_to_async
def _token_user(raw: str):
    """(user, error, exp): the user an access token names and its expiry, or the error that refuses it."""
    try:
        token = AccessToken(raw)  # checks the signature, the expiry and that it is an access token
    except ExpiredTokenError:
        return None, TOKEN_EXPIRED, None
    except TokenError:
        return None, TOKEN_INVALID, None
    try:
        # The API's own checks: the user exists, is active, and has not changed the password since.
        return JWTAuthentication().get_user(token), None, token.get("exp")
    except AuthenticationFailed:
        return None, TOKEN_INVALID, None


def _header(scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return value.decode("latin-1")
    return None


def _session_key(scope) -> str:
    return parse_cookie(_header(scope, b"cookie") or "").get(settings.SESSION_COOKIE_NAME) or ""


async def _session_user(scope):
    """The user of the page's session cookie (Django's checks: backend, session hash), else anonymous."""
    session_key = parse_cookie(_header(scope, b"cookie") or "").get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return AnonymousUser()
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return await get_user({"session": session})


class LiveAuthMiddleware:
    """`?token=<access>` authenticates the socket; without one, only a browser's session counts."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        live_scope = {key: scope[key] for key in SCOPE_KEYS if key in scope}
        tokens = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True).get(
            "token"
        )
        if tokens:
            user, error, exp = await _token_user(tokens[0])
            live_scope["user"] = user or AnonymousUser()
            if error:
                live_scope[AUTH_ERROR] = error
            elif exp is not None:
                live_scope[TOKEN_EXP] = exp
        elif _header(scope, b"origin") is None:
            # Browsers always send Origin with a WebSocket handshake, and only a browser's cookies can be
            # borrowed by another site: a client without one is a script, and scripts use tokens.
            live_scope["user"] = AnonymousUser()
        else:
            live_scope["user"] = await _session_user(scope)
            if live_scope["user"].is_authenticated:
                live_scope[SESSION_KEY] = _session_key(scope)
        return await self.inner(live_scope, receive, send)


class _OriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin):
        # No Origin: not a browser, so no cross-site use of a session; the token middleware requires a token.
        return parsed_origin is None or super().valid_origin(parsed_origin)


def LiveOriginValidator(application):
    """channels' AllowedHostsOriginValidator, also letting scripts (which send no Origin) through."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return _OriginValidator(application, allowed_hosts)


def LiveAuthMiddlewareStack(inner):
    """A query token, else the page's session (kept for stocklab.asgi's name)."""
    return LiveAuthMiddleware(inner)
