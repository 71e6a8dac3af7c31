"""The order ledger's cost: the latency it adds to an order, beside a kt10000 sent straight to Kiwoom.

Starts the simulator (`--latency-ms 20 --rate-limit 100000`), a throwaway PostgreSQL database and the site
under gunicorn with production settings (bench/common.py), then times, one request at a time, interleaved:

    direct  a kt10000 limit buy sent straight to the simulator (requests, keep-alive)
    ledger  the same buy as POST /api/v1/kiwoom/order/buy with an Idempotency-Key through gunicorn:
            guardrails (quote cached), the entry committed, sent_at committed, kt10000, the outcome and
            the recorded answer committed
    floor   GET /api/v1/auth/me: what gunicorn, Django, DRF and the JWT cost any authenticated request

It also counts, in this process, the SQL statements and Redis commands of one order. It prints:

    ledger work per order: N SQL statements, M Redis commands in R round trips
    latency (ms) p50/p99 of each series, the added latency (difference of the medians, and paired)
    goal: added minus the floor <= 3 ms at p50: met | MISSED

Run from the repository root: `.venv/bin/python bench/bench_orders.py`, with BENCH_DATABASE_URL and
BENCH_REDIS_URL (flushed!) as in bench/README.md; BENCH_ROUNDS (300) orders each way. Exits 1 when the goal
is missed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
import warnings

import common
import requests

# Issue 12: what an order adds beyond the framework floor (the bare authenticated endpoint).
GOAL_MS = 3.0
SIM_LATENCY_MS = 20
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
WARMUP = 30
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 16
PRICE = 50_100  # the lower limit of 005930 (base 71,500): the orders rest, nothing fills
ORDER = {"stock_code": "005930", "quantity": 1, "trade_type": "0", "price": PRICE}
BUY = "/api/v1/kiwoom/order/buy"
BARE = "/api/v1/auth/me"


def connected_user(kiwoom_url: str) -> tuple[str, str]:
    """(JWT access token, Kiwoom access token) of a user connected to an account with ample cash."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from brokerage.connections.services import credential_connect
    from kiwoom_sim.testing import SimControl

    app_key, secret = f"benchAppKey{uuid.uuid4().hex}", "benchSecret000000000000000000001"
    SimControl(kiwoom_url).add_account(app_key, secret, cash=10**13)
    user = User.objects.create_user("orderbench", password=None)
    credential = credential_connect(user=user, app_key=app_key, app_secret=secret)
    return str(RefreshToken.for_user(user).access_token), credential.access_token


def count_work(jwt: str) -> tuple[int, int, int]:
    """SQL statements, Redis commands (cache, locks, rate limiter) and Redis round trips of one order, run in
    this process."""
    import redis
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    # Whitenoise warns that production's collected static files are missing: no request here needs them.
    warnings.filterwarnings("ignore", message="No directory at")
    api = APIClient(SERVER_NAME="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {jwt}")

    def post() -> None:
        response = api.post(BUY, ORDER, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        assert response.status_code == 201, response.content

    post()  # warm: the quote is cached, as in the timed runs
    commands = round_trips = 0
    execute_command, execute_pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def counted(client, *args, **options):
        nonlocal commands, round_trips
        commands += 1
        round_trips += 1
        return execute_command(client, *args, **options)

    def counted_pipeline(pipeline, *args, **options):
        # A pipeline's commands go in one round trip, but each is a command (MULTI and EXEC are not counted).
        nonlocal commands, round_trips
        commands += len(pipeline.command_stack)
        round_trips += 1
        return execute_pipeline(pipeline, *args, **options)

    redis.Redis.execute_command = counted
    redis.client.Pipeline.execute = counted_pipeline
    try:
        with CaptureQueriesContext(connection) as queries:
            post()
    finally:
        redis.Redis.execute_command = execute_command
        redis.client.Pipeline.execute = execute_pipeline
    return len(queries.captured_queries), commands, round_trips


def latencies(base_url: str, kiwoom_url: str, jwt: str, kiwoom_token: str) -> dict[str, list[float]]:
    """Milliseconds per request, one at a time, interleaved so that drift hits every series alike."""
    site, direct = requests.Session(), requests.Session()
    site.headers["Authorization"] = f"Bearer {jwt}"
    kt10000 = {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1", "ord_uv": str(PRICE)}
    kt10000 |= {"trde_tp": "0", "cond_uv": ""}
    direct_headers = {
        "Content-Type": "application/json;charset=UTF-8",
        "api-id": "kt10000",
        "authorization": f"Bearer {kiwoom_token}",
    }

    def direct_order() -> None:
        response = direct.post(
            f"{kiwoom_url}/api/dostk/ordr", json=kt10000, headers=direct_headers, timeout=10
        )
        assert response.status_code == 200 and response.json()["return_code"] == 0, response.text

    def ledger_order() -> None:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        response = site.post(base_url + BUY, json=ORDER, headers=key, timeout=10)
        assert response.status_code == 201, response.text

    def bare() -> None:
        response = site.get(base_url + BARE, timeout=10)
        assert response.status_code == 200, response.text

    calls = {"direct": direct_order, "ledger": ledger_order, "floor": bare}
    series: dict[str, list[float]] = {name: [] for name in calls}
    for round_number in range(WARMUP + ROUNDS):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            if round_number >= WARMUP:
                series[name].append((time.perf_counter() - started) * 1000)
    return series


def describe(samples: list[float]) -> str:
    return f"p50 {common.percentile(samples, 50):.2f} ms, p99 {common.percentile(samples, 99):.2f} ms"


def main() -> int:
    options = ("--latency-ms", str(SIM_LATENCY_MS), "--rate-limit", "100000")
    with common.simulator(*options) as kiwoom_url:
        # Our limiter stays in the path (one Redis script per upstream call) but never waits.
        env = common.app_env(kiwoom_url=kiwoom_url, KIWOOM_RATE_LIMIT_MOCK="100000")
        with common.bench_database(env):
            common.django_setup(env)
            common.flush_redis()
            jwt, kiwoom_token = connected_user(kiwoom_url)
            with common.gunicorn(env, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS) as base_url:
                series = latencies(base_url, kiwoom_url, jwt, kiwoom_token)
            statements, commands, round_trips = count_work(jwt)

    direct, ledger, floor = series["direct"], series["ledger"], series["floor"]
    added = [order - straight for straight, order in zip(direct, ledger, strict=True)]
    added_p50 = statistics.median(ledger) - statistics.median(direct)
    beyond_floor = added_p50 - statistics.median(floor)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"orders: {ROUNDS} each way, simulator latency {SIM_LATENCY_MS} ms, gunicorn {GUNICORN_WORKERS} "
        f"workers x {GUNICORN_THREADS} threads, load average {load}"
    )
    print(
        f"ledger work per order: {statements} SQL statements, {commands} Redis commands "
        f"in {round_trips} round trips"
    )
    print(f"direct kt10000: {describe(direct)}")
    print(f"ledger POST /order/buy: {describe(ledger)}")
    print(
        f"ledger added latency: p50 {added_p50:.2f} ms (difference of the medians), paired {describe(added)}"
    )
    print(f"framework floor (authenticated GET {BARE}, no Kiwoom call): {describe(floor)}")
    print(f"ledger added latency beyond that floor: p50 {beyond_floor:.2f} ms")
    met = beyond_floor <= GOAL_MS
    print(f"goal: added minus the floor <= {GOAL_MS:g} ms at p50: {'met' if met else 'MISSED'}")
    common.result_line(
        "orders",
        sql_statements=statements,
        redis_commands=commands,
        redis_round_trips=round_trips,
        direct_p50_ms=round(statistics.median(direct), 2),
        ledger_p50_ms=round(statistics.median(ledger), 2),
        ledger_p99_ms=round(common.percentile(ledger, 99), 2),
        floor_p50_ms=round(statistics.median(floor), 2),
        added_p50_ms=round(added_p50, 2),
        added_beyond_floor_p50_ms=round(beyond_floor, 2),
        goal_met=met,
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
