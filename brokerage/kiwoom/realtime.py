"""Kiwoom's WebSocket (PROTOCOL.md 5 and M8): frames as typed values, and one session over `websockets`.

    session = KiwoomStreamSession(MOCK_WS_URL)
    await session.connect(token)                 # LOGIN; KiwoomInvalidToken when refused
    await session.register(ACCOUNT_TYPES)        # 00 and 04 of the token's account
    await session.register(TRADE_TYPES, items=["005930"])
    async for event in session.events():         # OrderEvent, BalanceEvent, TradeTick, OrderBook ...
        ...

The session echoes PINGs itself (unchanged, as Kiwoom requires), answers REG/REMOVE acks, paces its
registrations (about 5 a second per connection) and keeps within 200 codes per connection. It ends with
`KiwoomStreamClosed` (R10002, a drop, Kiwoom's close) or `KiwoomSessionReplaced` (R10001). Prices carry a
direction sign on the wire: prices here are absolute, changes keep their sign.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from .errors import (
    KiwoomError,
    KiwoomInvalidToken,
    KiwoomRegistrationRefused,
    KiwoomSessionReplaced,
    KiwoomStreamClosed,
    KiwoomUnavailable,
    error_class_for,
)
from .parsing import normalize_order_number, parse_error, parse_int, parse_rate, strip_code_prefix
from .types import OrderSide

__all__ = [
    "ACCOUNT_TYPES",
    "MAX_CODES_PER_CONNECTION",
    "MOCK_WS_URL",
    "REAL_WS_URL",
    "TRADE_TYPES",
    "BalanceEvent",
    "KiwoomStreamSession",
    "LoginAnswer",
    "OrderBook",
    "OrderEvent",
    "Ping",
    "RealEvent",
    "RegistrationAnswer",
    "SystemMessage",
    "TradeTick",
    "UnknownEvent",
    "parse_message",
]

MOCK_WS_URL = "wss://mockapi.kiwoom.com:10000/api/dostk/websocket"
REAL_WS_URL = "wss://api.kiwoom.com:10000/api/dostk/websocket"

ORDER_TYPE, BALANCE_TYPE, TRADE_TYPE, BOOK_TYPE = "00", "04", "0B", "0D"
ACCOUNT_TYPES = (ORDER_TYPE, BALANCE_TYPE)
TRADE_TYPES = (TRADE_TYPE, BOOK_TYPE)
# Codes per connection, whatever the types and groups (PROTOCOL.md M8.5); codes per REG message.
MAX_CODES_PER_CONNECTION = 200
CODES_PER_REGISTRATION = 50
# Kiwoom answers more than about 5 REG/REMOVE a second per connection with 105110.
REGISTRATION_INTERVAL = 0.21
SESSION_REPLACED = "R10001"


# --- Frames ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginAnswer:
    return_code: int
    message: str
    code: str | None = None

    @property
    def ok(self) -> bool:
        return self.return_code == 0


@dataclass(frozen=True, slots=True)
class Ping:
    """A heartbeat; `raw` is the frame's text, sent back unchanged."""

    raw: str


@dataclass(frozen=True, slots=True)
class SystemMessage:
    """SYSTEM (`code`/`message`): R10001 replaced, R10002 no heartbeat, R10004 no LOGIN. Never echoed."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class RegistrationAnswer:
    trnm: str  # REG or REMOVE
    return_code: int
    message: str

    @property
    def ok(self) -> bool:
        return self.return_code == 0


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """`00` 주문체결: an order of the token's account was accepted, filled, confirmed, cancelled or rejected.

    `filled_quantity` is the order's cumulative filled quantity (911) and `filled_amount` its cumulative
    amount (903); `fill_price`/`fill_quantity` are this one fill's (914/915; 0 when not a fill).
    """

    account_number: str
    order_number: str
    stock_code: str
    state: str  # 접수, 체결, 확인, 취소, 거부
    stock_name: str
    side: OrderSide | None
    order_label: str  # +매수, -매도, +매수정정, 매도취소 ...
    trade_type_text: str
    quantity: int
    price: int
    remaining_quantity: int
    filled_quantity: int
    filled_amount: int
    fill_number: str
    fill_price: int
    fill_quantity: int
    original_order_number: str
    current_price: int
    commission: int
    tax: int
    reject_reason: str
    time: str  # HHMMSS, Korea time

    @property
    def average_price(self) -> int | None:
        return self.filled_amount // self.filled_quantity if self.filled_quantity else None


@dataclass(frozen=True, slots=True)
class BalanceEvent:
    """`04` 잔고: a holding of the token's account after a fill."""

    account_number: str
    stock_code: str
    stock_name: str
    current_price: int
    quantity: int
    average_price: int
    purchase_amount: int
    orderable_quantity: int
    today_net_buy: int
    base_price: int
    realized_pnl: int
    realized_rate: Decimal


@dataclass(frozen=True, slots=True)
class TradeTick:
    """`0B` 주식체결: a trade of a registered code. `volume` is this trade's (signed: + buy-initiated)."""

    stock_code: str
    time: str  # HHMMSS
    price: int
    change: int
    change_rate: Decimal
    volume: int
    cumulative_volume: int
    best_ask: int
    best_bid: int
    open: int
    high: int
    low: int


@dataclass(frozen=True, slots=True)
class OrderBook:
    """`0D` 주식호가잔량: ten levels a side as (price, quantity), best first."""

    stock_code: str
    time: str
    asks: tuple[tuple[int, int], ...]
    bids: tuple[tuple[int, int], ...]
    total_ask_quantity: int
    total_bid_quantity: int


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """A REAL item of a type this library does not read (or could not read)."""

    type: str
    item: str
    values: Mapping[str, str]


RealEvent = OrderEvent | BalanceEvent | TradeTick | OrderBook | UnknownEvent
Frame = LoginAnswer | Ping | SystemMessage | RegistrationAnswer | RealEvent


def _values(raw: Any) -> dict[str, str]:
    # One client saw `values` as a one-element list (PROTOCOL.md 5.3).
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if not isinstance(raw, dict):
        return {}
    return {str(k): v if isinstance(v, str) else str(v) for k, v in raw.items()}


def _int(values: Mapping[str, str], fid: str) -> int:
    # int() reads Kiwoom's "+74100", "-300" and "000123" as parse_int does, at a fraction of the cost: a
    # socket reads about 60 of these a second per code (a 0D frame alone carries 40 levels).
    value = values.get(fid)
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        return 0


def _price(values: Mapping[str, str], fid: str) -> int:
    return abs(_int(values, fid))


def _rate(values: Mapping[str, str], fid: str) -> Decimal:
    try:
        return parse_rate(values.get(fid))
    except (TypeError, ValueError):
        return Decimal("0")


def _code(value: str) -> str:
    return strip_code_prefix(value.strip()) if value else ""


def _order_number(value: str) -> str:
    """A 7-digit order number, "" for none (`0000000`); unreadable text is kept as it came."""
    try:
        return normalize_order_number(value) or ""
    except (TypeError, ValueError):
        return value.strip()


def _side(values: Mapping[str, str]) -> OrderSide | None:
    return {"1": OrderSide.SELL, "2": OrderSide.BUY}.get(values.get("907", "").strip())


def order_event(item: str, values: Mapping[str, str]) -> OrderEvent:
    return OrderEvent(
        account_number=values.get("9201", ""),
        order_number=_order_number(values.get("9203", "")),
        stock_code=_code(values.get("9001", "") or item),
        state=values.get("913", "").strip(),
        stock_name=values.get("302", "").strip(),
        side=_side(values),
        order_label=values.get("905", "").strip(),
        trade_type_text=values.get("906", "").strip(),
        quantity=_int(values, "900"),
        price=_price(values, "901"),
        remaining_quantity=_int(values, "902"),
        filled_quantity=abs(_int(values, "911")),
        filled_amount=abs(_int(values, "903")),
        fill_number=values.get("909", "").strip(),
        fill_price=_price(values, "914") or _price(values, "910"),
        fill_quantity=abs(_int(values, "915")),
        original_order_number=_order_number(values.get("904", "")),
        current_price=_price(values, "10"),
        commission=_int(values, "938"),
        tax=_int(values, "939"),
        reject_reason=values.get("919", "").strip(),
        time=values.get("908", "").strip(),
    )


def balance_event(item: str, values: Mapping[str, str]) -> BalanceEvent:
    return BalanceEvent(
        account_number=values.get("9201", ""),
        stock_code=_code(values.get("9001", "") or item),
        stock_name=values.get("302", "").strip(),
        current_price=_price(values, "10"),
        quantity=_int(values, "930"),
        average_price=_price(values, "931"),
        purchase_amount=_int(values, "932"),
        orderable_quantity=_int(values, "933"),
        today_net_buy=_int(values, "945"),
        base_price=_price(values, "307"),
        realized_pnl=_int(values, "990") or _int(values, "950"),
        realized_rate=_rate(values, "8019"),
    )


def trade_tick(item: str, values: Mapping[str, str]) -> TradeTick:
    return TradeTick(
        stock_code=_code(item),
        time=values.get("20", "").strip(),
        price=_price(values, "10"),
        change=_int(values, "11"),
        change_rate=_rate(values, "12"),
        volume=_int(values, "15"),
        cumulative_volume=abs(_int(values, "13")),
        best_ask=_price(values, "27"),
        best_bid=_price(values, "28"),
        open=_price(values, "16"),
        high=_price(values, "17"),
        low=_price(values, "18"),
    )


def order_book(item: str, values: Mapping[str, str]) -> OrderBook:
    # FID blocks: ask prices 41-50, bid prices 51-60, ask quantities 61-70, bid quantities 71-80 (M8.4).
    def side(price_from: int, quantity_from: int) -> tuple[tuple[int, int], ...]:
        levels = []
        for level in range(10):
            price = _price(values, str(price_from + level))
            if price:
                levels.append((price, abs(_int(values, str(quantity_from + level)))))
        return tuple(levels)

    return OrderBook(
        stock_code=_code(item),
        time=values.get("21", "").strip(),
        asks=side(41, 61),
        bids=side(51, 71),
        total_ask_quantity=abs(_int(values, "121")),
        total_bid_quantity=abs(_int(values, "125")),
    )


_READERS = {
    ORDER_TYPE: order_event,
    BALANCE_TYPE: balance_event,
    TRADE_TYPE: trade_tick,
    BOOK_TYPE: order_book,
}


def _real(entry: Any) -> RealEvent | None:
    if not isinstance(entry, dict):
        return None
    type_code = str(entry.get("type", ""))
    item = entry.get("item", "")
    item = item if isinstance(item, str) else ""
    values = _values(entry.get("values"))
    reader = _READERS.get(type_code)
    if reader is None:
        return UnknownEvent(type=type_code, item=item, values=values)
    return reader(item, values)


def parse_message(text: str | bytes) -> list[Frame]:
    """The frames of one WebSocket message: one for LOGIN/PING/SYSTEM/REG, one per item of a REAL frame.

    A message that is not a JSON object, or of an unknown `trnm`, gives no frames.
    """
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return []
    if not isinstance(frame, dict):
        return []
    trnm = frame.get("trnm")
    if trnm == "REAL":
        data = frame.get("data")
        entries = data if isinstance(data, list) else [data]
        return [event for event in map(_real, entries) if event is not None]
    if trnm == "PING":
        return [Ping(text if isinstance(text, str) else text.decode())]
    if trnm == "SYSTEM":
        return [SystemMessage(code=str(frame.get("code", "")), message=str(frame.get("message", "")))]
    if trnm == "LOGIN":
        return_code = _return_code(frame)
        message = str(frame.get("return_msg", ""))
        code = parse_error(frame.get("return_code"), message)[0] if return_code else None
        return [LoginAnswer(return_code=return_code, message=message, code=code)]
    if trnm in ("REG", "REMOVE"):
        return [
            RegistrationAnswer(
                trnm=trnm, return_code=_return_code(frame), message=str(frame.get("return_msg", ""))
            )
        ]
    return []


def _return_code(frame: Mapping[str, Any]) -> int:
    try:
        return parse_int(frame.get("return_code", 0))
    except (TypeError, ValueError):
        return -1  # an answer we cannot read is not a success


# --- The session ----------------------------------------------------------------------------------------


_END = object()  # queue sentinel: the session ended (the reader put the reason in `_ended`)


class KiwoomStreamSession:
    """One Kiwoom WebSocket: connect and LOGIN, register, then read events until the session ends.

    A reader task reads the socket from LOGIN on: it echoes PINGs at once (a consumer that is slow for a
    moment must not cost the socket its heartbeat), settles REG/REMOVE acks and queues the events.
    """

    def __init__(
        self,
        url: str,
        *,
        open_timeout: float = 10.0,
        login_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        max_queue: int = 10_000,
    ) -> None:
        self.url = url
        self.open_timeout = open_timeout
        self.login_timeout = login_timeout
        self.ack_timeout = ack_timeout
        self.codes: set[str] = set()  # codes registered on this connection (the 200 limit counts these)
        self.pings = 0
        self.last_frame_at = time.monotonic()  # when anything (a PING included) last came from Kiwoom
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue(max_queue)
        self._acks: list[asyncio.Future[RegistrationAnswer]] = []
        self._send_lock = asyncio.Lock()
        self._last_registration = 0.0
        self._ended: KiwoomStreamClosed | None = None

    @property
    def ended(self) -> KiwoomStreamClosed | None:
        """Why the session ended, or None while it is alive."""
        return self._ended

    async def connect(self, token: str) -> None:
        """Open the socket and LOGIN with the raw token (no Bearer).

        Raises KiwoomUnavailable when the socket cannot be opened or no answer comes, KiwoomInvalidToken (or
        the class of Kiwoom's code) when LOGIN is refused.
        """
        try:
            self._ws = await connect(
                self.url,
                open_timeout=self.open_timeout,
                ping_interval=None,  # Kiwoom's heartbeat is its own PING frame, as in Kiwoom's helper
                close_timeout=2,
                max_size=1 << 20,
                max_queue=64,
                compression=None,
                proxy=None,
                user_agent_header=None,
            )
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
            raise KiwoomUnavailable(f"WebSocket connection failed: {exc}", request_sent=False) from exc
        try:
            await self._ws.send(json.dumps({"trnm": "LOGIN", "token": token}))
            answer = await asyncio.wait_for(self._login_answer(), self.login_timeout)
        except (TimeoutError, websockets.exceptions.WebSocketException, OSError) as exc:
            await self.close()
            raise KiwoomUnavailable(f"no LOGIN answer: {exc or 'timeout'}") from exc
        except KiwoomError:
            await self.close()
            raise
        if not answer.ok:
            await self.close()
            cls = error_class_for(code=answer.code, return_code=None)
            if cls is KiwoomError:
                cls = KiwoomInvalidToken  # Kiwoom's helper re-issues the token on any LOGIN refusal
            raise cls(answer.message, code=answer.code, return_code=answer.return_code)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _login_answer(self) -> LoginAnswer:
        assert self._ws is not None
        while True:
            message = await self._ws.recv()
            for frame in parse_message(message):
                if isinstance(frame, LoginAnswer):
                    return frame
                if isinstance(frame, Ping):
                    await self._ws.send(frame.raw)
                elif isinstance(frame, SystemMessage):
                    raise _closed_by(frame)

    async def register(
        self, types: Iterable[str], items: Iterable[str] = ("",), *, group: str = "1", refresh: bool = True
    ) -> None:
        """REG `types` for `items` (`""` for the account types 00/04), 50 codes a message, paced.

        Raises KiwoomRegistrationRefused when Kiwoom refuses, or when the connection would hold more than
        MAX_CODES_PER_CONNECTION codes (nothing is sent then).
        """
        items = list(dict.fromkeys(items))
        codes = {item for item in items if item}
        if len(self.codes | codes) > MAX_CODES_PER_CONNECTION:
            raise KiwoomRegistrationRefused(
                f"more than {MAX_CODES_PER_CONNECTION} codes on one connection", code="105115"
            )
        for start in range(0, max(1, len(items)), CODES_PER_REGISTRATION):
            chunk = items[start : start + CODES_PER_REGISTRATION]
            frame = {
                "trnm": "REG",
                "grp_no": group,
                "refresh": "1" if refresh or start else "0",
                "data": [{"item": chunk, "type": list(types)}],
            }
            await self._request(frame)
            self.codes.update(item for item in chunk if item)

    async def remove(self, types: Iterable[str], items: Iterable[str], *, group: str = "1") -> None:
        """REMOVE `types` for `items`, 50 codes a message, paced."""
        items = list(dict.fromkeys(items))
        for start in range(0, len(items), CODES_PER_REGISTRATION):
            chunk = items[start : start + CODES_PER_REGISTRATION]
            await self._request(
                {"trnm": "REMOVE", "grp_no": group, "data": [{"item": chunk, "type": list(types)}]}
            )
            self.codes.difference_update(chunk)

    async def _request(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            wait = self._last_registration + REGISTRATION_INTERVAL - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._require_alive()
            ack: asyncio.Future[RegistrationAnswer] = asyncio.get_running_loop().create_future()
            self._acks.append(ack)
            try:
                await self._ws.send(json.dumps(frame, ensure_ascii=False))
            except websockets.exceptions.WebSocketException as exc:
                raise KiwoomStreamClosed(f"connection lost: {exc}") from exc
            finally:
                self._last_registration = time.monotonic()
        try:
            answer = await asyncio.wait_for(asyncio.shield(ack), self.ack_timeout)
        except TimeoutError:
            raise KiwoomUnavailable(f"no {frame['trnm']} answer within {self.ack_timeout} s") from None
        if not answer.ok:
            code, text = parse_error(answer.return_code, answer.message)
            raise KiwoomRegistrationRefused(
                text or answer.message, code=code or str(answer.return_code), return_code=answer.return_code
            )

    def _require_alive(self) -> None:
        if self._ended is not None:
            raise self._ended
        if self._ws is None:
            raise KiwoomStreamClosed("not connected")

    async def events(self) -> AsyncIterator[RealEvent | SystemMessage]:
        """Events until the session ends; then the reason is raised (KiwoomStreamClosed or a subclass)."""
        while True:
            item = await self._queue.get()
            if item is _END:
                self._queue.put_nowait(_END)  # a second reader ends too
                assert self._ended is not None
                raise self._ended
            yield item

    async def _read(self) -> None:
        assert self._ws is not None
        ws = self._ws
        reason: KiwoomStreamClosed | None = None
        try:
            async for message in ws:
                self.last_frame_at = time.monotonic()
                for frame in parse_message(message):
                    if isinstance(frame, Ping):
                        self.pings += 1
                        await ws.send(frame.raw)
                    elif isinstance(frame, RegistrationAnswer):
                        self._settle_ack(frame)
                    elif isinstance(frame, SystemMessage):
                        if frame.code in ("R10001", "R10002", "R10004"):
                            reason = _closed_by(frame)
                            return
                        await self._put(frame)
                    elif isinstance(frame, LoginAnswer):
                        continue
                    else:
                        await self._put(frame)
            reason = KiwoomStreamClosed(
                f"closed by Kiwoom ({ws.close_code} {ws.close_reason})".strip(), code=_close_code(ws)
            )
        except websockets.exceptions.ConnectionClosed as exc:
            reason = KiwoomStreamClosed(f"connection lost: {exc}", code=_close_code(ws))
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            reason = KiwoomStreamClosed(f"connection lost: {exc}")
        finally:
            self._end(reason or KiwoomStreamClosed("session closed"))

    async def _put(self, item: Any) -> None:
        await self._queue.put(item)

    def _settle_ack(self, answer: RegistrationAnswer) -> None:
        while self._acks:
            ack = self._acks.pop(0)
            if not ack.done():
                ack.set_result(answer)
                return

    def _end(self, reason: KiwoomStreamClosed) -> None:
        if self._ended is None:
            self._ended = reason
        for ack in self._acks:
            if not ack.done():
                ack.set_exception(self._ended)
                ack.exception()  # retrieved: nobody may be awaiting it any more
        self._acks.clear()
        try:
            self._queue.put_nowait(_END)
        except asyncio.QueueFull:
            # A consumer that stopped reading must still learn that the session ended.
            self._queue.get_nowait()
            self._queue.put_nowait(_END)

    async def close(self) -> None:
        """Close the socket and stop reading (idempotent)."""
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            # wait(), not `await reader`: a cancellation of the caller itself must not be swallowed here.
            await asyncio.wait({self._reader})
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        self._end(KiwoomStreamClosed("session closed"))


def _closed_by(frame: SystemMessage) -> KiwoomStreamClosed:
    cls = KiwoomSessionReplaced if frame.code == SESSION_REPLACED else KiwoomStreamClosed
    return cls(frame.message or frame.code, code=frame.code)


def _close_code(ws: ClientConnection) -> str | None:
    return None if ws.close_code is None else str(ws.close_code)
