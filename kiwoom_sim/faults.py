"""Fault injection, the per-token rate limiter and call statistics."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = (
    "latency",
    "http_5xx",
    "drop_before",
    "drop_after",
    "malformed_json",
    "rate_limit",
    "late_answer",
    "late_accept",
    "ws_refuse_login",
)
# Faults of the WebSocket (PROTOCOL.md 5), never taken by a TR call: `ws_refuse_login` answers the next
# `count` LOGINs (or every LOGIN for `seconds`) with 805004 and closes the socket.
WEBSOCKET_KINDS = ("ws_refuse_login",)
# Faults that go on with the call after its client may have given up: the call is processed regardless.
LATE_KINDS = ("late_answer", "late_accept")


@dataclass(eq=False)
class Fault:
    """An injected fault: applies to `count` calls, or to every call until `until` (monotonic seconds)."""

    id: int
    kind: str
    api_id: str | None
    count: int | None
    until: float | None
    # None only for `late_answer`: the answer is held until the client hangs up (it never gets one).
    latency_ms: int | None
    status: int

    def as_dict(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "api_id": self.api_id,
            "count": self.count,
            "seconds_left": None if self.until is None else max(0.0, round(self.until - now, 3)),
            "latency_ms": self.latency_ms,
            "status": self.status,
        }


class FaultInjector:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(
        self,
        kind: str,
        *,
        api_id: str | None = None,
        count: int | None = 1,
        seconds: float | None = None,
        latency_ms: int | None = None,
        status: int | None = None,
    ) -> Fault:
        """Register a fault; with `seconds` it lasts that long (count ignored), otherwise `count` calls."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if seconds is not None and seconds <= 0:
            raise ValueError("seconds must be positive")
        if seconds is None and (count is None or count < 1):
            raise ValueError("count must be a positive integer")
        if kind in ("latency", "late_accept") and (latency_ms is None or latency_ms < 0):
            raise ValueError(f"a {kind} fault needs latency_ms >= 0")
        if kind == "late_answer" and latency_ms is not None and latency_ms < 0:
            raise ValueError("a late_answer fault needs latency_ms >= 0, or none to never answer")
        status = 500 if status is None else status
        if kind == "http_5xx" and not 500 <= status <= 599:
            raise ValueError("http_5xx needs a status between 500 and 599")
        fault = Fault(
            id=self._next_id,
            kind=kind,
            api_id=api_id or None,
            count=None if seconds is not None else count,
            until=None if seconds is None else self._monotonic() + seconds,
            latency_ms=None if kind == "late_answer" and latency_ms is None else latency_ms or 0,
            status=status,
        )
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def take(self, api_id: str) -> Fault | None:
        """The first active fault for this TR, consuming one of its calls."""
        if not self._faults:
            return None
        now = self._monotonic()
        self._faults = [f for f in self._faults if f.until is None or f.until > now]
        for fault in self._faults:
            if fault.kind in WEBSOCKET_KINDS:
                continue
            if fault.api_id is None or fault.api_id == api_id:
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def take_websocket(self, kind: str) -> Fault | None:
        """The first active WebSocket fault of `kind`, consuming one of its uses."""
        if not self._faults:
            return None
        now = self._monotonic()
        self._faults = [f for f in self._faults if f.until is None or f.until > now]
        for fault in self._faults:
            if fault.kind == kind:
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        now = self._monotonic()
        return [f.as_dict(now) for f in self._faults if f.until is None or f.until > now]


class RateLimiter:
    """At most `limit` calls per (token, api-id) within any sliding one-second window."""

    WINDOW = 1.0

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def allow(self, token: str, api_id: str, limit: int) -> bool:
        now = self._monotonic()
        key = (token, api_id)
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) > 50_000:
                self._prune(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.WINDOW:
            hits.popleft()
        if len(hits) >= limit:
            return False  # a refused call does not use up the window
        hits.append(now)
        return True

    def _prune(self, now: float) -> None:
        cutoff = now - self.WINDOW
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > cutoff}

    def clear(self) -> None:
        self._hits.clear()


class Stats:
    """Calls per api-id and per app key of every request routed to a TR (rejected ones included)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.calls_by_app_key: dict[str, dict[str, int]] = {}

    def count(self, api_id: str) -> None:
        self.calls[api_id] = self.calls.get(api_id, 0) + 1

    def count_app_key(self, app_key: str, api_id: str) -> None:
        per_key = self.calls_by_app_key.setdefault(app_key, {})
        per_key[api_id] = per_key.get(api_id, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "calls_by_app_key": {k: dict(v) for k, v in self.calls_by_app_key.items()},
        }

    def reset(self) -> None:
        self.calls.clear()
        self.calls_by_app_key.clear()
