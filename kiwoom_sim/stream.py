"""WebSocket sessions: delivery of `00`/`04` frames to the account that owns them, `0B`/`0D` market frames to
the sockets that registered a code, the one-session-per-app-key rule, and counts for tests (`/_sim/stream`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .orderbook import book_levels
from .protocol import signed_price

if TYPE_CHECKING:
    from datetime import datetime

    from .book import Engine
    from .market import Market, Stock
    from .tokens import TokenStore

REAL_NAMES = {"00": "주문체결", "04": "현물잔고", "0B": "주식체결", "0D": "주식호가잔량"}
MARKET_TYPES = ("0B", "0D")

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
    # The token the session logged in with: once it expires or is revoked, the session is closed.
    token: str | None = None
    registrations: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    awaiting_echo: bool = False
    missed_pings: int = 0
    closing: bool = False
    # Fault `stall`: nothing is sent (PINGs included) until this monotonic time.
    stalled_until: float = 0.0
    transport: asyncio.BaseTransport | None = None

    def send(self, frame: dict[str, Any] | str) -> None:
        """Queue a frame (a dict, or JSON text already serialized for many sockets)."""
        if not self.closing:
            self.queue.put_nowait(frame)

    def drop(self) -> None:
        """Fault `drop`: cut the TCP connection, no close frame."""
        self.closing = True
        if self.transport is not None:
            self.transport.close()
        self.queue.put_nowait(_CLOSE)

    def market_codes(self, type_code: str) -> set[str]:
        return {item for regs in self.registrations.values() for item, t in regs if t == type_code and item}

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
            stall = self.stalled_until - time.monotonic()
            if stall > 0:
                await asyncio.sleep(stall)
            try:
                if isinstance(frame, str):
                    await self.ws.send_str(frame)
                else:
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
        # For tests: successful LOGINs, R10001 kicks and the most sessions logged in at once, per app key.
        self.logins: dict[str, int] = {}
        self.replaced: dict[str, int] = {}
        self.max_concurrent: dict[str, int] = {}
        self.frames_sent: dict[str, int] = {}
        # What was last pushed per code: a code that did not trade gets no 0B, an unchanged book no 0D.
        self._last_trade: dict[str, tuple[int, int]] = {}
        self._last_book: dict[str, Any] = {}

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
            self.replaced[app_key] = self.replaced.get(app_key, 0) + 1
            previous.send(SYSTEM_DUPLICATE)
            previous.close()
        session.app_key = app_key
        self.by_app_key[app_key] = session
        self.logins[app_key] = self.logins.get(app_key, 0) + 1
        # Sessions of the key still open, the kicked one included until its socket is gone.
        concurrent = sum(1 for s in self.sessions if s.app_key == app_key)
        self.max_concurrent[app_key] = max(self.max_concurrent.get(app_key, 0), concurrent)

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
        self.reset_stats()
        self._last_trade.clear()
        self._last_book.clear()

    # -- market frames, token checks, faults -----------------------------------------------------------

    def close_dead_tokens(self, tokens: TokenStore, now: datetime) -> int:
        """Close the sessions whose token expired or was revoked (a re-issue kills the old one); how many."""
        closed = 0
        for session in list(self.by_app_key.values()):
            if (
                session.token is not None
                and not session.closing
                and tokens.lookup(session.token, now) is None
            ):
                session.close()
                closed += 1
        return closed

    def push_market(self, market: Market, engine: Engine, now: datetime) -> None:
        """One `0B` per registered code that traded since the last push, one `0D` per changed book."""
        listeners: dict[tuple[str, str], list[StreamSession]] = {}
        for session in self.by_app_key.values():
            if session.closing:
                continue
            for type_code in MARKET_TYPES:
                for code in session.market_codes(type_code):
                    listeners.setdefault((type_code, code), []).append(session)
        if not listeners:
            return
        stamp = now.strftime("%H%M%S")
        for (type_code, code), sessions in listeners.items():
            stock = market.get(code)
            if stock is None:
                continue  # Kiwoom acks garbage codes and then sends nothing for them (M8.5)
            if type_code == "0B":
                values = self._trade_values(stock, stamp)
            else:
                values = self._book_values(market, engine, stock, stamp)
            if values is None:
                continue
            text = _dumps(
                {
                    "trnm": "REAL",
                    "data": [
                        {"type": type_code, "name": REAL_NAMES[type_code], "item": code, "values": values}
                    ],
                }
            )
            for session in sessions:
                session.send(text)
            self.frames_sent[type_code] = self.frames_sent.get(type_code, 0) + len(sessions)

    def _trade_values(self, stock: Stock, stamp: str) -> dict[str, str] | None:
        last = self._last_trade.get(stock.code)
        if last == (stock.price, stock.volume):
            return None
        traded = stock.volume - last[1] if last and stock.volume >= last[1] else 0
        self._last_trade[stock.code] = (stock.price, stock.volume)
        base = stock.base_price
        change = stock.price - base
        sign = "+" if last is None or stock.price >= last[0] else "-"
        return {
            "20": stamp,
            "10": signed_price(stock.price, base),
            "11": f"{change:+d}" if change else "0",
            "12": f"{change * 100 / base:+.2f}" if change and base else "0.00",
            "27": signed_price(stock.ask, base),
            "28": signed_price(stock.bid, base),
            "15": f"{sign}{traded}",
            "13": str(stock.volume),
            "14": str(stock.volume * stock.price // 1_000_000),
            "16": signed_price(stock.open, base),
            "17": signed_price(stock.high, base),
            "18": signed_price(stock.low, base),
            "25": "2" if change > 0 else "5" if change < 0 else "3",
            "290": "2",
            "9081": "1",
        }

    def _book_values(self, market: Market, engine: Engine, stock: Stock, stamp: str) -> dict[str, str] | None:
        asks, bids = book_levels(market, engine, stock.code)
        key = (tuple(asks), tuple(bids))
        if self._last_book.get(stock.code) == key:
            return None
        self._last_book[stock.code] = key
        base = stock.base_price
        values = {"21": stamp}
        for level in range(10):
            ask = asks[level] if level < len(asks) else (0, 0)
            bid = bids[level] if level < len(bids) else (0, 0)
            values[str(41 + level)] = signed_price(ask[0], base) if ask[0] else "0"
            values[str(51 + level)] = signed_price(bid[0], base) if bid[0] else "0"
            values[str(61 + level)] = str(ask[1])
            values[str(71 + level)] = str(bid[1])
        values["121"] = str(sum(q for _p, q in asks))
        values["125"] = str(sum(q for _p, q in bids))
        return values

    def stall(self, app_key: str | None, seconds: float) -> int:
        """Fault: the sessions (of `app_key`, or all) send nothing for `seconds`; how many."""
        until = time.monotonic() + seconds
        chosen = self._chosen(app_key)
        for session in chosen:
            session.stalled_until = until
        return len(chosen)

    def drop(self, app_key: str | None) -> int:
        """Fault: cut the sessions' connections (of `app_key`, or all); how many."""
        chosen = self._chosen(app_key)
        for session in chosen:
            session.drop()
        return len(chosen)

    def _chosen(self, app_key: str | None) -> list[StreamSession]:
        return [s for s in self.sessions if not s.closing and (app_key is None or s.app_key == app_key)]

    def stats(self) -> dict[str, Any]:
        return {
            "sessions": len(self.sessions),
            "logged_in": len(self.by_app_key),
            "logins": dict(self.logins),
            "replaced": dict(self.replaced),
            "max_concurrent": dict(self.max_concurrent),
            "frames_sent": dict(self.frames_sent),
            "registered_codes": {
                key: sorted(session.market_codes("0B") | session.market_codes("0D"))
                for key, session in self.by_app_key.items()
            },
        }

    def reset_stats(self) -> None:
        self.logins.clear()
        self.replaced.clear()
        self.max_concurrent.clear()
        self.frames_sent.clear()
