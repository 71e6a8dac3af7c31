"""The aiohttp application: TR routing by `api-id`, the checks every TR call passes, faults and latency."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, web

from .config import SimConfig
from .faults import Fault
from .handlers import OAUTH_PATHS, TR_REGISTRY, Call, TrSpec, control, websocket
from .protocol import (
    JSON_CONTENT_TYPE,
    KiwoomError,
    api_id_not_on_uri,
    bad_format,
    input_error,
    missing_api_id,
    rate_limited,
    token_invalid,
    token_refused,
    unexpected_error,
    unknown_api_id,
)
from .state import STATE, SimState

log = logging.getLogger("kiwoom_sim")

TICKER = web.AppKey("kiwoom_sim_ticker", asyncio.Task)

MAX_HEADER_BYTES = 64 * 1024  # room for absurd (10 kB) tokens, so they get a Kiwoom error, not a bare 400
MAX_ECHOED_API_ID = 20


def create_app(config: SimConfig | None = None) -> web.Application:
    """Build the simulator application for `config` (defaults: mock-like, port 8700, seed 0)."""
    config = config or SimConfig()
    app = web.Application(
        client_max_size=config.max_body_bytes,
        handler_args={"max_field_size": MAX_HEADER_BYTES, "max_line_size": MAX_HEADER_BYTES},
        middlewares=[_error_middleware],
    )
    app[STATE] = SimState(config)
    app.router.add_get("/api/dostk/websocket", websocket.handle)
    for path in OAUTH_PATHS:
        app.router.add_route("*", path, tr_endpoint)
    app.router.add_route("*", "/api/dostk/{area}", tr_endpoint)
    control.add_routes(app)
    app.on_startup.append(_start_ticker)
    app.on_shutdown.append(_close_websockets)
    app.on_cleanup.append(_stop_ticker)
    return app


# ---------------------------------------------------------------------------------------------------------
# Responses


def kiwoom_response(
    payload: dict[str, Any],
    api_id: str,
    *,
    status: int = 200,
    cont_yn: str = "N",
    next_key: str = "",
    malformed: bool = False,
) -> web.Response:
    # errors="replace": text echoed from a hostile request must not break the response.
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")
    if malformed:
        data = data[: max(1, len(data) // 2)]  # cut mid-document: a body no JSON parser accepts
    return web.Response(
        body=data,
        status=status,
        headers={
            "Content-Type": JSON_CONTENT_TYPE,
            "api-id": _echoable(api_id),
            "cont-yn": cont_yn,
            "next-key": next_key,
        },
    )


def _echoable(api_id: str) -> str:
    """The request's api-id as it may go back in a header: short, printable ASCII, or nothing."""
    api_id = api_id[:MAX_ECHOED_API_ID]
    return api_id if api_id.isascii() and api_id.isprintable() else ""


def _header_api_id(request: web.Request) -> str:
    """The `api-id` request header, with anything but printable ASCII replaced (it is echoed in messages)."""
    value = request.headers.get("api-id", "").strip()
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in value[:100])


def error_response(error: KiwoomError, api_id: str) -> web.Response:
    return kiwoom_response(error.body(), api_id, status=error.status)


def _drop_connection(request: web.Request) -> web.Response:
    """Close the socket so the client sees a dropped connection instead of a response."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=200)  # never reaches the client: the transport is already closing


@web.middleware
async def _error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Answer routing errors and anything unexpected in Kiwoom's shape, never with a traceback."""
    api_id = _header_api_id(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status == 404:
            error = input_error(
                1504, f"해당 URI에서는 지원하는 API ID가 아닙니다. API ID={api_id}, URI={request.path}"
            )
        elif exc.status == 405:
            error = bad_format("method", "POST만 지원합니다")
        else:
            error = bad_format("request", exc.reason)
        error.status = exc.status
        return error_response(error, api_id)
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:
        log.exception("unexpected error while handling %s %s", request.method, request.path)
        return error_response(unexpected_error(), api_id)


# ---------------------------------------------------------------------------------------------------------
# TR endpoint


def _route(request: web.Request) -> TrSpec:
    """Pick the TR: fixed on the OAuth paths, by the `api-id` header elsewhere (1501/1504/1505)."""
    path = request.path
    header_id = _header_api_id(request)
    oauth_id = OAUTH_PATHS.get(path)
    if oauth_id is not None:
        # Kiwoom's own clients send no api-id here; accept it when it names this TR.
        if header_id and header_id != oauth_id:
            raise api_id_not_on_uri(header_id, path)
        return TR_REGISTRY[oauth_id]
    if not header_id:
        raise missing_api_id()
    spec = TR_REGISTRY.get(header_id)
    if spec is None:
        raise unknown_api_id(header_id)
    if spec.path != path:
        raise api_id_not_on_uri(header_id, path)
    return spec


def _bearer_token(request: web.Request) -> str:
    """The raw token of `authorization: Bearer <token>` (1513-1516 when missing or malformed)."""
    value = request.headers.get("authorization", "").strip()
    if not value:
        raise input_error(1513, "Http Header에 authorization 필드가 설정되어 있어야 합니다")
    parts = value.split()
    if len(parts) == 1:
        if parts[0].lower() == "bearer":
            raise input_error(1516, "authorization 필드 내 Token이 정의되어 있지 않습니다")
        raise input_error(1514, "authorization 필드 형식이 맞지 않습니다")
    if len(parts) > 2:
        raise input_error(1514, "authorization 필드 형식이 맞지 않습니다")
    if parts[0].lower() != "bearer":
        raise input_error(1515, "authorization 필드 내 Grant Type이 미리 정의된 형식이 아닙니다")
    return parts[1]


async def _read_body(request: web.Request, timeout: float) -> bytes:
    """The whole request body (413 when too big, 408 when it does not arrive within `timeout`)."""
    try:
        return await asyncio.wait_for(request.read(), timeout)
    except web.HTTPRequestEntityTooLarge:
        raise bad_format("body", "요청 본문이 허용 크기를 초과했습니다", status=413) from None
    except TimeoutError:
        raise bad_format("body", "요청 본문을 제때 받지 못했습니다", status=408) from None


def _parse_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; an empty body is an empty object (its required fields then give 1511)."""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad_format("body", "JSON 형식이 아닙니다") from None
    if not isinstance(data, dict):
        raise bad_format("body", "JSON 객체가 아닙니다")
    return data


async def tr_endpoint(request: web.Request) -> web.StreamResponse:
    """One TR call: route by path and `api-id`, apply faults and latency, then check and run the TR."""
    state = request.app[STATE]
    echoed = OAUTH_PATHS.get(request.path) or _header_api_id(request)
    if request.method != "POST":
        error = bad_format("method", "POST만 지원합니다", status=405)
        return error_response(error, echoed)
    try:
        spec = _route(request)
    except KiwoomError as error:
        return error_response(error, echoed)
    api_id = spec.api_id
    state.stats.count(api_id)
    fault = state.faults.take(api_id)
    delay_ms = state.settings.latency_ms + (fault.latency_ms if fault and fault.kind == "latency" else 0)
    if delay_ms:
        await asyncio.sleep(delay_ms / 1000)
    if fault is not None:
        early = _fault_before(request, state, fault, api_id)
        if early is not None:
            return early
    try:
        raw = await _read_body(request, state.config.body_timeout)
        if fault is not None and fault.kind == "late_accept":
            # The body is in hand: what follows goes on even if the client hangs up while Kiwoom is slow.
            await asyncio.sleep((fault.latency_ms or 0) / 1000)
        # Nothing is awaited from here to the answer: the token, its account and the book are checked and
        # changed in one step, so a revoke, reset or expiry cannot slip in between.
        call = _prepare_call(request, state, spec, raw)
        result = spec.handler(state, call)
    except KiwoomError as error:
        response_body, status, cont_yn, next_key = error.body(), error.status, "N", ""
    else:
        response_body, status, cont_yn, next_key = result.body, 200, result.cont_yn, result.next_key
    if fault is not None and fault.kind == "drop_after":
        return _drop_connection(request)
    if fault is not None and fault.kind == "late_answer":
        await _hold_answer(request, fault.latency_ms)
    malformed = fault is not None and fault.kind == "malformed_json"
    return kiwoom_response(
        response_body, api_id, status=status, cont_yn=cont_yn, next_key=next_key, malformed=malformed
    )


async def _hold_answer(request: web.Request, latency_ms: int | None) -> None:
    """Wait `latency_ms` before answering, or (None) until the client hangs up: it never gets the answer."""
    if latency_ms is not None:
        await asyncio.sleep(latency_ms / 1000)
        return
    while request.transport is not None and not request.transport.is_closing():
        await asyncio.sleep(0.02)


def _fault_before(request: web.Request, state: SimState, fault: Fault, api_id: str) -> web.Response | None:
    """Faults that replace the call: nothing is processed."""
    if fault.kind == "drop_before":
        return _drop_connection(request)
    if fault.kind == "http_5xx":
        return error_response(unexpected_error(fault.status), api_id)
    if fault.kind == "rate_limit":
        return error_response(rate_limited(state.settings.rate_limit, api_id), api_id)
    return None


def _prepare_call(request: web.Request, state: SimState, spec: TrSpec, raw: bytes) -> Call:
    """Authenticate, rate-limit and parse the body: header and token errors come before body errors."""
    call = Call(
        api_id=spec.api_id,
        body={},
        cont_yn=request.headers.get("cont-yn", "N").strip().upper(),
        next_key=request.headers.get("next-key", "").strip(),
    )
    if spec.needs_token:
        token_value = _bearer_token(request)
        token = state.tokens.lookup(token_value, state.clock.now())
        account = state.engine.accounts.get(token.app_key) if token else None
        if account is None:
            refusal = state.tokens.refusal(token_value)
            raise token_refused(refusal) if refusal else token_invalid()
        state.stats.count_app_key(account.app_key, spec.api_id)
        if not state.limiter.allow(token_value, spec.api_id, state.settings.rate_limit):
            raise rate_limited(state.settings.rate_limit, spec.api_id)
        call.account = account
    call.body = _parse_json(raw)
    return call


# ---------------------------------------------------------------------------------------------------------
# Background work


async def _tick(app: web.Application) -> None:
    """Move prices along the clock once a second so resting orders fill (and push frames) unasked; close
    sockets whose token died, and push `0B`/`0D` for registered codes."""
    while True:
        state = app[STATE]
        await asyncio.sleep(min(1.0, state.config.step_seconds))
        try:
            state.engine.sync()
        except Exception:  # keep ticking: one bad step must not stop the market
            log.exception("market tick failed")
        try:
            state.hub.close_dead_tokens(state.tokens, state.clock.now())
            state.hub.push_market(state.market, state.engine, state.clock.now())
        except Exception:
            log.exception("stream tick failed")


async def _start_ticker(app: web.Application) -> None:
    app[TICKER] = asyncio.get_running_loop().create_task(_tick(app))


async def _stop_ticker(app: web.Application) -> None:
    task = app.get(TICKER)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _close_websockets(app: web.Application) -> None:
    for session in list(app[STATE].hub.sessions):
        await session.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
