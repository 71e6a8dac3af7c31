"""Event to browser: from the simulator sending a `00` frame to a /ws/v1/live client receiving the `order`.

Processes, as deployed: the simulator, one stream process (`manage.py kiwoom_stream`, holding one Kiwoom
WebSocket per credential), one ASGI process (uvicorn, Redis channel layer), PostgreSQL and Redis. N users
(BENCH_LIVE_CREDENTIALS, 1,000) connect their own simulator keys; each gets LEVELS resting 1-share buy orders
one tick apart below 100,000 won in one of 10 stocks, placed at the simulator and written to the ledger with
their order numbers. One /ws/v1/live client per user (JWT) listens. Then, for LEVELS seconds, each stock's
price steps down one tick a second (the 10 stocks staggered by 100 ms): every user's order at that level
fills, so each credential streams about one fill a second. The latency of a message is its arrival time
minus the moment the benchmark asked the simulator to move the price, which sends the `00` frames (an upper
bound: it includes the control request). Goal: p50 < 50 ms, p99 < 250 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

CREDENTIALS = int(os.environ.get("BENCH_LIVE_CREDENTIALS", "1000"))
LEVELS = int(os.environ.get("BENCH_LIVE_SECONDS", "20"))
CODES = ["005930", "000660", "035720", "005380", "051910", "068270", "035420", "105560", "055550", "012330"]
BASE = 100_000
TICK = 100  # KRX tick between 50,000 and 200,000 won
GOAL_P50_MS, GOAL_P99_MS = 50.0, 250.0
# Profile the stream process into this file (python -m pstats <file>).
PROFILE = os.environ.get("BENCH_STREAM_PROFILE", "")


def connect_users(count: int) -> list[dict]:
    """Users with their own simulator keys, connected through the site's own service (au10001 each)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from brokerage.connections.services import credential_connect

    users = User.objects.bulk_create([User(username=f"fan{i:05d}", password="!") for i in range(count)])
    rows = []
    for i, user in enumerate(users):
        credential = credential_connect(
            user=user, app_key=f"simFanout{i:020d}", app_secret=f"fanout-secret-{i:020d}"
        )
        rows.append(
            {
                "user": user,
                "credential": credential,
                "code": CODES[i % len(CODES)],
                "jwt": str(AccessToken.for_user(user)),
            }
        )
    return rows


async def place_resting_orders(kiwoom_url: str, rows: list[dict]) -> list[tuple[dict, int, str]]:
    """LEVELS one-share buy orders per user at the simulator; [(row, level, order number)]."""
    import aiohttp

    placed: list[tuple[dict, int, str]] = []
    limit = asyncio.Semaphore(64)

    async def place(session, row, level):
        price = str(BASE - level * TICK)
        body = {"dmst_stex_tp": "KRX", "stk_cd": row["code"], "ord_qty": "1", "ord_uv": price, "trde_tp": "0"}
        headers = {"api-id": "kt10000", "authorization": f"Bearer {row['credential'].access_token}"}
        async with limit, session.post(f"{kiwoom_url}/api/dostk/ordr", json=body, headers=headers) as answer:
            data = await answer.json(content_type=None)
        if data.get("return_code") != 0:
            raise RuntimeError(f"kt10000 refused: {data}")
        placed.append((row, level, data["ord_no"]))

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(place(session, row, level) for row in rows for level in range(1, LEVELS + 1)))
    return placed


def write_ledger(placed: list[tuple[dict, int, str]]) -> dict[int, tuple[str, int]]:
    """The orders as entry would have written them; {order id: (code, level)}."""
    from django.utils import timezone

    from brokerage.orders.models import Order, OrderStatus

    now = timezone.now()
    orders = Order.objects.bulk_create(
        [
            Order(
                user=row["user"],
                credential=row["credential"],
                key_fingerprint=row["credential"].key_fingerprint,
                side="buy",
                stock_code=row["code"],
                quantity=1,
                trade_type="0",
                price=BASE - level * TICK,
                status=OrderStatus.ACCEPTED,
                kiwoom_order_number=number,
                sent_at=now,
            )
            for row, level, number in placed
        ],
        batch_size=2000,
    )
    return {order.pk: (order.stock_code, (BASE - order.price) // TICK) for order in orders}


async def measure(base: str, kiwoom_url: str, rows: list[dict], orders: dict[int, tuple[str, int]]) -> dict:
    import aiohttp
    import websockets

    asked: dict[tuple[str, int], float] = {}
    asked_wall: dict[tuple[str, int], float] = {}
    latencies: list[float] = []
    arrived_wall: dict[int, float] = {}
    expected = len(orders)
    done = asyncio.Event()

    async def listen(socket) -> None:
        async for text in socket:
            arrived = time.perf_counter()
            message = json.loads(text)
            if message.get("type") != "order" or message.get("status") != "filled":
                continue
            key = orders.get(message["id"])
            if key is None or key not in asked:
                continue
            latencies.append((arrived - asked[key]) * 1000)
            arrived_wall[message["id"]] = time.time()
            if len(latencies) >= expected:
                done.set()

    sockets = []
    for first in range(0, len(rows), 200):
        batch = rows[first : first + 200]
        sockets += await asyncio.gather(
            *(
                websockets.connect(f"{base}/ws/v1/live?token={row['jwt']}", ping_interval=None)
                for row in batch
            )
        )
    # Wait until every user's stream is live (each socket's first message is the stream's state).
    live = 0
    deadline = time.monotonic() + 120
    pending = {id(s): s for s in sockets}
    while pending and time.monotonic() < deadline:
        for key, socket in list(pending.items()):
            try:
                message = json.loads(await asyncio.wait_for(socket.recv(), 0.05))
            except TimeoutError:
                continue
            if message.get("type") == "status" and message.get("state") == "live":
                live += 1
                del pending[key]
    if pending:  # reconnect the late ones: their first status said "down" before the stream got to them
        raise RuntimeError(f"{len(pending)} streams are not live after 120 s")
    listeners = [asyncio.create_task(listen(socket)) for socket in sockets]

    async with aiohttp.ClientSession() as session:

        async def step(code: str, level: int) -> None:
            asked[(code, level)] = time.perf_counter()
            asked_wall[(code, level)] = time.time()
            body = {"stk_cd": code, "price": BASE - level * TICK, "hold": True}
            async with session.post(f"{kiwoom_url}/_sim/price", json=body) as answer:
                answer.raise_for_status()

        started = time.perf_counter()
        for level in range(1, LEVELS + 1):
            for index, code in enumerate(CODES):
                at = started + (level - 1) + index / len(CODES)
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                await step(code, level)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 30)
        elapsed = time.perf_counter() - started
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return {
        "latencies": latencies,
        "expected": expected,
        "seconds": elapsed,
        "live": live,
        "asked": asked_wall,
        "arrived": arrived_wall,
    }


def ledger_latencies(orders: dict[int, tuple[str, int]], result: dict) -> tuple[list[float], list[float]]:
    """From asking the simulator to the stream process applying the fill to the ledger (its `updated_at`), and
    from there to the browser's client (the fan-out: commit, publish, channel layer, ASGI, socket)."""
    from brokerage.orders.models import Order, OrderStatus

    asked, arrived = result["asked"], result["arrived"]
    filled = Order.objects.filter(pk__in=list(orders), status=OrderStatus.FILLED)
    to_ledger, to_browser = [], []
    for pk, updated in filled.values_list("pk", "updated_at"):
        if orders[pk] in asked:
            to_ledger.append((updated.timestamp() - asked[orders[pk]]) * 1000)
        if pk in arrived:
            to_browser.append((arrived[pk] - updated.timestamp()) * 1000)
    return to_ledger, to_browser


def main() -> None:
    with common.simulator("--auto-provision", "--rate-limit", "100000") as kiwoom_url:
        control = common.sim_control(kiwoom_url)
        for code in CODES:
            control.set_price(code, BASE, hold=True, base_price=BASE)
        env = common.app_env(
            kiwoom_url=kiwoom_url,
            KIWOOM_MOCK_WS_URL=kiwoom_url.replace("http://", "ws://") + "/api/dostk/websocket",
            KIWOOM_RATE_LIMIT_MOCK="100000",
            LIVE_MAX_SOCKETS=str(CREDENTIALS + 10),
        )
        with common.bench_database(env):
            common.django_setup(env)
            common.flush_redis()
            setup = time.perf_counter()
            rows = connect_users(CREDENTIALS)
            placed = asyncio.run(place_resting_orders(kiwoom_url, rows))
            orders = write_ledger(placed)
            took = time.perf_counter() - setup
            print(
                f"{CREDENTIALS:,} users connected, {len(orders):,} resting orders in {took:.0f} s", flush=True
            )
            port = common.free_port()
            asgi = [
                str(common.BIN / "uvicorn"), "stocklab.asgi:application", "--host", "127.0.0.1",
                "--port", str(port), "--log-level", "warning", "--no-access-log",
                "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
            ]  # fmt: skip
            stream = [sys.executable, "manage.py", "kiwoom_stream", "--id", "bench-stream"]
            if PROFILE:
                stream[1:1] = ["-m", "cProfile", "-o", PROFILE]
            with (
                common.process(asgi, env=env, log_name="asgi") as web,
                common.process(stream, env=env, log_name="stream"),
            ):
                common.wait_for_port(port, process=web)
                result = asyncio.run(measure(f"ws://127.0.0.1:{port}", kiwoom_url, rows, orders))
            to_ledger, fanout = ledger_latencies(orders, result)
    latencies = result["latencies"]
    p50, p99 = common.percentile(latencies, 50), common.percentile(latencies, 99)
    print(f"{result['live']:,} Kiwoom streams live; {LEVELS} s of fills, about 1 per credential per second")
    print(f"order messages received: {len(latencies):,} of {result['expected']:,} fills")
    p90, worst = common.percentile(latencies, 90), max(latencies, default=float("nan"))
    print(f"event to browser: p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms")
    print(f"goal: p50 < {GOAL_P50_MS:.0f} ms, p99 < {GOAL_P99_MS:.0f} ms")
    print(
        f"of which simulator -> stream -> ledger write: p50 {common.percentile(to_ledger, 50):.1f} ms, "
        f"p99 {common.percentile(to_ledger, 99):.1f} ms"
    )
    print(
        f"and ledger write -> browser (the fan-out): p50 {common.percentile(fanout, 50):.1f} ms, "
        f"p99 {common.percentile(fanout, 99):.1f} ms"
    )
    common.result_line(
        "live_fanout",
        credentials=CREDENTIALS,
        received=len(latencies),
        expected=result["expected"],
        p50_ms=round(p50, 1),
        p99_ms=round(p99, 1),
        fanout_p50_ms=round(common.percentile(fanout, 50), 1),
        fanout_p99_ms=round(common.percentile(fanout, 99), 1),
        ok=p50 < GOAL_P50_MS and p99 < GOAL_P99_MS and len(latencies) == result["expected"],
    )


if __name__ == "__main__":
    main()
