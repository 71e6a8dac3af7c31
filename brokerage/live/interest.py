"""Which stock codes each user's open pages watch, shared by the ASGI processes and the stream processes.

An entry is (user, connection, code) and lapses LIVE_INTEREST_TTL seconds after it was last added, so the
interest of an ASGI process that died disappears on its own; live connections refresh theirs (the consumer
every 30 s). With Redis one sorted set per user holds the entries, scored by their expiry; without Redis
(the one-process demo) a dictionary in this process does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from django.conf import settings

from brokerage.connections.coordination import KEY_PREFIX, redis_client, redis_required
from brokerage.kiwoom import STOCK_CODE_RE

# The one rule for a KRX code (005930, 0000J0); Kiwoom's registration limit is per code (PROTOCOL M8.5).
CODE_SHAPE = STOCK_CODE_RE
# Codes one connection may watch: a page shows a watchlist at most; the socket's limit is 200 in all.
MAX_CODES_PER_CONNECTION = 200
_SEPARATOR = "|"

_local: dict[int, dict[tuple[str, str], float]] = {}
_local_guard = threading.Lock()


def _key(user_id: int) -> str:
    return f"{KEY_PREFIX}live:interest:{int(user_id)}"


def _ttl() -> float:
    return float(settings.LIVE_INTEREST_TTL)


def _clean(codes: Iterable[str]) -> list[str]:
    """The well-formed codes, without duplicates, in their order; at most MAX_CODES_PER_CONNECTION."""
    seen: dict[str, None] = {}
    for code in codes:
        if isinstance(code, str) and CODE_SHAPE.fullmatch(code):
            seen.setdefault(code, None)
    return list(seen)[:MAX_CODES_PER_CONNECTION]


def interest_add(*, user_id: int, connection_id: str, codes: Iterable[str]) -> None:
    """Watch `codes` for the connection (or keep watching them: the entries' lifetime starts again)."""
    wanted = _clean(codes)
    if not wanted:
        return
    expires = time.time() + _ttl()
    client = redis_client()
    if client is None:
        with _local_guard:
            entries = _local.setdefault(int(user_id), {})
            for code in wanted:
                entries[(connection_id, code)] = expires
        return
    pipeline = client.pipeline(transaction=False)
    pipeline.zadd(_key(user_id), {f"{connection_id}{_SEPARATOR}{code}": expires for code in wanted})
    pipeline.expire(_key(user_id), int(_ttl()) + 1)
    with redis_required():
        pipeline.execute()


def interest_remove(*, user_id: int, connection_id: str, codes: Iterable[str] | None = None) -> None:
    """Stop watching `codes` for the connection; None: every code it watches (the page closed)."""
    client = redis_client()
    if client is None:
        with _local_guard:
            entries = _local.get(int(user_id), {})
            for entry in list(entries):
                if entry[0] == connection_id and (codes is None or entry[1] in set(codes)):
                    del entries[entry]
        return
    with redis_required():
        if codes is None:
            prefix = f"{connection_id}{_SEPARATOR}"
            members = [m for m in client.zrange(_key(user_id), 0, -1) if m.decode().startswith(prefix)]
        else:
            members = [f"{connection_id}{_SEPARATOR}{code}" for code in codes if isinstance(code, str)]
        if members:
            client.zrem(_key(user_id), *members)


def interest_codes(*, user_id: int) -> frozenset[str]:
    """The codes some open connection of the user watches."""
    return interest_codes_many(user_ids=[user_id]).get(int(user_id), frozenset())


def interest_codes_many(*, user_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """`interest_codes` of many users in one round trip (the stream process asks for all it streams)."""
    ids = [int(user_id) for user_id in user_ids]
    now = time.time()
    client = redis_client()
    if client is None:
        with _local_guard:
            result = {}
            for user_id in ids:
                entries = _local.get(user_id, {})
                for entry, expires in list(entries.items()):
                    if expires <= now:
                        del entries[entry]
                result[user_id] = frozenset(code for _connection, code in entries)
            return result
    pipeline = client.pipeline(transaction=False)
    for user_id in ids:
        # Lapsed entries go on the way: a dead process's interest is dropped by the next reader.
        pipeline.zremrangebyscore(_key(user_id), "-inf", now)
        pipeline.zrange(_key(user_id), 0, -1)
    with redis_required():
        replies = pipeline.execute()
    return {
        user_id: frozenset(member.decode().rpartition(_SEPARATOR)[2] for member in members)
        for user_id, members in zip(ids, replies[1::2], strict=True)
    }


def interest_forget_local() -> None:
    """Drop the process-local entries (tests)."""
    with _local_guard:
        _local.clear()
