"""Messages to a user's open pages and scripts over /ws/v1/live, through the channel layer.

Every function here is best-effort: a channel layer that is down or full costs the browsers one message (the
pages fall back to polling), never the caller its work, so nothing is raised. Each has an async twin
(`apublish_*`) for the stream process's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from brokerage.orders.serializers import OrderSerializer

if TYPE_CHECKING:
    from brokerage.orders.models import Order

logger = logging.getLogger(__name__)

# The consumer's handler for every message sent to a user's group (LiveConsumer.live_message).
HANDLER = "live.message"
STREAM_STATES = frozenset({"live", "reconnecting", "down"})
# Group sends one event loop has in flight at most (see _in_flight).
MAX_SENDS_IN_FLIGHT = 200
_bounds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()
# Sends scheduled from an event loop, held until done (the loop keeps only weak references to tasks).
_pending: set[asyncio.Task] = set()


def user_group(user_id: int) -> str:
    """The channel-layer group every open /ws/v1/live connection of the user belongs to."""
    return f"live.user.{int(user_id)}"


def order_message(order: Order) -> dict[str, Any]:
    """An order as the orders API shows it, plus the live protocol's names (ord_no, average_price)."""
    return {
        **OrderSerializer(order).data,
        "type": "order",
        "ord_no": order.kiwoom_order_number,
        "average_price": order.average_fill_price,
    }


def balance_message(payload: dict) -> dict[str, Any]:
    return {**payload, "type": "balance"}


def price_message(tick: dict) -> dict[str, Any]:
    return {
        "type": "price",
        "stock_code": tick.get("stock_code"),
        "price": tick.get("price"),
        "change": tick.get("change"),
        "change_rate": tick.get("change_rate"),
        "volume": tick.get("volume"),
        "time": tick.get("time"),
    }


def book_message(book: dict) -> dict[str, Any]:
    return {
        "type": "book",
        "stock_code": book.get("stock_code"),
        "asks": [list(level) for level in book.get("asks", ())],
        "bids": [list(level) for level in book.get("bids", ())],
        "time": book.get("time"),
    }


def status_message(state: str, reason: str = "") -> dict[str, Any]:
    if state not in STREAM_STATES:
        raise ValueError(f"unknown stream state {state!r}")
    return {"type": "status", "state": state, "reason": str(reason)}


# --- sync (signal receivers, services, threads of the stream process) ---------------------------------------


def publish_order(order: Order) -> None:
    _send(order.user_id, lambda: order_message(order))


def publish_balance(user_id: int, payload: dict) -> None:
    _send(user_id, lambda: balance_message(payload))


def publish_price(user_id: int, tick: dict) -> None:
    _send(user_id, lambda: price_message(tick))


def publish_book(user_id: int, book: dict) -> None:
    _send(user_id, lambda: book_message(book))


def publish_stream_status(user_id: int, state: str, reason: str = "") -> None:
    _send(user_id, lambda: status_message(state, reason))


# --- async twins (the stream process's event loop) ----------------------------------------------------------


async def apublish_order(order: Order) -> None:
    # The serializer reads only the row in hand (no queries), so it is safe on the event loop.
    await _asend(order.user_id, lambda: order_message(order))


async def apublish_balance(user_id: int, payload: dict) -> None:
    await _asend(user_id, lambda: balance_message(payload))


async def apublish_price(user_id: int, tick: dict) -> None:
    await _asend(user_id, lambda: price_message(tick))


async def apublish_book(user_id: int, book: dict) -> None:
    await _asend(user_id, lambda: book_message(book))


async def apublish_stream_status(user_id: int, state: str, reason: str = "") -> None:
    await _asend(user_id, lambda: status_message(state, reason))


# --- plumbing -----------------------------------------------------------------------------------------------


def _send(user_id, build) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        # Called from code on an event loop (where async_to_sync cannot run): send from a task instead.
        task = asyncio.ensure_future(_asend(user_id, build))
        _pending.add(task)
        task.add_done_callback(_pending.discard)
        return
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        async_to_sync(layer.group_send)(user_group(user_id), {"type": HANDLER, "message": _plain(build())})
    except Exception:
        logger.warning("live: could not publish to user %s", user_id, exc_info=True)


async def _asend(user_id, build) -> None:
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        async with _in_flight():
            await layer.group_send(user_group(user_id), {"type": HANDLER, "message": _plain(build())})
    except Exception:
        logger.warning("live: could not publish to user %s", user_id, exc_info=True)


def _in_flight() -> asyncio.Semaphore:
    """The loop's bound on sends in flight: a tick for every user watching a code is a burst of thousands,
    and each send in flight holds one of the channel layer's Redis connections (a bounded pool)."""
    loop = asyncio.get_running_loop()
    bound = _bounds.get(loop)
    if bound is None:
        bound = _bounds[loop] = asyncio.Semaphore(MAX_SENDS_IN_FLIGHT)
    return bound


def _plain(value):
    """A value the channel layer can serialize (msgpack knows no lazy translations or ReturnDicts)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
