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
With Redis configured but unreachable, nothing is sent: each process pacing on its own would let the site as a
whole exceed Kiwoom's limits, so reserving, confirming and recording a send raise
`KiwoomCoordinationUnavailable` (503 `service_degraded`). Only a penalty is best effort.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import redis
from redis.commands.core import Script

from brokerage.connections.coordination import (
    KEY_PREFIX,
    VERSION_MEMORY_SECONDS,
    redis_client,
    redis_required,
    version_key,
    version_new,
    version_read,
    versions_catch_up,
)

logger = logging.getLogger(__name__)

# Kiwoom counts calls in a sliding one-second window over their arrival times, and arrivals jitter (a busy
# process wakes late, a request waits for a connection): pacing at exactly the limit would make calls arrive
# too early. Spacing calls 10% wider leaves 100 ms of jitter per window, at any rate.
SPACING_MARGIN = 0.10
# After an upstream 429 nothing is sent on that bucket for one whole Kiwoom window.
PENALTY_SECONDS = 1.0
# A call on a slot taken with others that leaves within this long after the sends were recorded left, for the
# bucket, when they were: recording it again would cost a Redis round trip per call for a pacing error of at
# most this much, 1% of the tightest spacing margin (real trading's 20 ms). Later departures are recorded.
DEPARTURE_SLACK = 0.002

# A bucket is a hash: `t`, the theoretical arrival time of its next call (reservations); `s`, when its last
# call actually left; `p`, until when an upstream 429 blocks it. Times are Redis's own clock, in seconds.
# Calls reserved together leave together: {granted, sent, wait per bucket}. Granted only if every bucket's
# slot is within ARGV[2]; `sent` when every bucket is free now (the sends are recorded), else the caller
# waits for the last of the slots and confirms.
# With ARGV[3], the last key is a version (`coordination.version_read`, made ARGV[3] with the expiry ARGV[4]
# when absent), read in the same step and answered after the waits.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local buckets = {}
for i, key in ipairs(KEYS) do
    buckets[i] = key
end
local version
if ARGV[3] then
    local version_key = table.remove(buckets)
    version = redis.call('GET', version_key)
    if not version then
        version = ARGV[3]
        redis.call('SET', version_key, version, 'EX', tonumber(ARGV[4]))
    end
end
local waits, granted, sent = {}, 1, 1
for i, key in ipairs(buckets) do
    local fields = redis.call('HMGET', key, 't', 's', 'p')
    local tat = math.max(
        tonumber(fields[1] or '0'), tonumber(fields[2] or '0') + interval, tonumber(fields[3] or '0'), now
    )
    waits[i] = tat - now
    if waits[i] > tonumber(ARGV[2]) then
        granted = 0
    end
    if waits[i] > 0 then
        sent = 0
    end
end
if granted == 0 then
    sent = 0
end
-- The group leaves together, at the last of its slots: every bucket's next slot comes an interval after that.
local last = math.max(unpack(waits))
local answer = {granted, sent}
for i, key in ipairs(buckets) do
    if granted == 1 then
        redis.call('HSET', key, 't', string.format('%.6f', now + last + interval))
        if sent == 1 then
            redis.call('HSET', key, 's', string.format('%.6f', now))
        end
        redis.call('PEXPIRE', key, math.ceil((last + interval) * 1000) + 1000)
    end
    answer[i + 2] = string.format('%.6f', waits[i])
end
if version then
    answer[#buckets + 3] = version
end
return answer
"""

# {sent, wait, free}: whether the woken caller may send now (recorded in every bucket), else how long it must
# still wait for the last of them, and how long a reservation made now would wait (the retry time of a
# caller that gives up).
_CONFIRM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local wait, free = 0, 0
for i, key in ipairs(KEYS) do
    local fields = redis.call('HMGET', key, 't', 's', 'p')
    local due = math.max(tonumber(fields[2] or '0') + interval, tonumber(fields[3] or '0'))
    if due > now then
        wait = math.max(wait, due - now)
        free = math.max(free, math.max(tonumber(fields[1] or '0'), due) - now)
    end
end
if wait > 0 then
    return {0, string.format('%.6f', wait), string.format('%.6f', free)}
end
for i, key in ipairs(KEYS) do
    redis.call('HSET', key, 's', string.format('%.6f', now))
    redis.call('PEXPIRE', key, math.max(redis.call('PTTL', key), math.ceil(interval * 1000) + 1000))
end
return {1, '0', '0'}
"""

# A call on a slot taken with others leaves now, perhaps a little after the send was recorded (it ran in
# another thread, or after another call): the bucket counts from the real departure.
_SENT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if now > tonumber(redis.call('HGET', KEYS[1], 's') or '0') then
    redis.call('HSET', KEYS[1], 's', string.format('%.6f', now))
end
return 1
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
class Reservation:
    """Slots reserved together, one per bucket: their calls may leave `wait` s after `reserved_at`."""

    keys: tuple[str, ...]
    interval: float
    # Until the last of the slots.
    wait: float
    # Every bucket was free: the sends are recorded already.
    sent: bool
    reserved_at: float
    max_wait: float
    # The version read in the same step (`reserve(version_of=...)`).
    version: str | None = None


def reserve(
    *,
    credential_id: int,
    api_ids: Sequence[str],
    rate: float,
    max_wait: float,
    version_of: str | None = None,
) -> Reservation:
    """The next slot of each TR's bucket, reserved in one step: all of them, or none.

    `rate` is Kiwoom's limit in calls per second. Raises `SlotUnavailable` when any of the slots is further
    away than `max_wait`, and then reserves nothing: calls that go out together (a balance's kt00018 and
    kt00001) would otherwise take one slot and waste it when the other is out of reach. With `version_of`,
    the current version of that name (`coordination.version_read`) is read in the same step, so that a request
    checks what it keeps in memory and takes its slots in one round trip.
    """
    keys = tuple(bucket_key(credential_id, api_id) for api_id in api_ids)
    interval = (1.0 + SPACING_MARGIN) / rate
    reserved_at = time.monotonic()
    granted, sent, waits, version = _backend().reserve(keys, interval, max_wait, version_of)
    if not granted:
        raise SlotUnavailable(retry_after=max(waits) - max_wait)
    return Reservation(
        keys=keys,
        interval=interval,
        wait=max(waits),
        sent=sent,
        reserved_at=reserved_at,
        max_wait=max_wait,
        version=version,
    )


def wait_for(reservation: Reservation) -> float:
    """Sleep until the last of the reserved slots, then take them all at once; the seconds waited.

    Raises `SlotUnavailable`, with none of the slots taken, when they moved out of reach meanwhile (an
    upstream 429, a late caller ahead): the calls that go together then all stay unsent.
    """
    if reservation.sent:
        return 0.0
    deadline = reservation.reserved_at + reservation.max_wait
    # Under load every slot is taken as soon as it comes within reach, so most callers hold one at the very
    # edge of their allowed wait: the spacing margin's worth of lateness ahead of them is tolerated, or a
    # jitter of milliseconds would waste every other slot.
    tolerance = reservation.interval * SPACING_MARGIN
    wait = reservation.reserved_at + reservation.wait - time.monotonic()
    waited = reservation.wait
    while True:
        if wait > 0:
            time.sleep(wait)
        # A caller can wake later than its slot (a busy process, a slow thread): whoever follows it then waits
        # a little longer, so that the calls that actually leave stay a whole interval apart. A 429 meanwhile
        # blocks the slot until the end of its penalty.
        sent, wait, next_free = _backend().confirm(reservation.keys, reservation.interval)
        # A send is recorded: the caller goes, even if a late wake-up took it past the deadline.
        if sent:
            return waited
        if time.monotonic() + wait > deadline + tolerance:
            # The reserved slots stay taken, unused: the callers behind were given theirs counting them, and
            # a bucket cannot take back one slot from the middle of its queue. That costs at most one
            # interval of throughput, never a call too many.
            raise SlotUnavailable(retry_after=max(0.0, next_free - reservation.max_wait))
        waited += wait


def acquire(*, credential_id: int, api_id: str, rate: float, max_wait: float) -> float:
    """Wait for this credential's next slot for `api_id` (at most `max_wait` s); the seconds waited.

    Raises `SlotUnavailable` without waiting when the next slot is further away than `max_wait`, and after
    waiting when the slot moved out of reach meanwhile.
    """
    return wait_for(reserve(credential_id=credential_id, api_ids=[api_id], rate=rate, max_wait=max_wait))


def record_send(*, credential_id: int, api_id: str) -> None:
    """A call on a slot `wait_for` took with others leaves now: the bucket's next slot counts from now."""
    _backend().record_send(bucket_key(credential_id, api_id))


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
        self._sent: Script = client.register_script(_SENT)

    def reserve(
        self, keys: Sequence[str], interval: float, max_wait: float, version_of: str | None
    ) -> tuple[bool, bool, list[float], str | None]:
        """(granted, sent, the wait of each bucket's slot, the version read): see `_RESERVE`."""
        if version_of is None:
            with redis_required():
                granted, sent, *waits = self._reserve(keys=keys, args=[interval, max_wait])
            return bool(granted), bool(sent), [float(wait) for wait in waits], None
        versions_catch_up()
        args = [interval, max_wait, version_new(), VERSION_MEMORY_SECONDS]
        with redis_required():
            granted, sent, *waits, version = self._reserve(keys=[*keys, version_key(version_of)], args=args)
        return bool(granted), bool(sent), [float(wait) for wait in waits], version.decode()

    def confirm(self, keys: Sequence[str], interval: float) -> tuple[bool, float, float]:
        """(sent, wait, next free): see `_CONFIRM`."""
        with redis_required():
            sent, wait, next_free = self._confirm(keys=keys, args=[interval])
        return bool(sent), float(wait), float(next_free)

    def penalize(self, key: str, seconds: float) -> None:
        # Best effort: the call it follows was answered, and the next one cannot be sent without Redis anyway.
        try:
            self._penalize(keys=[key], args=[seconds])
        except redis.RedisError as exc:
            logger.warning("An upstream 429 could not be recorded on %s: %s", key, exc)

    def record_send(self, key: str) -> None:
        with redis_required():
            self._sent(keys=[key])


_redis_buckets = cache(_RedisBuckets)


class _LocalBuckets:
    """The same buckets in one process (embedded defaults)."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._sent: dict[str, float] = {}
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(
        self, keys: Sequence[str], interval: float, max_wait: float, version_of: str | None
    ) -> tuple[bool, bool, list[float], str | None]:
        version = None if version_of is None else version_read(version_of)
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
                return False, False, waits, version
            last = max(waits)  # the group leaves together, at the last of its slots
            for key in keys:
                self._tat[key] = now + last + interval
                if last == 0:
                    self._sent[key] = now
            return True, last == 0, waits, version

    def confirm(self, keys: Sequence[str], interval: float) -> tuple[bool, float, float]:
        with self._lock:
            now = time.monotonic()
            wait = free = 0.0
            for key in keys:
                due = max(self._sent.get(key, now - interval) + interval, self._blocked.get(key, now))
                if due > now:
                    wait = max(wait, due - now)
                    free = max(free, max(self._tat.get(key, now), due) - now)
            if wait > 0:
                return False, wait, free
            for key in keys:
                self._sent[key] = now
            return True, 0.0, 0.0

    def record_send(self, key: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._sent[key] = max(self._sent.get(key, now), now)

    def penalize(self, key: str, seconds: float) -> None:
        with self._lock:
            blocked_until = time.monotonic() + seconds
            self._blocked[key] = max(self._blocked.get(key, blocked_until), blocked_until)


_local = _LocalBuckets()
