"""/ws/v1/live clients for the tests: channels' communicator against the real ASGI application."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from stocklab.asgi import application

ORIGIN = "http://localhost"  # in ALLOWED_HOSTS, as the site's own pages are


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def communicator(*, token: str | None = None, cookie: str | None = None, origin: str | None = ORIGIN):
    headers = []
    if origin:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    path = f"/ws/v1/live?token={token}" if token is not None else "/ws/v1/live"
    return WebsocketCommunicator(application, path, headers=headers)


async def open_live(*, skip_status: bool = True, **kwargs) -> WebsocketCommunicator:
    """A connected client, past the `status` message every connection starts with (unless `skip_status`)."""
    client = communicator(**kwargs)
    connected, _ = await client.connect(timeout=3)
    assert connected
    if skip_status:
        first = await client.receive_json_from(timeout=3)
        assert first["type"] == "status", first
    return client


async def refused(**kwargs) -> tuple[dict, int]:
    """The error message and close code of a connection the server refuses after accepting it."""
    client = communicator(**kwargs)
    connected, _ = await client.connect()
    assert connected
    error = await client.receive_json_from(timeout=3)
    closed = await client.receive_output(timeout=3)
    assert closed["type"] == "websocket.close"
    await client.wait()
    return error, closed["code"]
