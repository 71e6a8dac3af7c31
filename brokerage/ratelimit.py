"""Kiwoom's request limits, kept by every web and Celery process together.

Kiwoom limits each TR per token (PROTOCOL.md 1.7: about 1 call/s on mock, 5/s on real). Each credential and TR
has one bucket, paced by GCRA: the bucket remembers the theoretical arrival time (TAT) of its next call, and
a caller reserves the next free slot in one atomic step (a Lua script on Redis, so the slots are shared by
every process of the site), then sleeps until it. Calls that go out together reserve a slot in each of their
buckets in that one step, all or none. Reservations are first come, first served; a caller whose
slot lies further ahead than it may wait gets `SlotUnavailable` with the time after which a retry is served.
A caller that wakes later than its slot (a busy process) makes the next one wait that much longer, so that
the calls that actually leave stay an interval apart. An upstream 429 blocks the bucket for a whole Kiwoom
window (`penalize`): slots handed out before it that fall inside the window wait for its end, new ones are
placed after it. One `acquire` gives up rather than wait past its `max_wait`, give or take a late wake-up
and the spacing margin's worth of a late caller ahead of it.

Without Redis (embedded defaults) the same algorithm runs in-process, which is right for the one-process demo.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import redis
from redis.commands.core import Script

from .coordination import KEY_PREFIX, redis_client

# Kiwoom counts calls in a sliding one-second window over their arrival times, and arrivals jitter (a busy
# process wakes late, a request waits for a connection): pacing at exactly the limit would make calls arrive
# too early. Spacing calls 10% wider leaves 100 ms of jitter per window, at any rate.
SPACING_MARGIN = 0.10
# After an upstream 429 nothing is sent on that bucket for one whole Kiwoom window.
PENALTY_SECONDS = 1.0

# A bucket is a hash: `t`, the theoretical arrival time of its next call (reservations); `s`, when its last
# call actually left; `p`, until when an upstream 429 blocks it. Times are Redis's own clock, in seconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local waits, granted = {}, 1
for i, key in ipairs(KEYS) do
    local fields = redis.call('HMGET', key, 't', 's', 'p')
    local tat = math.max(
        tonumber(fields[1] or '0'), tonumber(fields[2] or '0') + interval, tonumber(fields[3] or '0'), now
    )
    waits[i] = tat - now
    if waits[i] > tonumber(ARGV[2]) then
        granted = 0
    end
end
local answer = {granted}
for i, key in ipairs(KEYS) do
    local wait = waits[i]
    if granted == 1 then
        redis.call('HSET', key, 't', string.format('%.6f', now + wait + interval))
        if wait == 0 then
            redis.call('HSET', key, 's', string.format('%.6f', now))
        end
        redis.call('PEXPIRE', key, math.ceil((wait + interval) * 1000) + 1000)
    end
    answer[i + 1] = string.format('%.6f', wait)
end
return answer
"""

# {wait, free}: how long the woken caller must still wait (0: it may send, and that is recorded), and how
# long a reservation made now would wait (the retry time of a caller that gives up).
_CONFIRM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local fields = redis.call('HMGET', KEYS[1], 't', 's', 'p')
local due = math.max(tonumber(fields[2] or '0') + interval, tonumber(fields[3] or '0'))
if due > now then
    local free = math.max(tonumber(fields[1] or '0'), due) - now
    return {string.format('%.6f', due - now), string.format('%.6f', free)}
end
redis.call('HSET', KEYS[1], 's', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.max(redis.call('PTTL', KEYS[1]), math.ceil(interval * 1000) + 1000))
return {'0', '0'}
"""

_PENALIZE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local penalty = tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'p') or '0')
if blocked < now + penalty then
    redis.call('HSET', KEYS[1], 'p', string.format('%.6f', now + penalty))
    redis.call('PEXPIRE', KEYS[1], math.max(redis.call('PTTL', KEYS[1]), math.ceil(penalty * 1000) + 1000))
end
return 1
"""


class SlotUnavailable(Exception):
    """No slot within the allowed wait; a retry after `retry_after` seconds would be served."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"no Kiwoom request slot within the allowed wait; retry after {retry_after:.2f} s")


def bucket_key(credential_id: int, api_id: str) -> str:
    return f"{KEY_PREFIX}ratelimit:{credential_id}:{api_id}"


@dataclass(frozen=True)
class Slot:
    """A reserved slot in one bucket: its call may leave `wait` seconds after `reserved_at` (monotonic)."""

    key: str
    interval: float
    wait: float
    reserved_at: float
    max_wait: float

    @property
    def deadline(self) -> float:
        return self.reserved_at + self.max_wait


def reserve(*, credential_id: int, api_ids: Sequence[str], rate: float, max_wait: float) -> dict[str, Slot]:
    """The next slot of each TR's bucket, reserved in one step: all of them, or none.

    `rate` is Kiwoom's limit in calls per second. Raises `SlotUnavailable` when any of the slots is further
    away than `max_wait`, and then reserves nothing: calls that go out together (a balance's kt00018 and
    kt00001) would otherwise take one slot and waste it when the other is out of reach.
    """
    keys = [bucket_key(credential_id, api_id) for api_id in api_ids]
    interval = (1.0 + SPACING_MARGIN) / rate
    reserved_at = time.monotonic()
    granted, waits = _backend().reserve(keys, interval, max_wait)
    if not granted:
        raise SlotUnavailable(retry_after=max(waits) - max_wait)
    return {
        api_id: Slot(key=key, interval=interval, wait=wait, reserved_at=reserved_at, max_wait=max_wait)
        for api_id, key, wait in zip(api_ids, keys, waits, strict=True)
    }


def wait_for(slot: Slot) -> float:
    """Sleep until the reserved slot and take it; the seconds waited.

    Raises `SlotUnavailable` when the slot moved out of reach meanwhile (an upstream 429, a late caller).
    """
    if slot.wait == 0:
        return 0.0  # the reservation found the bucket free and recorded the send
    wait, waited = slot.reserved_at + slot.wait - time.monotonic(), slot.wait
    while True:
        if wait > 0:
            time.sleep(wait)
        # A caller can wake later than its slot (a busy process, a slow thread): whoever follows it then waits
        # a little longer, so that the calls that actually leave stay a whole interval apart. A 429 meanwhile
        # blocks the slot until the end of its penalty.
        wait, next_free = _backend().confirm(slot.key, slot.interval)
        # A 0 has recorded the send: the caller goes, even if a late wake-up took it past the deadline.
        if not wait:
            return waited
        # Under load every slot is taken as soon as it comes within reach, so most callers hold one at the
        # very edge of their allowed wait: the spacing margin's worth of lateness ahead of them is tolerated,
        # or a jitter of milliseconds would waste every other slot.
        if time.monotonic() + wait > slot.deadline + slot.interval * SPACING_MARGIN:
            # The reserved slot stays taken, unused: the callers behind it were given theirs counting it, and
            # the bucket cannot take back one slot from the middle of its queue. That costs at most one
            # interval of throughput, never a call too many.
            raise SlotUnavailable(retry_after=max(0.0, next_free - slot.max_wait))
        waited += wait


def acquire(*, credential_id: int, api_id: str, rate: float, max_wait: float) -> float:
    """Wait for this credential's next slot for `api_id` (at most `max_wait` s); the seconds waited.

    Raises `SlotUnavailable` without waiting when the next slot is further away than `max_wait`, and after
    waiting when the slot moved out of reach meanwhile.
    """
    slots = reserve(credential_id=credential_id, api_ids=[api_id], rate=rate, max_wait=max_wait)
    return wait_for(slots[api_id])


def penalize(*, credential_id: int, api_id: str, seconds: float = PENALTY_SECONDS) -> None:
    """Kiwoom answered 429 on this bucket: send nothing on it for `seconds`."""
    _backend().penalize(bucket_key(credential_id, api_id), seconds)


def _backend() -> _RedisBuckets | _LocalBuckets:
    client = redis_client()
    return _local if client is None else _redis_buckets(client)


class _RedisBuckets:
    """Buckets in Redis, shared by every process; each step is one atomic script on Redis's clock."""

    def __init__(self, client: redis.Redis) -> None:
        # Each Script computes its SHA once, then runs as EVALSHA (loading itself again after NOSCRIPT).
        self._reserve: Script = client.register_script(_RESERVE)
        self._confirm: Script = client.register_script(_CONFIRM)
        self._penalize: Script = client.register_script(_PENALIZE)

    def reserve(self, keys: Sequence[str], interval: float, max_wait: float) -> tuple[bool, list[float]]:
        """Whether every bucket's next slot is within `max_wait` (then all are reserved), and their waits."""
        granted, *waits = self._reserve(keys=keys, args=[interval, max_wait])
        return bool(granted), [float(wait) for wait in waits]

    def confirm(self, key: str, interval: float) -> tuple[float, float]:
        wait, next_free = self._confirm(keys=[key], args=[interval])
        return float(wait), float(next_free)

    def penalize(self, key: str, seconds: float) -> None:
        self._penalize(keys=[key], args=[seconds])


_redis_buckets = cache(_RedisBuckets)


class _LocalBuckets:
    """The same buckets in one process (embedded defaults)."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._sent: dict[str, float] = {}
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, keys: Sequence[str], interval: float, max_wait: float) -> tuple[bool, list[float]]:
        with self._lock:
            now = time.monotonic()
            waits = [
                max(
                    self._tat.get(key, now),
                    self._sent.get(key, now - interval) + interval,
                    self._blocked.get(key, now),
                    now,
                )
                - now
                for key in keys
            ]
            if max(waits) > max_wait:
                return False, waits
            for key, wait in zip(keys, waits, strict=True):
                self._tat[key] = now + wait + interval
                if wait == 0:
                    self._sent[key] = now
            return True, waits

    def confirm(self, key: str, interval: float) -> tuple[float, float]:
        with self._lock:
            now = time.monotonic()
            due = max(self._sent.get(key, now - interval) + interval, self._blocked.get(key, now))
            if due > now:
                return due - now, max(self._tat.get(key, now), due) - now
            self._sent[key] = now
            return 0.0, 0.0

    def penalize(self, key: str, seconds: float) -> None:
        with self._lock:
            blocked_until = time.monotonic() + seconds
            self._blocked[key] = max(self._blocked.get(key, blocked_until), blocked_until)


_local = _LocalBuckets()
