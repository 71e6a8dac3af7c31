"""Balance storm: 100 concurrent pollers of one user for 10 s, through gunicorn, with coalescing on and off.

The simulator keeps mock's real limit (1 call/s per TR and token) and 20 ms latency. Goals with coalescing on:
at most one upstream kt00018 per cache window, zero upstream 429s, 95th percentile of data age under 2.5 s.
The same storm with coalescing off gives the ratio. Run: `.venv/bin/python bench/bench_balance.py`.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections import Counter
from datetime import datetime

import aiohttp
import common

POLLERS = int(os.environ.get("BENCH_POLLERS", "100"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
GUNICORN_WORKERS = 4
GUNICORN_THREADS = 25
SIM_LATENCY_MS = 20
CACHE_SECONDS = 2.0
WARM_UP_SECONDS = 3.0
DEMO_APP_KEY = "demoAppKey00000000000000000000001"
DEMO_APP_SECRET = "demoSecretKey0000000000000000001"


def connected_user_token() -> str:
    """A user with the simulator's demo keys connected; a JWT access token for them."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from brokerage.connections.services import credential_connect

    user = User.objects.create_user("stormuser", password=None)
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    return str(RefreshToken.for_user(user).access_token)


async def storm(base_url: str, token: str, seconds: float) -> list[tuple[int, str, float, float | None]]:
    """(HTTP status, error code, latency s, data age s) of every answer."""
    url = f"{base_url}/api/v1/kiwoom/account/balance"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    answers: list[tuple[int, str, float, float | None]] = []
    deadline = time.monotonic() + seconds

    async def poll(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            sent = time.monotonic()
            async with session.get(url, headers=headers) as response:
                body = await response.json()
            received = time.time()
            age = None
            if response.status == 200:
                age = received - datetime.fromisoformat(body["fetched_at"]).timestamp()
            answers.append((response.status, body.get("code", ""), time.monotonic() - sent, age))

    connector = aiohttp.TCPConnector(limit=POLLERS)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(poll(session) for _ in range(POLLERS)))
    return answers


def run(kiwoom_url: str, token: str, *, coalescing: bool) -> dict:
    env = common.app_env(
        kiwoom_url=kiwoom_url,
        KIWOOM_BALANCE_COALESCING=str(coalescing),
        KIWOOM_BALANCE_CACHE_SECONDS=str(CACHE_SECONDS),
        KIWOOM_RATE_LIMIT_MOCK="1",
    )
    control = common.sim_control(kiwoom_url)
    with common.gunicorn(env, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS) as base_url:
        # Warm up: every worker and thread loads the site and opens its database connection. Then let the
        # cached balance and the rate-limit buckets run out, so that the measured storm starts cold.
        asyncio.run(storm(base_url, token, WARM_UP_SECONDS))
        time.sleep(CACHE_SECONDS + 1.5)
        common.flush_redis()
        before = common.sim_statuses(kiwoom_url)
        control.reset_stats()
        started = time.monotonic()
        answers = asyncio.run(storm(base_url, token, SECONDS))
        elapsed = time.monotonic() - started
        calls = control.stats()["calls"]
        after = common.sim_statuses(kiwoom_url)

    def upstream_429s() -> int:
        return sum(
            after.get(api_id, {}).get("429", 0) - before.get(api_id, {}).get("429", 0)
            for api_id in ("kt00018", "kt00001")
        )

    ages = [age for status, _, _, age in answers if age is not None]
    latencies = [latency for _, _, latency, _ in answers]
    codes = Counter(code or str(status) for status, code, _, _ in answers)
    return {
        "responses": len(answers),
        "ok": codes.get("200", 0),
        "rate_limited": codes.get("kiwoom_rate_limited", 0),
        "other": len(answers) - codes.get("200", 0) - codes.get("kiwoom_rate_limited", 0),
        "per_second": len(answers) / elapsed,
        "kt00018": calls.get("kt00018", 0),
        "kt00001": calls.get("kt00001", 0),
        "upstream_429": upstream_429s(),
        "age_p50": common.median(ages),
        "age_p95": common.percentile(ages, 95),
        "latency_p50_ms": common.median(latencies) * 1000,
        "latency_p95_ms": common.percentile(latencies, 95) * 1000,
        "seconds": elapsed,
    }


def main() -> None:
    sim_options = ["--latency-ms", str(SIM_LATENCY_MS), "--rate-limit", "1"]
    with common.simulator(*sim_options) as kiwoom_url:
        env = common.app_env(kiwoom_url=kiwoom_url)
        with common.bench_database(env):
            common.django_setup(env)
            token = connected_user_token()
            on = run(kiwoom_url, token, coalescing=True)
            off = run(kiwoom_url, token, coalescing=False)

    windows = math.ceil(on["seconds"] / CACHE_SECONDS) + 1
    print(
        f"balance storm: {POLLERS} pollers of one user for {SECONDS:g} s, gunicorn {GUNICORN_WORKERS} "
        f"workers x {GUNICORN_THREADS} threads; simulator {SIM_LATENCY_MS} ms, 1 call/s per TR (mock's limit)"
    )
    rows = [
        ("responses", "responses", "{:.0f}"),
        ("  200 with the balance", "ok", "{:.0f}"),
        ("  429 kiwoom_rate_limited (ours)", "rate_limited", "{:.0f}"),
        ("  other", "other", "{:.0f}"),
        ("responses/s", "per_second", "{:.0f}"),
        ("upstream kt00018 calls", "kt00018", "{:.0f}"),
        ("upstream kt00001 calls", "kt00001", "{:.0f}"),
        ("upstream 429s", "upstream_429", "{:.0f}"),
        ("data age p50 (s)", "age_p50", "{:.2f}"),
        ("data age p95 (s)", "age_p95", "{:.2f}"),
        ("latency p50 (ms)", "latency_p50_ms", "{:.0f}"),
        ("latency p95 (ms)", "latency_p95_ms", "{:.0f}"),
    ]
    print(f"  {'':34}{'coalescing on':>15}{'coalescing off':>16}")
    for label, key, fmt in rows:
        print(f"  {label:34}{fmt.format(on[key]):>15}{fmt.format(off[key]):>16}")
    served_ratio = on["ok"] / max(1, off["ok"])
    print(f"  balances served, on/off: {served_ratio:.0f}x")
    goals = {
        "kt00018 <= one per window": on["kt00018"] <= windows,
        "zero upstream 429s": on["upstream_429"] == 0,
        "p95 data age < 2.5 s": on["age_p95"] < 2.5,
    }
    verdicts = ", ".join(f"{name} ({'met' if met else 'MISSED'})" for name, met in goals.items())
    print(f"  goals with coalescing on: {verdicts}; {windows} cache windows in {on['seconds']:.1f} s")
    common.result_line(
        "balance",
        on={k: round(v, 3) for k, v in on.items()},
        off={k: round(v, 3) for k, v in off.items()},
        windows=windows,
        served_ratio=round(served_ratio, 1),
        goal_met=all(goals.values()),
    )


if __name__ == "__main__":
    main()
