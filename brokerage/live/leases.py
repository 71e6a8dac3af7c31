"""Leases: which stream process owns each credential's Kiwoom socket (Kiwoom allows one per app key).

A lease is a Redis key naming its owner and a fencing number that grows with every acquisition. It lasts
LIVE_LEASE_TTL seconds unless its owner renews it; a dead owner's lease lapses and another process takes the
credential. An owner that cannot renew in time closes its socket before the lease can lapse
(`Lease.valid_until` is measured from before the renewal was sent), so the next owner's LOGIN never meets a
socket still open: no key is logged in twice. Without Redis (the one-process demo) they live in this process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from brokerage.connections.coordination import KEY_PREFIX, redis_client, redis_required

_ACQUIRE = """
if redis.call('exists', KEYS[1]) == 1 then return 0 end
local fence = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. '|' .. fence, 'PX', ARGV[2])
return fence
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class Lease:
    """A credential owned by `owner` until `valid_until` (this process's monotonic clock) unless renewed."""

    credential_id: int
    owner: str
    fence: int
    valid_until: float

    @property
    def value(self) -> str:
        return f"{self.owner}|{self.fence}"

    def remaining(self) -> float:
        return self.valid_until - time.monotonic()


def _key(credential_id: int) -> str:
    return f"{KEY_PREFIX}live:lease:{int(credential_id)}"


def _fence_key(credential_id: int) -> str:
    return f"{KEY_PREFIX}live:fence:{int(credential_id)}"


_local: dict[int, tuple[str, float]] = {}  # credential id -> (value, monotonic expiry)
_local_fences: dict[int, int] = {}
_local_guard = threading.Lock()


def leases_acquire(*, credential_ids: Sequence[int], owner: str, ttl: float) -> list[Lease]:
    """Take each credential that nobody owns; the leases won (one round trip for all)."""
    if not credential_ids:
        return []
    started = time.monotonic()
    client = redis_client()
    if client is None:
        won = []
        with _local_guard:
            for credential_id in credential_ids:
                held = _local.get(credential_id)
                if held is not None and held[1] > started:
                    continue
                fence = _local_fences[credential_id] = _local_fences.get(credential_id, 0) + 1
                _local[credential_id] = (f"{owner}|{fence}", started + ttl)
                won.append(Lease(credential_id, owner, fence, started + ttl))
        return won
    script = client.register_script(_ACQUIRE)
    pipeline = client.pipeline(transaction=False)
    for credential_id in credential_ids:
        script(keys=[_key(credential_id), _fence_key(credential_id)], args=[owner, _ms(ttl)], client=pipeline)
    with redis_required():
        fences = pipeline.execute()
    return [
        Lease(credential_id, owner, int(fence), started + ttl)
        for credential_id, fence in zip(credential_ids, fences, strict=True)
        if fence
    ]


def leases_renew(*, leases: Sequence[Lease], ttl: float) -> list[Lease | None]:
    """Extend each lease by `ttl`: the renewed lease, or None where it was lost (expired, taken over).

    Raises `KiwoomCoordinationUnavailable` when Redis cannot be reached: the leases then run out as they are.
    """
    if not leases:
        return []
    started = time.monotonic()
    client = redis_client()
    if client is None:
        renewed: list[Lease | None] = []
        with _local_guard:
            for lease in leases:
                held = _local.get(lease.credential_id)
                if held is None or held[0] != lease.value or held[1] <= started:
                    renewed.append(None)
                    continue
                _local[lease.credential_id] = (lease.value, started + ttl)
                renewed.append(_extended(lease, started + ttl))
        return renewed
    script = client.register_script(_RENEW)
    pipeline = client.pipeline(transaction=False)
    for lease in leases:
        script(keys=[_key(lease.credential_id)], args=[lease.value, _ms(ttl)], client=pipeline)
    with redis_required():
        results = pipeline.execute()
    return [
        _extended(lease, started + ttl) if ok else None for lease, ok in zip(leases, results, strict=True)
    ]


def lease_release(*, lease: Lease) -> None:
    """Give the credential up now (its socket is closed), so another process need not wait for the TTL."""
    client = redis_client()
    if client is None:
        with _local_guard:
            held = _local.get(lease.credential_id)
            if held is not None and held[0] == lease.value:
                del _local[lease.credential_id]
        return
    with redis_required():
        client.register_script(_RELEASE)(keys=[_key(lease.credential_id)], args=[lease.value])


def lease_owners(*, credential_ids: Iterable[int]) -> dict[int, str]:
    """The current owner of each leased credential (unleased ones are left out)."""
    ids = list(credential_ids)
    now = time.monotonic()
    client = redis_client()
    if client is None:
        with _local_guard:
            return {
                credential_id: held[0].rpartition("|")[0]
                for credential_id in ids
                if (held := _local.get(credential_id)) is not None and held[1] > now
            }
    if not ids:
        return {}
    with redis_required():
        values = client.mget([_key(credential_id) for credential_id in ids])
    return {
        credential_id: value.decode().rpartition("|")[0]
        for credential_id, value in zip(ids, values, strict=True)
        if value is not None
    }


def processes_alive(*, owner: str, ttl: float) -> list[str]:
    """Say that `owner` is alive for `ttl` seconds, and list the stream processes alive now (itself included),
    so that each can take its share of the credentials."""
    now = time.time()
    client = redis_client()
    if client is None:
        return [owner]  # without Redis there is one process
    key = f"{KEY_PREFIX}live:processes"
    pipeline = client.pipeline(transaction=False)
    pipeline.zadd(key, {owner: now + ttl})
    pipeline.zremrangebyscore(key, "-inf", now)
    pipeline.zrange(key, 0, -1)
    pipeline.expire(key, max(1, int(ttl * 2)))
    with redis_required():
        members = pipeline.execute()[2]
    return sorted(member.decode() for member in members)


def process_gone(*, owner: str) -> None:
    """`owner` stopped: the others need not wait for its entry to lapse before taking its share."""
    client = redis_client()
    if client is not None:
        with redis_required():
            client.zrem(f"{KEY_PREFIX}live:processes", owner)


def leases_forget_local() -> None:
    """Drop the process-local leases (tests)."""
    with _local_guard:
        _local.clear()
        _local_fences.clear()


def _extended(lease: Lease, valid_until: float) -> Lease:
    return Lease(lease.credential_id, lease.owner, lease.fence, valid_until)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
