"""The `/_sim/` control API for tests and fault drills; loopback clients only (403 otherwise)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from datetime import time as dt_time
from typing import Any

from aiohttp import web

from ..clock import format_stamp, next_trading_day, parse_stamp, previous_trading_day
from ..faults import FAULT_KINDS
from ..protocol import TOKEN_REFUSALS
from ..state import STATE, AccountSpec, SimState
from . import pnl

ControlHandler = Callable[[SimState, web.Request, dict[str, Any]], Any]


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _json(data: Any, status: int = 200) -> web.Response:
    # ASCII-escaped JSON: names are Korean and keys may come from hostile input; either way it encodes.
    return web.json_response(data, status=status, dumps=json.dumps)


def _endpoint(func: ControlHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if not is_loopback(request.remote):
            return _json({"error": "the control API accepts loopback clients only"}, 403)
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            try:
                parsed = await request.json()
            except ValueError:
                return _json({"error": "body must be JSON"}, 400)
            if parsed is not None and not isinstance(parsed, dict):
                return _json({"error": "body must be a JSON object"}, 400)
            body = parsed or {}
        try:
            result = func(request.app[STATE], request, body)
        except ControlError as exc:
            return _json({"error": str(exc)}, exc.status)
        except (ValueError, KeyError, TypeError, OverflowError) as exc:  # overflow: a clock beyond 9999
            return _json({"error": str(exc)}, 400)
        return _json(result if result is not None else {"ok": True})

    return wrapper


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlError(f"{name} must be an integer")
    return value


def _now(state: SimState) -> dict[str, Any]:
    return {"now": format_stamp(state.clock.now()), "frozen": state.clock.frozen}


# ---------------------------------------------------------------------------------------------------------


def reset(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    state.reset(seed=_int(body, "seed") if "seed" in body else None)
    return {"ok": True, **_now(state)}


def seed(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    state.reseed(_int(body, "seed"))
    return {"ok": True, "seed": state.market.seed}


def _quote(state: SimState, code: str) -> dict[str, Any]:
    stock = state.market.get(code)
    if stock is None:
        raise ControlError(f"unknown stock code {code!r}", 404)
    return {
        "stk_cd": stock.code,
        "stk_nm": stock.name,
        "price": stock.price,
        "base_price": stock.base_price,
        "upper": stock.upper,
        "lower": stock.lower,
        "open": stock.open,
        "high": stock.high,
        "low": stock.low,
        "volume": stock.volume,
        "pinned": stock.pinned,
        "liquidity": stock.liquidity,
    }


def set_price(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    """Pin a price (optionally with a new base price and limited liquidity) and match resting orders."""
    code = str(body.get("stk_cd", ""))
    if state.market.get(code) is None:
        raise ControlError(f"unknown stock code {code!r}", 404)
    liquidity = body.get("liquidity", body.get("volume"))
    if liquidity is not None:
        liquidity = _int({"liquidity": liquidity}, "liquidity")
    base_price = _int(body, "base_price") if body.get("base_price") is not None else None
    state.engine.sync()
    stock = state.market.set_price(
        code,
        _int(body, "price"),
        liquidity=liquidity,
        hold=bool(body.get("hold", True)),
        base_price=base_price,
    )
    filled = state.engine.match(stock)
    return {**_quote(state, code), "filled_qty": filled}


def get_price(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    state.engine.sync()
    code = request.query.get("stk_cd")
    if code:
        return _quote(state, code)
    return {"prices": [_quote(state, c) for c in state.market.stocks]}


def release_price(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    code = str(body.get("stk_cd", ""))
    if state.market.get(code) is None:
        raise ControlError(f"unknown stock code {code!r}", 404)
    state.market.release(code)
    return _quote(state, code)


def clock(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    """Advance ({"advance": seconds}), jump ({"set": "YYYYMMDDHHMMSS"}) or (un)freeze the simulator clock."""
    if request.method == "POST":
        # Check everything first: a refused request must not leave the clock half changed.
        moment = parse_stamp(str(body["set"])) if "set" in body else None
        seconds = body.get("advance", 0)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ControlError("advance must be a non-negative number of seconds")
        if "freeze" in body:
            state.clock.freeze(bool(body["freeze"]))
        if moment is not None:
            # Setting the clock back leaves prices where they are until the clock passes them again.
            state.clock.set(moment)
        state.clock.advance(seconds)
        state.engine.sync()
    return _now(state)


def expire_tokens(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"expired": state.tokens.expire_all()}


def refuse_tokens(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    code = body.get("code")
    if code not in TOKEN_REFUSALS or isinstance(code, bool):
        raise ControlError(f"code must be one of {', '.join(map(str, TOKEN_REFUSALS))}")
    return {"refused": state.tokens.refuse_all(code)}


def add_fault(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise ControlError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    seconds = body.get("seconds")
    if seconds is not None and (not isinstance(seconds, (int, float)) or isinstance(seconds, bool)):
        raise ControlError("seconds must be a number")
    fault = state.faults.add(
        kind,
        api_id=body.get("api_id"),
        count=body.get("count", 1),
        seconds=seconds,
        latency_ms=body.get("latency_ms"),
        status=body.get("status"),
    )
    return {"id": fault.id, "faults": state.faults.active()}


def list_faults(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"faults": state.faults.active()}


def clear_faults(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    state.faults.clear()
    return {"faults": []}


def configure(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    if request.method == "POST":
        state.settings.update(body)
    return state.settings.as_dict()


def add_account(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    spec = AccountSpec.from_json({"cash": state.config.default_cash, **body})
    account = state.engine.add_account(spec.app_key, spec.secret, spec.cash, spec.holdings)
    return {"app_key": account.app_key, "acnt_no": account.acnt_no, "cash": account.cash}


def get_account(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    app_key = request.match_info["app_key"]
    account = state.engine.accounts.get(app_key)
    if account is None:
        raise ControlError(f"no account for app key {app_key!r}", 404)
    state.engine.sync()
    return {
        "app_key": account.app_key,
        "acnt_no": account.acnt_no,
        "cash": account.cash,
        "orderable": state.engine.orderable_cash(account),
        "holdings": [
            {
                "stk_cd": h.code,
                "qty": h.qty,
                "pur_amt": h.pur_amt,
                "avg_price": h.avg_price,
                "sellable": state.engine.sellable(account, h.code),
            }
            for h in account.holdings.values()
            if h.qty
        ],
    }


def stats(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return state.stats.as_dict()


def reset_stats(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    state.stats.reset()
    return state.stats.as_dict()


def orders(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    app_key = request.query.get("app_key", "")
    account = state.engine.accounts.get(app_key)
    if account is None:
        raise ControlError(f"no account for app key {app_key!r}", 404)
    state.engine.sync()
    return {"orders": [state.engine.order_summary(o) for o in account.orders]}


def stream_stats(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return state.hub.stats()


def stream_reset_stats(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    state.hub.reset_stats()
    return state.hub.stats()


def _app_key_of(body: dict[str, Any]) -> str | None:
    app_key = body.get("app_key")
    if app_key is not None and not isinstance(app_key, str):
        raise ControlError("app_key must be a string")
    return app_key


def stream_drop(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"dropped": state.hub.drop(_app_key_of(body))}


def stream_stall(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    seconds = body.get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
        raise ControlError("seconds must be a positive number")
    return {"stalled": state.hub.stall(_app_key_of(body), float(seconds))}


def _day_status(state: SimState) -> dict[str, Any]:
    day = state.engine.session_day
    return {
        **_now(state),
        "trading_day": day.strftime("%Y%m%d"),
        "previous_trading_day": previous_trading_day(day).strftime("%Y%m%d"),
        "next_trading_day": next_trading_day(day).strftime("%Y%m%d"),
    }


def day_status(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    """The trading day the simulator is in (weekends and KRX holidays belong to the one before)."""
    state.engine.sync()
    return _day_status(state)


def day_roll(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    """Close the day and open the next trading day (`days` times) at `time` ("HHMMSS", KST, default 090000).

    Open orders expire, the close becomes the base price, order numbers restart; prices stand still between
    the days. Weekends and KRX holidays are skipped.
    """
    days = _int(body, "days", 1)
    if not 1 <= days <= 400:
        raise ControlError("days must be between 1 and 400")
    text = str(body.get("time", "090000"))
    if len(text) != 6 or not text.isdigit():
        raise ControlError("time must be HHMMSS (Korea time)")
    at = dt_time(int(text[:2]), int(text[2:4]), int(text[4:]))
    rolled = [state.engine.next_day(at).strftime("%Y%m%d") for _ in range(days)]
    return {**_day_status(state), "rolled": rolled}


def _stamp_day(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise ControlError(f"expected a YYYYMMDD date, got {text!r}") from None


def trade_history(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    """An account's fills by day with what each realized (`?app_key=&start=&end=`, dates YYYYMMDD)."""
    app_key = request.query.get("app_key", "")
    account = state.engine.accounts.get(app_key)
    if account is None:
        raise ControlError(f"no account for app key {app_key!r}", 404)
    state.engine.sync()
    start = _stamp_day(request.query.get("start"), date.min)
    end = _stamp_day(request.query.get("end"), date.max)
    return {"days": pnl.trades_json(account, start, end)}


def refuse_pnl(state: SimState, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    """`{"refuse": true}`: the realized-P&L TRs answer RC9000 (as where not offered) until a reset."""
    refuse = body.get("refuse", True)
    if not isinstance(refuse, bool):
        raise ControlError("refuse must be true or false")
    state.pnl_refused = refuse
    return {"refused": state.pnl_refused}


def add_routes(app: web.Application) -> None:
    routes: list[tuple[str, str, ControlHandler]] = [
        ("POST", "/_sim/reset", reset),
        ("POST", "/_sim/seed", seed),
        ("POST", "/_sim/price", set_price),
        ("GET", "/_sim/price", get_price),
        ("POST", "/_sim/price/release", release_price),
        ("GET", "/_sim/clock", clock),
        ("POST", "/_sim/clock", clock),
        ("POST", "/_sim/tokens/expire", expire_tokens),
        ("POST", "/_sim/tokens/refuse", refuse_tokens),
        ("POST", "/_sim/faults", add_fault),
        ("GET", "/_sim/faults", list_faults),
        ("POST", "/_sim/faults/clear", clear_faults),
        ("GET", "/_sim/config", configure),
        ("POST", "/_sim/config", configure),
        ("POST", "/_sim/accounts", add_account),
        ("GET", "/_sim/accounts/{app_key}", get_account),
        ("GET", "/_sim/stats", stats),
        ("POST", "/_sim/stats/reset", reset_stats),
        ("GET", "/_sim/orders", orders),
        ("GET", "/_sim/day", day_status),
        ("POST", "/_sim/day/roll", day_roll),
        ("GET", "/_sim/history", trade_history),
        ("POST", "/_sim/pnl/refuse", refuse_pnl),
        ("GET", "/_sim/stream", stream_stats),
        ("POST", "/_sim/stream/reset", stream_reset_stats),
        ("POST", "/_sim/stream/drop", stream_drop),
        ("POST", "/_sim/stream/stall", stream_stall),
    ]
    for method, path, func in routes:
        app.router.add_route(method, path, _endpoint(func))
