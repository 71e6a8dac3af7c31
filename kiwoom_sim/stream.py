"""WebSocket sessions and the delivery of real-time `00`/`04` frames to the account that owns them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

REAL_NAMES = {"00": "주문체결", "04": "현물잔고"}

SYSTEM_DUPLICATE = {
    "trnm": "SYSTEM",
    "code": "R10001",
    "message": "동일한 App key로 접속이 되었습니다. 기존 세션은 종료가 됩니다",
}
SYSTEM_HEARTBEAT = {
    "trnm": "SYSTEM",
    "code": "R10002",
    "message": "사용자 프로그램으로부터 Heartbeat(연결유지) 메시지가 오지않아서 접속을 종료합니다",
}
SYSTEM_NO_LOGIN = {"trnm": "SYSTEM", "code": "R10004", "message": "접속허용요청(토큰)이 들어오지 않았습니다"}

_CLOSE = object()  # queue sentinel: close the socket after everything before it was sent


@dataclass(eq=False)
class StreamSession:
    """One WebSocket connection; every outgoing frame goes through `queue` so frames keep their order."""

    ws: web.WebSocketResponse
    app_key: str | None = None
    registrations: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    awaiting_echo: bool = False
    missed_pings: int = 0
    closing: bool = False

    def send(self, frame: dict[str, Any]) -> None:
        if not self.closing:
            self.queue.put_nowait(frame)

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            self.queue.put_nowait(_CLOSE)

    def wants(self, type_code: str) -> bool:
        return any(t == type_code for regs in self.registrations.values() for _, t in regs)

    async def run_writer(self) -> None:
        """Send queued frames until the close sentinel, then close the socket."""
        while True:
            frame = await self.queue.get()
            if frame is _CLOSE:
                break
            try:
                await self.ws.send_json(frame, dumps=_dumps)
            except (ConnectionError, RuntimeError):
                break
        if not self.ws.closed:
            await self.ws.close()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class StreamHub:
    """Logged-in sessions by app key (one per key: a second login kicks the first with R10001)."""

    def __init__(self) -> None:
        self.by_app_key: dict[str, StreamSession] = {}
        self.sessions: set[StreamSession] = set()

    def attach(self, session: StreamSession) -> None:
        self.sessions.add(session)

    def detach(self, session: StreamSession) -> None:
        self.sessions.discard(session)
        if session.app_key is not None and self.by_app_key.get(session.app_key) is session:
            del self.by_app_key[session.app_key]

    def login(self, session: StreamSession, app_key: str) -> None:
        """Bind the session to `app_key` (and only to it), kicking another session of that key."""
        if session.app_key is not None and self.by_app_key.get(session.app_key) is session:
            del self.by_app_key[session.app_key]
        previous = self.by_app_key.get(app_key)
        if previous is not None and previous is not session:
            previous.send(SYSTEM_DUPLICATE)
            previous.close()
        session.app_key = app_key
        self.by_app_key[app_key] = session

    def deliver(self, app_key: str, type_code: str, item: str, build: Callable[[], dict[str, str]]) -> None:
        session = self.by_app_key.get(app_key)
        if session is None or session.closing or not session.wants(type_code):
            return
        session.send(
            {
                "trnm": "REAL",
                "data": [
                    {
                        "type": type_code,
                        "name": REAL_NAMES.get(type_code, ""),
                        "item": item,
                        "values": build(),
                    }
                ],
            }
        )

    def close_all(self) -> None:
        for session in list(self.sessions):
            session.close()
        self.by_app_key.clear()
