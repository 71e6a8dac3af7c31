"""Messages to a user's open pages and scripts over /ws/v1/live, through the channel layer.

A user's own events (orders, balance, stream status) go to the user's group; market data (prices, books) to
the group of the stock code, which every connection that subscribed to the code joins: one send per tick,
however many users watch the code.

Every function here is best-effort: a channel layer that is down or full costs the browsers one message (the
pages fall back to polling), never the caller its work, so nothing is raised. Each has an async twin
(`apublish_*`) for the stream process's event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from brokerage.orders.serializers import OrderSerializer

if TYPE_CHECKING:
    from brokerage.orders.models import Order

logger = logging.getLogger(__name__)

# The consumer's handler for every message sent to a user's group (LiveConsumer.live_message).
HANDLER = "live.message"
# "idle": the user has no connected Kiwoom keys, so there is no stream to be down (not an outage).
STREAM_STATES = frozenset({"live", "reconnecting", "down", "idle"})
# Group sends one event loop has in flight at most (see _in_flight).
MAX_SENDS_IN_FLIGHT = 200
_bounds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()
# Sends scheduled from an event loop, held until done (the loop keeps only weak references to tasks).
_pending: set[asyncio.Task] = set()


# The message that closes a user's sockets (logout, password change): LiveConsumer.live_message stops it
# there and closes the socket; it never reaches a client as such.
SESSION_ENDED = "session.ended"


def user_group(user_id: int) -> str:
    """The channel-layer group every open /ws/v1/live connection of the user belongs to."""
    return f"live.user.{int(user_id)}"


def session_group(session_key: str) -> str:
    """The group of the connections a page opened with this session (a logout ends only those)."""
    return f"live.session.{hashlib.sha256(session_key.encode()).hexdigest()[:32]}"


def code_group(stock_code: str) -> str:
    """The group of the connections that subscribed to the code's prices and books (market data, public)."""
    return f"live.code.{stock_code}"


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


def publish_session_ended(user_id: int) -> None:
    """Close the user's open sockets: each says why (`session_ended`) and closes with 4401."""
    _send(user_id, lambda: {"type": SESSION_ENDED})


def publish_session_logged_out(session_key: str) -> None:
    """Close the sockets pages opened with this session; the user's other sessions and tokens stay open."""
    _send_to(session_group(session_key), lambda: {"type": SESSION_ENDED})


def publish_balance(user_id: int, payload: dict) -> None:
    _send(user_id, lambda: balance_message(payload))


def publish_price(tick: dict) -> None:
    _send_to(code_group(tick.get("stock_code")), lambda: price_message(tick))


def publish_book(book: dict) -> None:
    _send_to(code_group(book.get("stock_code")), lambda: book_message(book))


def publish_stream_status(user_id: int, state: str, reason: str = "") -> None:
    _send(user_id, lambda: status_message(state, reason))


# --- async twins (the stream process's event loop) ----------------------------------------------------------


async def apublish_order(order: Order) -> None:
    # The serializer reads only the row in hand (no queries), so it is safe on the event loop.
    await _asend(order.user_id, lambda: order_message(order))


async def apublish_balance(user_id: int, payload: dict) -> None:
    await _asend(user_id, lambda: balance_message(payload))


async def apublish_price(tick: dict) -> None:
    await _asend_to(code_group(tick.get("stock_code")), lambda: price_message(tick))


async def apublish_book(book: dict) -> None:
    await _asend_to(code_group(book.get("stock_code")), lambda: book_message(book))


async def apublish_stream_status(user_id: int, state: str, reason: str = "") -> None:
    await _asend(user_id, lambda: status_message(state, reason))


# --- plumbing -----------------------------------------------------------------------------------------------


def publish_from_threads_on(loop: asyncio.AbstractEventLoop | None) -> None:
    """Hand sends from threads without an event loop to `loop` (None: stop). The stream process publishes
    orders from its database threads (after commit), where async_to_sync would start an event loop, and
    with it a pool of Redis connections, for every message."""
    global _home_loop
    _home_loop = loop


_home_loop: asyncio.AbstractEventLoop | None = None


def _send(user_id, build) -> None:
    _send_to(user_group(user_id), build)


def _send_to(group: str, build) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        # Called from code on an event loop (where async_to_sync cannot run): send from a task instead.
        task = asyncio.ensure_future(_asend_to(group, build))
        _pending.add(task)
        task.add_done_callback(_pending.discard)
        return
    try:
        home = _home_loop
        if home is not None and home.is_running():
            message = build()  # here, in the caller's thread: the loop never touches the caller's objects
            asyncio.run_coroutine_threadsafe(_asend_to(group, lambda: message), home)
            return
        layer = get_channel_layer()
        if layer is None:
            return
        async_to_sync(layer.group_send)(group, {"type": HANDLER, "message": _plain(build())})
    except Exception:
        logger.warning("live: could not publish to %s", group, exc_info=True)


async def _asend(user_id, build) -> None:
    await _asend_to(user_group(user_id), build)


async def _asend_to(group: str, build) -> None:
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        message = {"type": HANDLER, "message": _plain(build())}
        if isinstance(layer, RedisChannelLayer) and layer.ring_size == 1:
            await _outbox(layer).send(group, message)
            return
        async with _in_flight():
            await layer.group_send(group, message)
    except Exception:
        logger.warning("live: could not publish to %s", group, exc_info=True)


class _Outbox:
    """The group sends of one event loop, sent together: while one batch is on its way to Redis, the next
    gathers, and each batch costs two round trips (channels_redis's group_send costs four per message, and
    the stream process sends one per fill, per balance change and per tick)."""

    def __init__(self, layer: RedisChannelLayer) -> None:
        self.layer = layer
        self.waiting: list[tuple[str, dict, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def send(self, group: str, message: dict) -> None:
        """Returns once the batch holding the message was sent (or failed: logged, not raised)."""
        assert self.layer.require_valid_group_name(group)
        sent = asyncio.get_running_loop().create_future()
        self.waiting.append((group, message, sent))
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        await sent

    async def _run(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            try:
                await _group_send_many(self.layer, [(group, message) for group, message, _sent in batch])
            except Exception:
                logger.warning("live: could not publish %s messages", len(batch), exc_info=True)
            for _group, _message, sent in batch:
                if not sent.done():
                    sent.set_result(None)


# Messages one pipeline carries at most.
MAX_BATCH = 500
_outboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox] = weakref.WeakKeyDictionary()


def _outbox(layer: RedisChannelLayer) -> _Outbox:
    loop = asyncio.get_running_loop()
    outbox = _outboxes.get(loop)
    if outbox is None or outbox.layer is not layer:
        outbox = _outboxes[loop] = _Outbox(layer)
    return outbox


# channels_redis's own script (RedisChannelLayer.group_send): add to each channel's sorted set under capacity.
_GROUP_SEND_LUA = """
local over_capacity = 0
local current_time = ARGV[#ARGV - 1]
local expiry = ARGV[#ARGV]
for i=1,#KEYS do
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
        redis.call('ZADD', KEYS[i], current_time, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


async def _group_send_many(layer: RedisChannelLayer, sends: list[tuple[str, dict]]) -> None:
    """channels_redis's group_send for many messages at once, on a layer of one Redis host: one pipeline
    reads the groups' members, one delivers every message (the same keys, expiry and capacity rules)."""
    connection = layer.connection(0)
    now = time.time()
    pipe = connection.pipeline(transaction=False)
    for group, _message in sends:
        key = layer._group_key(group)
        pipe.zremrangebyscore(key, min=0, max=int(now) - layer.group_expiry)
        pipe.zrange(key, 0, -1)
    members = (await pipe.execute())[1::2]
    pipe = connection.pipeline(transaction=False)
    for (_group, message), names in zip(sends, members, strict=True):
        if not names:
            continue
        channel_keys, messages, capacities = layer._map_channel_keys_to_connection(
            [name.decode("utf8") for name in names], message
        )
        keys = channel_keys[0]
        for key in keys:
            pipe.zremrangebyscore(key, min=0, max=int(now) - int(layer.expiry))
        args = [messages[key] for key in keys] + [capacities[key] for key in keys] + [now, layer.expiry]
        pipe.eval(_GROUP_SEND_LUA, len(keys), *keys, *args)
    if len(pipe):
        await pipe.execute()


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
