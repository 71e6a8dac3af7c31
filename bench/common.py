"""What the benchmarks share: a throwaway database, the simulator, gunicorn and Celery as real processes.

Environment (defaults in brackets):
  BENCH_DATABASE_URL [postgres://postgres@127.0.0.1:5432/stocklab_bench]: dropped, created by each benchmark
  BENCH_REDIS_URL [redis://127.0.0.1:6379/13]: FLUSHED by each benchmark, so give it a spare database

`python bench/common.py simulator [kiwoom_sim options]` runs the simulator with a counter of answers by api-id
and HTTP status (`GET /_bench/statuses`), so that the benchmarks can count Kiwoom's 429s.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/stocklab_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def result_line(name: str, **numbers) -> None:
    """The machine-readable last line of a benchmark, read by run_all.py."""
    print("RESULT " + json.dumps({"bench": name, **numbers}), flush=True)


# --- Processes ----------------------------------------------------------------------------------------------


@contextmanager
def process(
    command: list[str], *, env: dict[str, str] | None = None, log_name: str
) -> Iterator[subprocess.Popen]:
    """A child process in its own process group, logging to /tmp; the whole group is stopped on exit."""
    log_path = Path("/tmp") / f"stocklab-bench-{log_name}.log"
    with log_path.open("w") as log:
        child = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield child
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()


@contextmanager
def simulator(*options: str) -> Iterator[str]:
    """The simulator (with the answer counter) on a free port; yields its base URL."""
    port = free_port()
    command = [sys.executable, str(Path(__file__)), "simulator", "--port", str(port)]
    with process([*command, "--log-level", "WARNING", *options], log_name="simulator") as child:
        wait_for_port(port, process=child)
        yield f"http://127.0.0.1:{port}"


def sim_control(base_url: str):
    from kiwoom_sim.testing import SimControl

    return SimControl(base_url)


def sim_statuses(base_url: str) -> dict[str, dict[str, int]]:
    """{api-id: {HTTP status: answers}} since the simulator started."""
    import requests

    return requests.get(f"{base_url}/_bench/statuses", timeout=10).json()


def app_env(*, kiwoom_url: str, **overrides: str) -> dict[str, str]:
    """The site's environment for the benchmark processes: production settings, bench database and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "stocklab.settings.production",
        "DJANGO_SECRET_KEY": "bench-secret-key-0123456789-not-for-production-abcdefghijklmnop",
        "FIELD_ENCRYPTION_SALTS": "bench-salt",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "False",
        "DJANGO_LOG_LEVEL": "WARNING",
        # Connections outlive a request or task, as a production DATABASE_URL should say (a new PostgreSQL
        # connection per request costs about 4 ms here).
        "DATABASE_URL": f"{DATABASE_URL}?conn_max_age=60",
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "KIWOOM_MOCK_BASE_URL": kiwoom_url,
        # The fair-use throttles stay in the path (their Redis round trips are part of every request) but
        # never refuse: a benchmark's user sends more requests a minute than a person would.
        "THROTTLE_USER_READ_RATE": "100000000/min",
        "THROTTLE_USER_WRITE_RATE": "100000000/min",
        "THROTTLE_ORDERS_RATE": "100000000/min",
        **overrides,
    }


def django_setup(env: dict[str, str]) -> None:
    """Configure Django in this process exactly as the site processes are configured."""
    os.environ.update(env)
    import django

    django.setup()


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, threads: int) -> Iterator[str]:
    """The site under gunicorn (gthread workers, keep-alive); yields its base URL."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "stocklab.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    with process(command, env=env, log_name="gunicorn") as child:
        wait_for_port(port, process=child)
        yield f"http://127.0.0.1:{port}"


# --- Data ---------------------------------------------------------------------------------------------------


@contextmanager
def bench_database(env: dict[str, str]) -> Iterator[None]:
    """Create the throwaway database (dropping a leftover one), migrate it; drop it afterwards."""
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')

    drop()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    migrate = [sys.executable, "manage.py", "migrate", "--noinput"]
    subprocess.run(migrate, env=env, cwd=ROOT, check=True, capture_output=True)
    try:
        yield
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django was never set up in this process
            pass
        drop()


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- The simulator with an answer counter -------------------------------------------------------------


def _serve_simulator(argv: list[str]) -> None:
    import logging
    from collections import Counter

    from aiohttp import web

    from kiwoom_sim.__main__ import build_parser
    from kiwoom_sim.app import create_app
    from kiwoom_sim.config import SimConfig

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    config = SimConfig(
        host=args.host,
        port=args.port,
        auto_provision=args.auto_provision,
        rate_limit=args.rate_limit,
        token_ttl=args.token_ttl,
        latency_ms=args.latency_ms,
        seed=args.seed,
        reissue_mode=args.reissue_mode,
    )
    app = create_app(config)
    answers: Counter[tuple[str, int]] = Counter()

    @web.middleware
    async def count_answers(request: web.Request, handler):
        response = await handler(request)
        if not request.path.startswith("/_"):
            api_id = request.headers.get("api-id") or request.path
            answers[(api_id, response.status)] += 1
        return response

    async def statuses(request: web.Request) -> web.Response:
        table: dict[str, dict[str, int]] = {}
        for (api_id, status), count in answers.items():
            table.setdefault(api_id, {})[str(status)] = count
        return web.json_response(table)

    app.middlewares.append(count_answers)
    app.router.add_get("/_bench/statuses", statuses)
    web.run_app(app, host=config.host, port=config.port, access_log=None, print=None)


if __name__ == "__main__":
    if sys.argv[1:2] != ["simulator"]:
        sys.exit("usage: python bench/common.py simulator [kiwoom_sim options]")
    _serve_simulator(sys.argv[2:])
