"""Market data (issue 15): search latency, a stock page's first load, upstream calls per 100 viewers.

1. Search over ~4,000 names (the simulator's master, synced, topped up with generated names): the selector in
   this process (50 threads at once; and, for comparison, the same searches as SQL on PostgreSQL), then the
   API through gunicorn with 50 concurrent clients. Goal: p99 < 20 ms at 50 concurrent.
2. A stock page's first load: its three public API calls at once (quote, 호가, daily candles 3M), cold
   (nothing cached: each one asks the simulator) and warm (within the windows).
3. 100 concurrent viewers of one stock page (10 users, each with their own keys), each loading the page then
   polling the quote and 호가 every second for BENCH_SECONDS: upstream calls per TR against the windows
   (goal: about one per TR per window).

The simulator keeps mock's limit (1 call/s per TR and token) and 20 ms latency.
Run: `.venv/bin/python bench/bench_market.py`.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections import Counter

import aiohttp
import common

SEARCHERS = int(os.environ.get("BENCH_SEARCHERS", "50"))
SEARCHES = int(os.environ.get("BENCH_SEARCHES", "4000"))
VIEWERS = int(os.environ.get("BENCH_VIEWERS", "100"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
NAMES = 4_000
GUNICORN_WORKERS = 4
# 48 threads, each holding a PostgreSQL connection: the machine's server allows 100 for everyone.
GUNICORN_THREADS = 12
SIM_LATENCY_MS = 20
STOCK = "005930"
PAGE_PARTS = ("quote", "orderbook", "candles?interval=day&range=3M")


def prepare() -> tuple[list[str], list[str]]:
    """Sync the master from the simulator, top it up to NAMES, connect 10 users; (queries, JWTs)."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from brokerage.connections.services import credential_connect
    from brokerage.market.hangul import initials_key
    from brokerage.market.models import Stock
    from brokerage.market.search import stock_master_changed
    from brokerage.market.services import stock_master_sync

    tokens = []
    for index in range(10):
        user = User.objects.create_user(f"viewer{index}", password=None)
        credential_connect(user=user, app_key=f"benchViewer{index:022d}", app_secret=f"secret-viewer-{index}")
        tokens.append(str(RefreshToken.for_user(user).access_token))
    stock_master_sync()
    listed = list(Stock.objects.values_list("name", flat=True))
    rng = random.Random(15)
    extra = []
    for n in range(NAMES - len(listed)):
        suffix = rng.choice(["홀딩스", "바이오", "테크", "우", "2우B", "리츠"])
        name = f"{rng.choice(listed)[:4]}{suffix}{n % 7 or ''}"
        extra.append(
            Stock(
                code=f"9{n:05d}",
                name=name,
                market=rng.choice(["KOSPI", "KOSDAQ", "ETF"]),
                search_key=initials_key(name),
                listed_shares=rng.randint(1_000_000, 100_000_000),
                base_price=rng.randint(1_000, 100_000),
            )
        )
    Stock.objects.bulk_create(extra)
    stock_master_changed()
    names = list(Stock.objects.values_list("name", "code"))
    queries = []
    for _ in range(SEARCHES):
        name, code = rng.choice(names)
        kind = rng.random()
        length = rng.randint(1, min(4, len(name)))
        if kind < 0.4:
            queries.append(name[:length])  # typing the name
        elif kind < 0.6:
            queries.append(initials_key(name)[:length])  # 초성
        elif kind < 0.75:
            queries.append(name[:1] + initials_key(name)[1:length])  # mixed: 삼ㅅ
        elif kind < 0.9:
            queries.append(name[len(name) // 2 :][:2] or name)  # a part of the name
        else:
            queries.append(code[: rng.randint(2, 6)])
    return queries, tokens


def search_in_process(queries: list[str], *, pause: float = 0.0) -> dict:
    """The selector with SEARCHERS threads at once (the GIL shares one CPU between them, as in a worker);
    `pause`: each thread waits about that long between searches (a person typing), else none."""
    from brokerage.market.search import stocks_search, stocks_search_forget

    # A fresh copy (none of its answers kept yet); the first search loads it.
    stocks_search_forget()
    stocks_search(text="워밍업")
    single = []
    for text in dict.fromkeys(queries[:1000]):  # each text once: every search is a scan
        started_one = time.perf_counter()
        stocks_search(text=text, limit=20)
        single.append(time.perf_counter() - started_one)
    stocks_search_forget()
    stocks_search(text="워밍업")
    latencies: list[float] = []
    rng = random.Random(1)
    guard = threading.Lock()
    chunks = [queries[i::SEARCHERS] for i in range(SEARCHERS)]
    barrier = threading.Barrier(SEARCHERS)

    def run(chunk):
        barrier.wait()
        mine = []
        for text in chunk:
            started = time.perf_counter()
            stocks_search(text=text, limit=20)
            mine.append(time.perf_counter() - started)
            if pause:
                time.sleep(pause * (0.5 + rng.random()))
        with guard:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "p50_ms": common.median(latencies) * 1000,
        "p99_ms": common.percentile(latencies, 99) * 1000,
        "per_second": len(latencies) / elapsed,
        "single_p50_ms": common.median(single) * 1000,
        "single_p99_ms": common.percentile(single, 99) * 1000,
    }


def search_in_sql(queries: list[str]) -> dict:
    """For comparison: the same searches as one SQL query each (code prefix, name or 초성 part, ranked by
    market cap); mixed input (삼ㅅ) has no such query, so it is only approximated."""
    from django.db.models import F, Q

    from brokerage.market.models import Stock

    latencies = []
    for text in queries[:1000]:
        started = time.perf_counter()
        list(
            Stock.objects.filter(is_listed=True)
            .filter(Q(code__startswith=text.upper()) | Q(name__icontains=text) | Q(search_key__contains=text))
            .order_by((F("listed_shares") * F("base_price")).desc())
            .values_list("code", "name", "market", "warnings")[:20]
        )
        latencies.append(time.perf_counter() - started)
    return {"p50_ms": common.median(latencies) * 1000, "p99_ms": common.percentile(latencies, 99) * 1000}


async def search_over_http(base_url: str, token: str, queries: list[str], *, bare: bool = False) -> dict:
    """The search API with SEARCHERS clients at once; `bare`: the same load on GET auth/me, a bare
    authenticated endpoint (what any API request costs here), for comparison."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    path = "/api/v1/auth/me" if bare else "/api/v1/kiwoom/stocks/search"
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    chunks = [queries[i::SEARCHERS] for i in range(SEARCHERS)]

    async def run(session, chunk):
        for text in chunk:
            started = time.perf_counter()
            async with session.get(f"{base_url}{path}", params={"q": text}) as response:
                await response.read()
            latencies.append(time.perf_counter() - started)
            statuses[response.status] += 1

    connector = aiohttp.TCPConnector(limit=SEARCHERS)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        await asyncio.gather(*(run(session, chunk[:20]) for chunk in chunks))  # warm-up
        latencies.clear()
        statuses.clear()
        started = time.perf_counter()
        await asyncio.gather(*(run(session, chunk) for chunk in chunks))
        elapsed = time.perf_counter() - started
    return {
        "p50_ms": common.median(latencies) * 1000,
        "p99_ms": common.percentile(latencies, 99) * 1000,
        "per_second": len(latencies) / elapsed,
        "non_200": sum(n for status, n in statuses.items() if status != 200),
    }


async def page_load(session: aiohttp.ClientSession, base_url: str, headers: dict) -> tuple[float, list[int]]:
    """The stock page's public calls at once; (seconds until the last answered, their statuses)."""
    started = time.perf_counter()

    async def one(part):
        async with session.get(
            f"{base_url}/api/v1/kiwoom/stocks/{STOCK}/{part}", headers=headers
        ) as response:
            await response.read()
            return response.status

    statuses = await asyncio.gather(*(one(part) for part in PAGE_PARTS))
    return time.perf_counter() - started, list(statuses)


async def first_loads(base_url: str, token: str, *, rounds: int = 15) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    cold, warm, bad = [], [], 0
    async with aiohttp.ClientSession() as session:
        await page_load(session, base_url, headers)  # connections and workers warm
        for _ in range(rounds):
            common.flush_redis()  # nothing shared: every part asks the simulator (after its rate-limit slot)
            await asyncio.sleep(1.1)  # the rate limiter's slots are free again
            seconds, statuses = await page_load(session, base_url, headers)
            cold.append(seconds)
            seconds_warm, statuses_warm = await page_load(session, base_url, headers)
            warm.append(seconds_warm)
            bad += sum(status != 200 for status in statuses + statuses_warm)
    return {
        "cold_p50_ms": common.median(cold) * 1000,
        "cold_max_ms": max(cold) * 1000,
        "warm_p50_ms": common.median(warm) * 1000,
        "warm_max_ms": max(warm) * 1000,
        "non_200": bad,
    }


async def viewers(base_url: str, tokens: list[str]) -> dict:
    """VIEWERS clients: load the page, then poll the quote and 호가 every second."""
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + SECONDS

    async def viewer(session, index):
        headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}", "Accept": "application/json"}
        _seconds, first = await page_load(session, base_url, headers)
        statuses.update(first)
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            for part in ("quote", "orderbook"):
                url = f"{base_url}/api/v1/kiwoom/stocks/{STOCK}/{part}"
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1

    connector = aiohttp.TCPConnector(limit=VIEWERS * 3)
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*(viewer(session, i) for i in range(VIEWERS)))
    return {"statuses": dict(statuses), "seconds": time.monotonic() - started}


def main() -> None:
    sim_options = ["--latency-ms", str(SIM_LATENCY_MS), "--rate-limit", "1", "--auto-provision"]
    with common.simulator(*sim_options) as kiwoom_url:
        env = common.app_env(kiwoom_url=kiwoom_url, KIWOOM_RATE_LIMIT_MOCK="1")
        with common.bench_database(env):
            common.django_setup(env)
            queries, tokens = prepare()
            from brokerage.market import services
            from brokerage.market.models import Stock

            names = Stock.objects.filter(is_listed=True).count()
            in_process = search_in_process(queries)
            typing = search_in_process(queries, pause=0.1)
            in_sql = search_in_sql(queries)
            control = common.sim_control(kiwoom_url)
            with common.gunicorn(env, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS) as base_url:
                over_http = asyncio.run(search_over_http(base_url, tokens[0], queries))
                bare_http = asyncio.run(search_over_http(base_url, tokens[0], queries, bare=True))
                loads = asyncio.run(first_loads(base_url, tokens[0]))
                time.sleep(2.5)
                common.flush_redis()
                time.sleep(1.1)
                control.reset_stats()
                crowd = asyncio.run(viewers(base_url, tokens))
                calls = control.stats()["calls"]

    quote_windows = crowd["seconds"] / services.QUOTE_SECONDS
    book_windows = crowd["seconds"] / services.ORDER_BOOK_SECONDS
    print(f"{len(set(queries))} distinct texts among the {len(queries)} searches (as typed: prefixes repeat)")
    print(f"market: {names} listed names; simulator {SIM_LATENCY_MS} ms, 1 call/s per TR and token")
    print(f"search, {SEARCHERS} threads at once in one process ({len(queries)} searches):")
    print(
        f"  p50 {in_process['p50_ms']:.2f} ms, p99 {in_process['p99_ms']:.2f} ms, "
        f"{in_process['per_second']:.0f}/s; one at a time, each text once (no kept answer): "
        f"p50 {in_process['single_p50_ms']:.3f} ms, p99 {in_process['single_p99_ms']:.3f} ms"
    )
    print(
        f"  50 people typing (a search every 50-150 ms each, {typing['per_second']:.0f}/s): "
        f"p50 {typing['p50_ms']:.2f} ms, p99 {typing['p99_ms']:.2f} ms"
    )
    print(
        f"  the same as SQL on PostgreSQL, one at a time: p50 {in_sql['p50_ms']:.2f} ms, "
        f"p99 {in_sql['p99_ms']:.2f} ms"
    )
    print(
        f"search API through gunicorn ({GUNICORN_WORKERS}x{GUNICORN_THREADS}), {SEARCHERS} clients at once: "
        f"p50 {over_http['p50_ms']:.1f} ms, p99 {over_http['p99_ms']:.1f} ms, "
        f"{over_http['per_second']:.0f}/s, non-200 {over_http['non_200']}"
    )
    print(
        f"  the bare authenticated endpoint (auth/me), same load: p50 {bare_http['p50_ms']:.1f} ms, "
        f"p99 {bare_http['p99_ms']:.1f} ms, {bare_http['per_second']:.0f}/s"
    )
    print(
        f"stock page first load ({', '.join(PAGE_PARTS)} at once): cold p50 {loads['cold_p50_ms']:.0f} ms "
        f"(max {loads['cold_max_ms']:.0f}), warm p50 {loads['warm_p50_ms']:.1f} ms "
        f"(max {loads['warm_max_ms']:.1f}), non-200 {loads['non_200']}"
    )
    print(f"{VIEWERS} viewers for {crowd['seconds']:.1f} s (10 users' keys), answers {crowd['statuses']}:")
    print(
        f"  upstream ka10001 {calls.get('ka10001', 0)} (windows of {services.QUOTE_SECONDS} s: "
        f"{quote_windows:.1f}), ka10004 {calls.get('ka10004', 0)} (windows of "
        f"{services.ORDER_BOOK_SECONDS} s: {book_windows:.1f}), ka10081 {calls.get('ka10081', 0)} "
        f"(one window of {services.PERIOD_CANDLES_SECONDS} s)"
    )
    common.result_line(
        "market",
        names=names,
        search=in_process,
        search_typing=typing,
        search_sql=in_sql,
        search_http=over_http,
        bare_http=bare_http,
        page=loads,
        viewers=crowd["statuses"],
        upstream={api: calls.get(api, 0) for api in ("ka10001", "ka10004", "ka10081")},
        windows={"ka10001": quote_windows, "ka10004": book_windows},
    )


if __name__ == "__main__":
    main()
