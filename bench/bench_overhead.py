"""Overhead: what the site adds to Kiwoom's own latency, and its balance throughput beside a bare endpoint.

Latency: GET /api/v1/kiwoom/account/balance through gunicorn with coalescing off (so every request makes its
two upstream calls, kt00018 and kt00001, which the site sends at the same time) beside a kt00018 sent straight
to the simulator (20 ms latency) and GET /api/v1/auth/me (a bare authenticated DRF endpoint), one request at a
time, interleaved. Goal: the added latency minus the bare endpoint's at most 1.5 ms at p50.
Throughput: the balance endpoint beside the bare endpoint on the same server, BENCH_USERS concurrent clients,
each its own user with its own keys. Goal: balance (coalescing on, the default) at least 90% of the bare one.
Run: `.venv/bin/python bench/bench_overhead.py`.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import common
import requests

SIM_LATENCY_MS = 20
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "10"))
USERS = int(os.environ.get("BENCH_USERS", "50"))
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 16
DEMO_APP_KEY = "demoAppKey00000000000000000000001"
DEMO_APP_SECRET = "demoSecretKey0000000000000000001"
BALANCE = "/api/v1/kiwoom/account/balance"
BARE = "/api/v1/auth/me"
ADDED_MINUS_BARE_GOAL_MS = 1.5
THROUGHPUT_GOAL = 0.90


def connected_user(name: str, app_key: str, app_secret: str) -> tuple[str, str]:
    """(JWT access token, Kiwoom access token) of a new user with these keys connected."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from brokerage.connections.services import credential_connect

    user = User.objects.create_user(name, password=None)
    credential = credential_connect(user=user, app_key=app_key, app_secret=app_secret)
    return str(RefreshToken.for_user(user).access_token), credential.access_token


def load_users() -> list[str]:
    """JWTs of USERS users, each with keys of its own (the simulator provisions an account for each)."""
    return [
        connected_user(f"loaduser{n}", f"benchLoadKey{n:020d}", f"benchLoadSecret{n:017d}")[0]
        for n in range(USERS)
    ]


def direct_call(session: requests.Session, kiwoom_url: str, token: str, api_id: str, body: dict) -> None:
    response = session.post(
        f"{kiwoom_url}/api/dostk/acnt",
        json=body,
        headers={
            "Content-Type": "application/json;charset=UTF-8",
            "api-id": api_id,
            "authorization": f"Bearer {token}",
        },
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["return_code"] == 0, response.text


def latencies(base_url: str, kiwoom_url: str, jwt: str, kiwoom_token: str) -> dict[str, list[float]]:
    """Seconds per request, one at a time, interleaved so that drift hits every series alike."""
    app, direct = requests.Session(), requests.Session()
    app.headers["Authorization"] = f"Bearer {jwt}"
    series: dict[str, list[float]] = {
        "app": [],
        "bare": [],
        "direct_kt00018": [],
        "direct_both": [],
        "direct_pair": [],
    }
    helper = ThreadPoolExecutor(max_workers=1)

    def timed(name: str, call) -> None:
        started = time.perf_counter()
        call()
        series[name].append(time.perf_counter() - started)

    def app_balance() -> None:
        response = app.get(base_url + BALANCE, timeout=10)
        assert response.status_code == 200, response.text

    def bare() -> None:
        response = app.get(base_url + BARE, timeout=10)
        assert response.status_code == 200, response.text

    def kt00018() -> None:
        direct_call(direct, kiwoom_url, kiwoom_token, "kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})

    def kt00001(session: requests.Session = direct) -> None:
        direct_call(session, kiwoom_url, kiwoom_token, "kt00001", {"qry_tp": "3"})

    def pair() -> None:
        kt00018()
        kt00001()

    other = requests.Session()

    def both() -> None:
        deposit = helper.submit(kt00001, other)
        kt00018()
        deposit.result()

    for _ in range(20):  # warm-up: connections, caches
        app_balance()
        both()
    for name in series:
        series[name].clear()
    for _ in range(ROUNDS):
        timed("app", app_balance)
        timed("bare", bare)
        timed("direct_pair", pair)
        timed("direct_kt00018", kt00018)
        timed("direct_both", both)
    return series


async def load(url: str, jwts: list[str], seconds: float) -> float:
    """Requests per second answered (200) in `seconds` to one client per user, each as fast as it can."""
    done = 0
    deadline = time.monotonic() + seconds

    async def client(session: aiohttp.ClientSession, jwt: str) -> None:
        nonlocal done
        headers = {"Authorization": f"Bearer {jwt}"}
        while time.monotonic() < deadline:
            async with session.get(url, headers=headers) as response:
                await response.read()
                if response.status == 200:
                    done += 1

    connector = aiohttp.TCPConnector(limit=len(jwts))
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(client(session, jwt) for jwt in jwts))
        return done / (time.monotonic() - started)


def throughput(base_url: str, jwts: list[str], path: str) -> float:
    asyncio.run(load(base_url + path, jwts, 2.0))  # warm-up: every thread has its connections
    return asyncio.run(load(base_url + path, jwts, LOAD_SECONDS))


def main() -> None:
    sim_options = ["--auto-provision", "--latency-ms", str(SIM_LATENCY_MS), "--rate-limit", "100000"]
    with common.simulator(*sim_options) as kiwoom_url:
        env = common.app_env(kiwoom_url=kiwoom_url)
        with common.bench_database(env):
            common.django_setup(env)
            jwt, kiwoom_token = connected_user("overheaduser", DEMO_APP_KEY, DEMO_APP_SECRET)
            jwts = load_users()
            common.flush_redis()
            # Our limiter stays in the path (one Redis script per upstream call) but never waits.
            site = {"KIWOOM_RATE_LIMIT_MOCK": "100000"}
            off = common.app_env(kiwoom_url=kiwoom_url, KIWOOM_BALANCE_COALESCING="False", **site)
            with common.gunicorn(off, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS) as base_url:
                series = latencies(base_url, kiwoom_url, jwt, kiwoom_token)
                bare_rps = throughput(base_url, jwts, BARE)
                balance_off_rps = throughput(base_url, jwts, BALANCE)
            on = common.app_env(kiwoom_url=kiwoom_url, KIWOOM_BALANCE_COALESCING="True", **site)
            with common.gunicorn(on, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS) as base_url:
                balance_on_rps = throughput(base_url, jwts, BALANCE)

    ms = {name: [v * 1000 for v in values] for name, values in series.items()}
    p50 = {name: common.median(values) for name, values in ms.items()}
    p99 = {name: common.percentile(values, 99) for name, values in ms.items()}
    # The site sends kt00018 and kt00001 at the same time, so one direct kt00018 is the baseline (the goal's).
    added_p50 = p50["app"] - p50["direct_kt00018"]
    added_p99 = p99["app"] - p99["direct_kt00018"]
    # The bare endpoint's own cost is in every Django request; the goal is what the balance adds beyond it.
    beyond_bare_p50 = added_p50 - p50["bare"]
    both_beyond_bare_p50 = p50["app"] - p50["direct_both"] - p50["bare"]
    ratio_off = balance_off_rps / bare_rps
    ratio_on = balance_on_rps / bare_rps
    latency_met = beyond_bare_p50 <= ADDED_MINUS_BARE_GOAL_MS
    throughput_met = ratio_on >= THROUGHPUT_GOAL
    print(
        f"overhead: gunicorn {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads, simulator "
        f"{SIM_LATENCY_MS} ms per call, {ROUNDS} sequential rounds, load {USERS} users x "
        f"{LOAD_SECONDS:g} s"
    )
    print(f"  {'latency (ms)':48}{'p50':>8}{'p99':>8}")
    rows = [
        ("GET balance through the site (coalescing off)", "app"),
        ("kt00018 alone straight to the simulator", "direct_kt00018"),
        ("kt00018 and kt00001 at once, straight", "direct_both"),
        ("kt00018, then kt00001, straight", "direct_pair"),
        ("GET /api/v1/auth/me (bare, authenticated)", "bare"),
    ]
    for label, name in rows:
        print(f"  {label:48}{p50[name]:>8.1f}{p99[name]:>8.1f}")
    print(f"  {'added by the site (beside kt00018 alone)':48}{added_p50:>8.1f}{added_p99:>8.1f}")
    own = "added beside both calls at once, straight"
    print(f"  {own:48}{p50['app'] - p50['direct_both']:>8.1f}{p99['app'] - p99['direct_both']:>8.1f}")
    print(
        f"  {'added minus bare':48}{beyond_bare_p50:>8.2f}{'':>8}   "
        f"(goal: <= {ADDED_MINUS_BARE_GOAL_MS:g} ms at p50: {'met' if latency_met else 'MISSED'})"
    )
    # A balance needs both calls: what the site adds beside both sent straight at once, beyond the bare one.
    print(f"  {'added beside both at once, minus bare':48}{both_beyond_bare_p50:>8.2f}")
    print(f"  {'throughput (answers/s), ' + str(USERS) + ' users':48}")
    print(f"  {'GET /api/v1/auth/me (bare, authenticated)':48}{bare_rps:>8.0f}")
    print(f"  {'GET balance, coalescing off':48}{balance_off_rps:>8.0f}   {ratio_off:.0%} of bare")
    print(
        f"  {'GET balance, coalescing on (the default)':48}{balance_on_rps:>8.0f}   {ratio_on:.0%} of bare   "
        f"(goal: >= {THROUGHPUT_GOAL:.0%}: {'met' if throughput_met else 'MISSED'})"
    )
    common.result_line(
        "overhead",
        app_p50_ms=round(p50["app"], 2),
        app_p99_ms=round(p99["app"], 2),
        direct_pair_p50_ms=round(p50["direct_pair"], 2),
        direct_pair_p99_ms=round(p99["direct_pair"], 2),
        direct_kt00018_p50_ms=round(p50["direct_kt00018"], 2),
        bare_p50_ms=round(p50["bare"], 2),
        direct_both_p50_ms=round(p50["direct_both"], 2),
        added_beside_both_p50_ms=round(p50["app"] - p50["direct_both"], 2),
        added_p50_ms=round(added_p50, 2),
        added_p99_ms=round(added_p99, 2),
        added_minus_bare_p50_ms=round(beyond_bare_p50, 2),
        added_beside_both_minus_bare_p50_ms=round(both_beyond_bare_p50, 2),
        bare_rps=round(bare_rps, 1),
        balance_off_rps=round(balance_off_rps, 1),
        balance_on_rps=round(balance_on_rps, 1),
        ratio_off=round(ratio_off, 3),
        ratio_on=round(ratio_on, 3),
        goal_met=latency_met and throughput_met,
    )


if __name__ == "__main__":
    main()
