"""WebSocket /api/dostk/websocket: LOGIN, PING echo, REG/REMOVE and REAL frames (PROTOCOL.md 5)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from aiohttp import WSMsgType, web

from ..state import STATE, SimState
from ..stream import SYSTEM_HEARTBEAT, SYSTEM_NO_LOGIN, StreamSession

LOGIN_FAILED = {
    "trnm": "LOGIN",
    "return_code": 805004,
    "return_msg": (
        "토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]"
    ),
}
LOGIN_OK = {"trnm": "LOGIN", "return_code": 0, "return_msg": "", "sor_yn": "Y"}
MAX_FRAME_BYTES = 64 * 1024
MAX_REGISTRATIONS = 10_000  # (item, type) pairs per socket


def _parse(message: Any) -> dict[str, Any] | None:
    if message.type != WSMsgType.TEXT:
        return None
    try:
        frame = json.loads(message.data)
    except (ValueError, RecursionError):
        return None
    return frame if isinstance(frame, dict) else None


async def handle(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    # Kiwoom's heartbeat is the application-level PING below; keep the protocol-level one out of the way.
    ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    session = StreamSession(ws, transport=request.transport)
    state.hub.attach(session)
    writer = asyncio.get_running_loop().create_task(session.run_writer())
    pinger: asyncio.Task[None] | None = None
    try:
        if await _login(state, session):
            pinger = asyncio.get_running_loop().create_task(_ping_loop(state, session))
            async for message in ws:
                if session.closing:
                    break
                frame = _parse(message)
                if frame is not None:
                    _dispatch(state, session, frame)
    finally:
        if pinger is not None:
            pinger.cancel()
        session.close()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
            await asyncio.wait_for(writer, timeout=5)
        state.hub.detach(session)
    return ws


async def _login(state: SimState, session: StreamSession) -> bool:
    """Wait for LOGIN; anything else first gets R10004, a bad token 805004 (both close the socket)."""
    try:
        message = await session.ws.receive(timeout=state.config.ws_login_timeout)
    except TimeoutError:
        message = None
    if message is None or message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
        if message is None:
            session.send(SYSTEM_NO_LOGIN)
        session.close()
        return False
    frame = _parse(message)
    if frame is None or frame.get("trnm") != "LOGIN":
        session.send(SYSTEM_NO_LOGIN)
        session.close()
        return False
    return _accept_login(state, session, frame)


def _accept_login(state: SimState, session: StreamSession, frame: dict[str, Any]) -> bool:
    """Check a LOGIN frame's token, on a fresh socket or again later: LOGIN_OK, or 805004 and a close."""
    value = frame.get("token")
    token = state.tokens.lookup(value, state.clock.now()) if isinstance(value, str) else None
    refused = state.faults.take_websocket("ws_refuse_login") is not None
    if token is None or token.app_key not in state.engine.accounts or refused:
        session.send(LOGIN_FAILED)
        session.close()
        return False
    session.token = token.value
    state.hub.login(session, token.app_key)
    session.send(LOGIN_OK)
    return True


async def _ping_loop(state: SimState, session: StreamSession) -> None:
    """Send PING every interval; after `ws_max_missed_pings` unanswered ones, R10002 and close."""
    while not session.closing:
        await asyncio.sleep(state.settings.ws_ping_interval)
        if session.stalled_until > time.monotonic():
            continue  # a stalled server sends nothing, and so expects no echo
        if session.awaiting_echo:
            session.missed_pings += 1
            if session.missed_pings >= state.settings.ws_max_missed_pings:
                session.send(SYSTEM_HEARTBEAT)
                session.close()
                return
        session.awaiting_echo = True
        session.send({"trnm": "PING"})


def _dispatch(state: SimState, session: StreamSession, frame: dict[str, Any]) -> None:
    """Answer one frame of a logged-in socket."""
    trnm = frame.get("trnm")
    if trnm == "PING":
        session.awaiting_echo = False
        session.missed_pings = 0
    elif trnm in ("REG", "REMOVE"):
        session.send(_register(session, frame, remove=trnm == "REMOVE"))
    elif trnm == "LOGIN":
        _accept_login(state, session, frame)
    # Other frames (condition search, unknown trnm) are not simulated and get no answer.


def _as_list(value: Any) -> list[str] | None:
    """`item`/`type` are arrays of strings on the wire; the guide's table shows scalars, so take both."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _register(session: StreamSession, frame: dict[str, Any], remove: bool) -> dict[str, Any]:
    trnm = "REMOVE" if remove else "REG"
    data = frame.get("data")
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        return {"trnm": trnm, "return_code": 1, "return_msg": "data 항목이 없습니다"}
    pairs: set[tuple[str, str]] = set()
    for entry in data:
        items = _as_list(entry.get("item", [""])) if isinstance(entry, dict) else None
        types = _as_list(entry.get("type")) if isinstance(entry, dict) else None
        if items is None or not types:
            return {"trnm": trnm, "return_code": 1, "return_msg": "item/type 형식이 올바르지 않습니다"}
        pairs.update((item, type_code) for type_code in types for item in items or [""])
    group = str(frame.get("grp_no", "1"))
    registered = session.registrations.get(group, set())
    if remove:
        for item, type_code in pairs:
            # Removing with an empty item drops the type for every item.
            registered -= {p for p in registered if p[1] == type_code and (not item or p[0] == item)}
    else:
        kept = set() if str(frame.get("refresh", "1")) == "0" else registered
        others = sum(len(r) for g, r in session.registrations.items() if g != group)
        if others + len(kept | pairs) > MAX_REGISTRATIONS:
            # Kiwoom's limit is undocumented; one is needed so a socket cannot grow without bound.
            return {"trnm": trnm, "return_code": 1, "return_msg": "등록 종목수 초과"}
        registered = kept | pairs
    if registered:
        session.registrations[group] = registered
    else:
        session.registrations.pop(group, None)
    return {"trnm": trnm, "return_code": 0, "return_msg": ""}
