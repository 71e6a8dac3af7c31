"""Run the simulator inside a test process and drive its `/_sim/` control API (docs/CONTRACTS.md)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from aiohttp import web

from .app import create_app
from .config import SimConfig
from .state import DEMO_APP_KEY, DEMO_SECRET

__all__ = [
    "DEMO_APP_KEY",
    "DEMO_SECRET",
    "SimControl",
    "SimControlError",
    "SimulatorHandle",
    "running_simulator",
]


class SimControlError(RuntimeError):
    """The control API refused a request (HTTP status and its error text)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class SimControl:
    """A small `requests` client of the simulator's `/_sim/` API."""

    def __init__(self, base_url: str, session: requests.Session | None = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/_sim/{path}", json=body, params=params or None, timeout=self.timeout
        )
        data = response.json()
        if response.status_code >= 400:
            raise SimControlError(response.status_code, data.get("error", response.text))
        return data

    def reset(self, seed: int | None = None) -> dict[str, Any]:
        return self._call("POST", "reset", {} if seed is None else {"seed": seed})

    def seed(self, n: int) -> dict[str, Any]:
        return self._call("POST", "seed", {"seed": n})

    def set_price(
        self,
        code: str,
        price: int,
        *,
        liquidity: int | None = None,
        hold: bool = True,
        base_price: int | None = None,
    ) -> dict[str, Any]:
        """Pin `code` at `price`; `liquidity` caps the shares resting orders can fill at it (None: all)."""
        body: dict[str, Any] = {"stk_cd": code, "price": price, "hold": hold, "liquidity": liquidity}
        if base_price is not None:
            body["base_price"] = base_price
        return self._call("POST", "price", body)

    def price(self, code: str) -> dict[str, Any]:
        return self._call("GET", "price", stk_cd=code)

    def release_price(self, code: str) -> dict[str, Any]:
        return self._call("POST", "price/release", {"stk_cd": code})

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self._call("POST", "clock", {"advance": seconds})

    def set_clock(self, stamp: str) -> dict[str, Any]:
        """Jump the simulator clock to a Korea-time stamp "YYYYMMDDHHMMSS"."""
        return self._call("POST", "clock", {"set": stamp})

    def freeze_clock(self, frozen: bool = True) -> dict[str, Any]:
        return self._call("POST", "clock", {"freeze": frozen})

    def now(self) -> str:
        return self._call("GET", "clock")["now"]

    def expire_tokens(self) -> dict[str, Any]:
        return self._call("POST", "tokens/expire")

    def refuse_tokens(self, code: int) -> dict[str, Any]:
        """Every live token is answered with `code` (8005, 8010, 8040 or 8103) from now on."""
        return self._call("POST", "tokens/refuse", {"code": code})

    def inject_fault(
        self,
        kind: str,
        *,
        api_id: str | None = None,
        count: int = 1,
        seconds: float | None = None,
        latency_ms: int | None = None,
        status: int | None = None,
    ) -> dict[str, Any]:
        """A fault for the next `count` calls (or `seconds`); kinds and fields in kiwoom_sim/README.md."""
        body = {
            "kind": kind,
            "api_id": api_id,
            "count": count,
            "seconds": seconds,
            "latency_ms": latency_ms,
            "status": status,
        }
        return self._call("POST", "faults", body)

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "faults")["faults"]

    def clear_faults(self) -> dict[str, Any]:
        return self._call("POST", "faults/clear")

    def configure(self, **options: Any) -> dict[str, Any]:
        return self._call("POST", "config", options)

    def config(self) -> dict[str, Any]:
        return self._call("GET", "config")

    def add_account(
        self,
        app_key: str,
        secret: str,
        cash: int = 10_000_000,
        holdings: Sequence[dict[str, Any] | tuple[str, int, int]] = (),
    ) -> dict[str, Any]:
        """Holdings as {stk_cd, qty, avg_price} dicts or (code, qty, avg_price) tuples."""
        rows = [
            h if isinstance(h, dict) else {"stk_cd": h[0], "qty": h[1], "avg_price": h[2]} for h in holdings
        ]
        return self._call(
            "POST", "accounts", {"app_key": app_key, "secret": secret, "cash": cash, "holdings": rows}
        )

    def account(self, app_key: str) -> dict[str, Any]:
        return self._call("GET", f"accounts/{requests.utils.quote(app_key, safe='')}")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._call("POST", "stats/reset")

    def orders(self, app_key: str) -> list[dict[str, Any]]:
        return self._call("GET", "orders", app_key=app_key)["orders"]

    def day(self) -> dict[str, Any]:
        """The trading day the simulator is in: `trading_day`, `previous_trading_day`, `next_trading_day`
        (YYYYMMDD) and `now`."""
        return self._call("GET", "day")

    def roll_day(self, days: int = 1, *, at: str = "090000") -> dict[str, Any]:
        """Close the day and open the next trading day (`days` times), the clock at `at` (HHMMSS, KST).

        Open orders expire, closing prices become the base prices, order numbers restart at 0000001; prices
        stand still in between; weekends and KRX holidays are skipped. `rolled` lists the days opened.
        """
        return self._call("POST", "day/roll", {"days": days, "time": at})

    def history(
        self, app_key: str, *, start: str | None = None, end: str | None = None
    ) -> list[dict[str, Any]]:
        """An account's fills by day (`[{"date", "trades": [...]}]`), each sale with its cost and profit."""
        params = {k: v for k, v in {"start": start, "end": end}.items() if v}
        return self._call("GET", "history", app_key=app_key, **params)["days"]

    def refuse_pnl(self, refuse: bool = True) -> dict[str, Any]:
        """The realized-P&L TRs (ka10072/73/74/77/85/170) answer RC9000, as where they are not offered."""
        return self._call("POST", "pnl/refuse", {"refuse": refuse})

    def stream_stats(self) -> dict[str, Any]:
        """WebSocket counts: sessions, logins, R10001 kicks and most sessions at once per app key, frames."""
        return self._call("GET", "stream")

    def reset_stream_stats(self) -> dict[str, Any]:
        return self._call("POST", "stream/reset")

    def drop_streams(self, app_key: str | None = None) -> int:
        """Cut the WebSocket connections (of `app_key`, or all) without a close frame; how many."""
        return self._call("POST", "stream/drop", {"app_key": app_key})["dropped"]

    def stall_streams(self, seconds: float, app_key: str | None = None) -> int:
        """The WebSocket sessions (of `app_key`, or all) send nothing, PINGs included, for `seconds`."""
        return self._call("POST", "stream/stall", {"app_key": app_key, "seconds": seconds})["stalled"]


@dataclass
class SimulatorHandle:
    base_url: str
    ws_url: str
    control: SimControl
    config: SimConfig


class _ServerThread(threading.Thread):
    """The simulator on its own event loop in a daemon thread."""

    def __init__(self, config: SimConfig) -> None:
        super().__init__(name="kiwoom-sim", daemon=True)
        self.config = config
        self.ready = threading.Event()
        self.port: int | None = None
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> None:
        loop = self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner: web.AppRunner | None = None
        try:
            runner = web.AppRunner(create_app(self.config), access_log=None, handle_signals=False)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.config.host, self.config.port)
            loop.run_until_complete(site.start())
            self.port = runner.addresses[0][1]
            self.ready.set()
            loop.run_forever()
        except BaseException as exc:  # surfaced to the starting thread
            self.error = exc
            self.ready.set()
        finally:
            if runner is not None:
                loop.run_until_complete(runner.cleanup())
            # Connections still open (keep-alive clients) leave handler tasks behind: end them quietly.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        if self.loop is not None and self.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(timeout=10)


@contextmanager
def running_simulator(**options: Any) -> Iterator[SimulatorHandle]:
    """Start the simulator on 127.0.0.1 on a free port in a background thread; stop it on exit.

    Options are SimConfig fields (rate_limit, token_ttl, latency_ms, seed, enforce_hours, auto_provision,
    demo_keys, accounts_file, reissue_mode, start_time, freeze_clock, ws_ping_interval, ...).
    """
    options.setdefault("host", "127.0.0.1")
    options.setdefault("port", 0)
    config = SimConfig.from_options(**options)
    server = _ServerThread(config)
    server.start()
    if not server.ready.wait(timeout=15):
        raise RuntimeError("the simulator did not start within 15 s")
    if server.error is not None:
        raise RuntimeError(f"the simulator failed to start: {server.error!r}") from server.error
    base_url = f"http://{config.host}:{server.port}"
    ws_url = f"ws://{config.host}:{server.port}/api/dostk/websocket"
    control = SimControl(base_url)
    try:
        yield SimulatorHandle(base_url, ws_url, control, config)
    finally:
        control.session.close()
        server.stop()
