"""Benchmark of the order ledger: the latency it adds to an order, beside a direct kt10000 call.

Starts `python -m kiwoom_sim --latency-ms 20 --rate-limit 100000` in a subprocess, creates a throwaway
PostgreSQL database, runs Django in this process against it (the test client, a real JWT, settings from
`stocklab.settings.test`), and times, alternately, the same limit buy both ways:

    direct  KiwoomClient.place_order (kt10000) with the user's token
    ledger  POST /api/v1/kiwoom/order/buy with an Idempotency-Key: guardrails (quote cached), the ledger
            entry committed, sent_at committed, kt10000, the outcome and the recorded answer committed

and, for scale, an authenticated GET that calls no Kiwoom TR (what Django, DRF and the JWT cost anyway). It
prints plain result lines:

    ledger work per order: N SQL statements, M Redis commands
    direct kt10000: p50 X ms, p99 Y ms
    ledger POST /order/buy: p50 X ms, p99 Y ms
    ledger added latency: p50 X ms (difference of the medians), paired p50 X ms, p99 Y ms
    framework floor (...): p50 X ms, p99 Y ms
    ledger added latency beyond that floor: p50 X ms
    goal p50 < 5 ms: met | MISSED

Run from the repository root: `python bench/bench_orders.py [--orders 300]`. PostgreSQL comes from
`--database-url` (an existing database to connect to for CREATE DATABASE; default postgres on localhost),
Redis (cache and rate limiter, as in production) from `--redis-url` or REDIS_URL (empty: process-local, as
in the embedded demo). Exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_sim import simulator  # noqa: E402

GOAL_MS = 5.0
LATENCY_MS = 20
PRICE = 50_100  # the lower limit of 005930 (base 71,500): the orders rest, nothing fills


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for the run, dropped afterwards; yields its URL."""
    name = f"stocklab_bench_orders_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def describe(samples: list[float]) -> str:
    return f"p50 {percentile(samples, 0.5):.2f} ms, p99 {percentile(samples, 0.99):.2f} ms"


def count_work(post_order) -> tuple[int, int]:
    """SQL statements and Redis commands (the cache, locks and the rate limiter) of one `post_order()`."""
    import redis
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    commands = 0
    execute_command = redis.Redis.execute_command

    def counted(client, *args, **options):
        nonlocal commands
        commands += 1
        return execute_command(client, *args, **options)

    redis.Redis.execute_command = counted
    try:
        with CaptureQueriesContext(connection) as queries:
            post_order()
    finally:
        redis.Redis.execute_command = execute_command
    return len(queries.captured_queries), commands


def run(
    orders: int, warmup: int, base_url: str
) -> tuple[list[float], list[float], list[float], tuple[int, int]]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from brokerage.kiwoom import KiwoomClient
    from brokerage.models import KiwoomCredential
    from kiwoom_sim.testing import SimControl

    setup_test_environment()
    call_command("migrate", verbosity=0)
    from django.core.cache import cache

    cache.clear()

    user = User.objects.create_user("bench", "bench@example.com", "a-long-and-unusual-passphrase-42")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    app_key, secret = f"benchAppKey{uuid.uuid4().hex}", "benchSecret000000000000000000001"
    control = SimControl(base_url)
    control.add_account(app_key, secret, cash=10**13)
    response = api.post(
        "/api/v1/kiwoom/credentials", {"app_key": app_key, "app_secret": secret}, format="json"
    )
    assert response.status_code == 201, response.content
    token = KiwoomCredential.objects.get(user=user).access_token
    direct = KiwoomClient(base_url)
    order = {"stock_code": "005930", "quantity": 1, "trade_type": "0", "price": PRICE}

    direct_ms: list[float] = []
    ledger_ms: list[float] = []
    floor_ms: list[float] = []
    for i in range(warmup + orders):
        started = time.perf_counter()
        direct.place_order(token, side="buy", stock_code="005930", quantity=1, trade_type="0", price=PRICE)
        middle = time.perf_counter()
        response = api.post(
            "/api/v1/kiwoom/order/buy", order, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )
        ended = time.perf_counter()
        api.get("/api/v1/kiwoom/credentials/status")
        floor_ended = time.perf_counter()
        assert response.status_code == 201, response.content
        if i >= warmup:
            direct_ms.append((middle - started) * 1000)
            ledger_ms.append((ended - middle) * 1000)
            floor_ms.append((floor_ended - ended) * 1000)
    work = count_work(
        lambda: api.post(
            "/api/v1/kiwoom/order/buy", order, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )
    )
    direct.close()
    from django.db import connections

    connections.close_all()
    return direct_ms, ledger_ms, floor_ms, work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="timed orders each way (300)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed orders each way first (30)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS, help="simulator latency (20)")
    args = parser.parse_args()

    with (
        simulator("--latency-ms", str(args.latency_ms)) as base_url,
        throwaway_database(args.database_url) as db,
    ):
        os.environ.update(
            DJANGO_SETTINGS_MODULE="stocklab.settings.test",
            DATABASE_URL=db,
            REDIS_URL=args.redis_url,
            KIWOOM_MOCK_BASE_URL=base_url,
            KIWOOM_RATE_LIMIT_MOCK="100000",
            DJANGO_LOG_LEVEL="WARNING",
        )
        direct_ms, ledger_ms, floor_ms, (statements, commands) = run(args.orders, args.warmup, base_url)

    added = [ledger - direct for direct, ledger in zip(direct_ms, ledger_ms, strict=True)]
    added_p50 = statistics.median(ledger_ms) - statistics.median(direct_ms)
    print(
        f"orders: {args.orders} each way, simulator latency {args.latency_ms} ms, "
        f"redis {args.redis_url or 'none'}"
    )
    print(f"ledger work per order: {statements} SQL statements, {commands} Redis commands")
    print(f"direct kt10000: {describe(direct_ms)}")
    print(f"ledger POST /order/buy: {describe(ledger_ms)}")
    print(
        f"ledger added latency: p50 {added_p50:.2f} ms (difference of the medians), paired {describe(added)}"
    )
    floor_p50 = statistics.median(floor_ms)
    print(
        "framework floor (authenticated GET /kiwoom/credentials/status, no Kiwoom call): "
        f"{describe(floor_ms)}"
    )
    print(f"ledger added latency beyond that floor: p50 {added_p50 - floor_p50:.2f} ms")
    print(f"goal p50 < {GOAL_MS:g} ms: {'met' if added_p50 < GOAL_MS else 'MISSED'}")
    return 0 if added_p50 < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
