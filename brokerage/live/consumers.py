"""/ws/v1/live: a user's orders, balance, prices and stream status, pushed to their pages and scripts.

Protocol (README "Live updates"): the server sends JSON objects with a `type` of `status`, `order`,
`balance`, `price`, `book`, `subscribed` (the connection's codes after a subscribe or unsubscribe), `pong` or
`error` (`code`, `detail`). The client sends `{"type": "subscribe" | "unsubscribe", "codes": [...]}` for price
ticks, or `{"type": "ping"}`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from brokerage.connections.models import CredentialStatus, KiwoomCredential
from brokerage.live import interest, publish
from brokerage.live.auth import (
    AUTH_ERROR,
    CLOSE_UNAUTHENTICATED,
    NOT_AUTHENTICATED,
    SESSION_KEY,
    TOKEN_EXP,
    TOKEN_EXPIRED,
)
from brokerage.live.models import StreamState, StreamStatus
from brokerage.live.publish import code_group, session_group, status_message, user_group
from brokerage.market.services import WATCHLIST_ITEMS_MAX

logger = logging.getLogger(__name__)

# Messages about one stock: a connection gets only those of the codes it subscribed to.
PER_CODE_TYPES = frozenset({"price", "book"})
SESSION_ENDED = "session_ended"


def subscribe_limit() -> int:
    """Codes one socket may follow: never fewer than a watchlist holds, which a page subscribes at once."""
    return max(settings.LIVE_SUBSCRIBE_LIMIT, WATCHLIST_ITEMS_MAX)


def _auth_detail(code: str) -> str:
    if code == TOKEN_EXPIRED:
        return _("The access token has expired: refresh it (POST /api/v1/auth/token/refresh) and reconnect.")
    if code == SESSION_ENDED:
        return _("You logged out or changed your password: log in again.")
    if code == NOT_AUTHENTICATED:
        return _("Log in, or pass a JWT access token as ?token=<access>.")
    return _("The token is not a valid access token (a refresh token is not accepted here).")


@database_sync_to_async
def stream_status(user_id: int) -> dict:
    """The `status` message for the user's Kiwoom stream, as the stream processes last wrote it."""
    credentials = KiwoomCredential.objects.filter(user_id=user_id, status=CredentialStatus.ACTIVE)
    if not credentials.exists():
        return status_message("idle", _("No Kiwoom keys are connected."))
    # With keys for mock and real, the best stream speaks for the page (each sends its own changes later).
    states = {row.state: row for row in StreamState.objects.filter(credential__in=credentials)}
    if StreamStatus.LIVE in states:
        return status_message("live")
    for state in (StreamStatus.RECONNECTING, StreamStatus.DOWN, StreamStatus.STOPPED):
        if state in states:
            row = states[state]
            reason = row.reason or row.last_error or _("The live stream is stopped.")
            return status_message("reconnecting" if state == StreamStatus.RECONNECTING else "down", reason)
    return status_message("down", _("No stream process has picked up your keys yet."))


class _InterestRefresher:
    """Keeps the interest of this process's connections alive (entries lapse after LIVE_INTEREST_TTL): one
    task for all of them, not one per socket, which thousands of open pages would pay for in memory."""

    def __init__(self) -> None:
        self.consumers: set[LiveConsumer] = set()
        self.task: asyncio.Task | None = None

    def add(self, consumer: LiveConsumer) -> None:
        self.consumers.add(consumer)
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self._run())

    def discard(self, consumer: LiveConsumer) -> None:
        self.consumers.discard(consumer)

    async def _run(self) -> None:
        while self.consumers:
            await asyncio.sleep(settings.LIVE_INTEREST_REFRESH_SECONDS)
            for consumer in list(self.consumers):
                await consumer.refresh_interest()


_refresher = _InterestRefresher()


class LiveConsumer(AsyncJsonWebsocketConsumer):
    user_id: int | None = None
    session_key: str = ""
    codes: set[str]
    _expiry: asyncio.TimerHandle | None = None
    _expiry_task: asyncio.Task | None = None

    # --- connection -----------------------------------------------------------------------------------------

    async def connect(self):
        self.codes = set()
        user = self.scope.get("user")
        refused = self.scope.get(AUTH_ERROR) or (
            None if user is not None and user.is_authenticated else NOT_AUTHENTICATED
        )
        if refused:
            # Accepted only to say why: a refused handshake reaches the client as a bare 1006.
            await self.accept()
            await self.send_json({"type": "error", "code": refused, "detail": _auth_detail(refused)})
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        self.session_key = self.scope.get(SESSION_KEY) or ""
        if self.session_key:
            await self.channel_layer.group_add(session_group(self.session_key), self.channel_name)
        await self.accept()
        await self.send_json(await stream_status(self.user_id))
        exp = self.scope.get(TOKEN_EXP)
        if exp is not None:
            # Checked only at the handshake otherwise: a token socket would outlive its token.
            delay = max(0.0, float(exp) - time.time())
            self._expiry = asyncio.get_running_loop().call_later(delay, self._token_expired)

    def _token_expired(self) -> None:
        # The loop keeps only a weak reference to a task: this one is held until it is done.
        self._expiry_task = asyncio.ensure_future(self._refuse(TOKEN_EXPIRED))

    async def _refuse(self, code: str) -> None:
        """Say why and close with CLOSE_UNAUTHENTICATED (the token expired, the user logged out)."""
        if self.user_id is None:
            return
        await self.send_json({"type": "error", "code": code, "detail": _auth_detail(code)})
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def disconnect(self, code):
        if self._expiry is not None:
            self._expiry.cancel()
        if self.user_id is None:
            return
        _refresher.discard(self)
        await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)
        if self.session_key:
            await self.channel_layer.group_discard(session_group(self.session_key), self.channel_name)
        if self.codes:
            await self._groups(self.channel_layer.group_discard, self.codes)
            await self._interest(interest.interest_remove, codes=None)

    # --- from the client ------------------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.user_id is None:
            return
        try:
            content = json.loads(text_data if text_data is not None else bytes_data)
        except (TypeError, ValueError):
            await self._error("invalid_json", _('Messages are JSON objects, such as {"type": "ping"}.'))
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind in ("subscribe", "unsubscribe"):
            codes = await self._codes(content)
            if codes is None:
                return
            if kind == "subscribe":
                await self._subscribe(codes)
            else:
                await self._unsubscribe(codes)
        else:
            await self._error(
                "unknown_type", _("The message's type must be one of: subscribe, unsubscribe, ping.")
            )

    async def _codes(self, content) -> list[str] | None:
        codes = content.get("codes")
        if not isinstance(codes, list) or not codes:
            await self._error("invalid_codes", _('Give the codes as a list, such as ["005930"].'))
            return None
        bad = [code for code in codes if not (isinstance(code, str) and interest.CODE_SHAPE.fullmatch(code))]
        if bad:
            shown = ", ".join(json.dumps(code, ensure_ascii=False) for code in bad[:5])
            detail = _("A stock code is six letters or digits, such as 005930; not: %(codes)s.")
            await self._error("invalid_codes", detail % {"codes": shown})
            return None
        return list(dict.fromkeys(codes))

    async def _subscribe(self, codes: list[str]) -> None:
        limit = subscribe_limit()
        new = [code for code in codes if code not in self.codes]
        # The first codes that fit are followed; the rest are named in an error (not the whole list refused).
        room = max(0, limit - len(self.codes))
        new, refused = new[:room], new[room:]
        if refused:
            shown = ", ".join(refused[:10]) + (" …" if len(refused) > 10 else "")
            detail = ngettext(
                "A connection follows at most %(limit)d code; not followed: %(codes)s.",
                "A connection follows at most %(limit)d codes; not followed: %(codes)s.",
                limit,
            ) % {"limit": limit, "codes": shown}
            message = {"type": "error", "code": "too_many_codes", "detail": detail, "codes": refused}
            await self.send_json(message)
            if not new:
                return
        self.codes.update(new)
        await self._groups(self.channel_layer.group_add, new)
        _refresher.add(self)
        await self._interest(interest.interest_add, codes=sorted(self.codes))
        await self._subscribed()

    async def _unsubscribe(self, codes: list[str]) -> None:
        gone = [code for code in codes if code in self.codes]
        self.codes.difference_update(gone)
        if gone:
            await self._groups(self.channel_layer.group_discard, gone)
            await self._interest(interest.interest_remove, codes=gone)
        await self._subscribed()

    async def _groups(self, change, codes) -> None:
        """Join or leave the codes' groups (prices and books are sent once per code, to its group)."""
        await asyncio.gather(*(change(code_group(code), self.channel_name) for code in codes))

    async def _subscribed(self) -> None:
        await self.send_json({"type": "subscribed", "codes": sorted(self.codes)})

    async def _error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    # --- interest (which codes the stream registers at Kiwoom for this user) --------------------------------

    async def _interest(self, function, **kwargs) -> None:
        try:
            # Not thread-sensitive: Redis round trips need not queue behind the ORM's thread.
            await sync_to_async(function, thread_sensitive=False)(
                user_id=self.user_id, connection_id=self.channel_name, **kwargs
            )
        except Exception:
            # The connection still works (orders, balance); the next refresh tries again.
            logger.warning("live: could not record the interest of user %s", self.user_id, exc_info=True)

    async def refresh_interest(self) -> None:
        if self.codes:
            await self._interest(interest.interest_add, codes=sorted(self.codes))

    # --- from the channel layer (brokerage.live.publish) ----------------------------------------------------

    async def live_message(self, event):
        """A message of `brokerage.live.publish` (its HANDLER, "live.message", names this method)."""
        message = event["message"]
        if message.get("type") == publish.SESSION_ENDED:
            # brokerage.live.receivers: the user logged out or changed the password.
            await self._refuse(SESSION_ENDED)
            return
        # A tick sent while an unsubscribe was leaving the code's group still stops here.
        if message.get("type") in PER_CODE_TYPES and message.get("stock_code") not in self.codes:
            return
        await self.send_json(message)
