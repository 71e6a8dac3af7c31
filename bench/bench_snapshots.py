"""Snapshot sweep: the daily snapshot of 10,000 connected accounts at mock's limits.

The simulator keeps mock's limit (1 call/s per TR and token), `--auto-provision` and 20 ms of latency. Each
account's token is issued before the run (as the token sweep keeps them valid), so the run measures the
snapshots alone. One Celery worker, as deployed (`--concurrency 2`, prefork), consumes; the benchmark plans
the sweep as the 15:40 beat task does (for the last trading day, so that it does not depend on the hour it
runs at) and queues its chunks, then times until every account has its snapshot. Meanwhile a probe reads
another user's balance every 1.2 s (coalescing off: each read is two Kiwoom calls), to show whether users
are starved. Goals: all 10,000 in < 10 minutes, no upstream 429.
Run: `.venv/bin/python bench/bench_snapshots.py` (see bench/README.md).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import time as clock_time

import common

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "10000"))
SIM_LATENCY_MS = int(os.environ.get("BENCH_SIM_LATENCY_MS", "20"))
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "2"))
GOAL_SECONDS = 600.0
TIMEOUT_SECONDS = 1200.0


def create_accounts(count: int, kiwoom_url: str) -> list[int]:
    """Users and credentials straight in the database, each with a token the simulator issued (which also
    provisions its account: 10,000,000 KRW and the demo holdings); their ids."""
    from django.utils import timezone

    from accounts.models import User
    from brokerage.connections.models import KiwoomCredential
    from brokerage.connections.services import key_fingerprint
    from brokerage.kiwoom import KiwoomClient

    client = KiwoomClient(kiwoom_url)
    keys = [(f"snapKey{i:026d}", f"snapSecret{i:022d}") for i in range(count)]
    with ThreadPoolExecutor(32) as pool:
        tokens = list(pool.map(lambda pair: client.issue_token(app_key=pair[0], app_secret=pair[1]), keys))
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(username=f"snap{i:05d}", password="!") for i in range(count)], batch_size=2000
    )
    credentials = [
        KiwoomCredential(
            user=user,
            app_key=app_key,
            app_secret=secret,
            access_token=token.token,
            key_fingerprint=key_fingerprint(app_key=app_key, app_secret=secret),
            app_key_suffix=app_key[-4:],
            token_expires_at=token.expires_at,
            last_refreshed_at=now,
        )
        for user, (app_key, secret), token in zip(users, keys, tokens, strict=True)
    ]
    return [c.pk for c in KiwoomCredential.objects.bulk_create(credentials, batch_size=2000)]


def wait_for_workers(count: int) -> None:
    from stocklab.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0)) >= count:
            return
    raise RuntimeError(f"{count} Celery workers did not answer a ping within 60 s")


class BalanceProbe(threading.Thread):
    """Another user's balance read every 1.2 s while the sweep runs: latencies and refusals."""

    def __init__(self, user) -> None:
        super().__init__(daemon=True)
        self.user = user
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from brokerage.portfolio.services import account_balance_fetch
        from stocklab.errors import ApplicationError

        try:
            while not self.stop.wait(1.2):
                started = time.perf_counter()
                try:
                    account_balance_fetch(user=self.user)
                except ApplicationError as exc:
                    self.errors.append(exc.code)
                else:
                    self.latencies.append((time.perf_counter() - started) * 1000)
        finally:
            connection.close()


def main() -> None:
    sim_options = ["--auto-provision", "--latency-ms", str(SIM_LATENCY_MS), "--rate-limit", "1"]
    with common.simulator(*sim_options) as kiwoom_url:
        env = common.app_env(kiwoom_url=kiwoom_url, KIWOOM_BALANCE_COALESCING="False")
        with common.bench_database(env):
            common.django_setup(env)
            common.flush_redis()
            started = time.perf_counter()
            ids = create_accounts(ACCOUNTS, kiwoom_url)
            print(
                f"created {len(ids)} connected accounts in {time.perf_counter() - started:.1f} s", flush=True
            )
            run_sweep(env, kiwoom_url, ids)


def run_sweep(env: dict[str, str], kiwoom_url: str, ids: list[int]) -> None:
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from brokerage.history import calendar
    from brokerage.history.models import AccountSnapshot, SnapshotKind, SnapshotStatus
    from brokerage.history.services import snapshots_sweep
    from brokerage.history.tasks import history_snapshot_chunk

    probe_user = _probe_user(kiwoom_url)
    worker = [
        str(common.BIN / "celery"),
        "-A",
        "stocklab",
        "worker",
        "--concurrency",
        str(WORKER_CONCURRENCY),
    ]
    worker += ["--without-mingle", "--without-gossip", "--loglevel", "WARNING", "-n", "snap1@%h"]
    with common.process(worker, env=env, log_name="worker-snapshots"):
        wait_for_workers(1)
        control = common.sim_control(kiwoom_url)
        control.reset_stats()
        before = common.sim_statuses(kiwoom_url)
        today = timezone.now().astimezone(calendar.KST).date()
        moment = datetime.combine(
            calendar.previous_trading_day(today), clock_time(15, 45), tzinfo=calendar.KST
        )
        probe = BalanceProbe(probe_user)
        probe.start()

        started = time.perf_counter()
        with transaction.atomic():
            plan = snapshots_sweep(now=moment)
            for chunk in plan.chunks:
                transaction.on_commit(
                    lambda chunk=chunk: history_snapshot_chunk.delay(chunk, plan.day.isoformat(), None)
                )
        planned = time.perf_counter() - started
        taken = 0
        snapshots = AccountSnapshot.objects.filter(kind=SnapshotKind.DAILY, date=plan.day)
        # The probe's own account is connected too, so the sweep takes it as well.
        while taken < len(ids) + 1 and time.perf_counter() - started < TIMEOUT_SECONDS:
            time.sleep(0.5)
            taken = snapshots.filter(status=SnapshotStatus.OK).count()
        elapsed = time.perf_counter() - started
        probe.stop.set()
        probe.join()

    calls = control.stats()["calls"]
    after = common.sim_statuses(kiwoom_url)
    upstream_429 = sum(
        int(count)
        for api_id, by_status in after.items()
        for status, count in by_status.items()
        if status == "429"
    ) - sum(int(c) for by in before.values() for s, c in by.items() if s == "429")
    accounts = len(ids) + 1
    per_account = {api_id: calls.get(api_id, 0) / accounts for api_id in ("kt00018", "kt00001", "au10001")}
    total_per_account = sum(calls.values()) / accounts
    holdings = AccountSnapshot.objects.filter(date=plan.day).values_list("holdings__stock_code").count()
    rate = taken / elapsed
    lat = sorted(probe.latencies)

    print(
        f"snapshot sweep: {accounts} accounts, 1 worker x {WORKER_CONCURRENCY} processes x "
        f"{settings.HISTORY_SWEEP_THREADS} threads, chunks of {settings.HISTORY_SWEEP_CHUNK}; "
        f"simulator {SIM_LATENCY_MS} ms, 1 call/s per TR and token (mock's limit)"
    )
    print(f"  planned {len(plan.chunks)} chunks in {planned:.2f} s")
    print(
        f"  snapshots taken {taken}/{accounts} (the probe's account included) in {elapsed:.1f} s "
        f"= {rate:.0f}/s (goal: all, < 600 s)"
    )
    print(f"  holding rows written: {holdings}")
    print(
        "  upstream calls per account: "
        + ", ".join(f"{api_id} {n:.2f}" for api_id, n in per_account.items())
        + f"; all TRs {total_per_account:.2f} (probe included)"
    )
    by_api = {
        api_id: int(by_status.get("429", 0)) - int(before.get(api_id, {}).get("429", 0))
        for api_id, by_status in after.items()
    }
    print(f"  upstream 429s: {upstream_429} { ({k: v for k, v in by_api.items() if v}) }")
    if lat:
        print(
            f"  another user's balance during the sweep: {len(lat)} reads, "
            f"p50 {statistics.median(lat):.0f} ms, "
            f"p95 {common.percentile(lat, 95):.0f} ms, max {lat[-1]:.0f} ms; refused: {len(probe.errors)} "
            f"{sorted(set(probe.errors))}"
        )
    common.result_line(
        "snapshots",
        accounts=accounts,
        taken=taken,
        seconds=round(elapsed, 1),
        snapshots_per_second=round(rate, 1),
        upstream_calls_per_account=round(total_per_account, 3),
        upstream_429=upstream_429,
        probe_p95_ms=round(common.percentile(lat, 95), 1) if lat else None,
        goal_met=taken == accounts and elapsed < GOAL_SECONDS and upstream_429 == 0,
    )


def _probe_user(kiwoom_url: str):
    """A user with the simulator's demo keys, connected the usual way (its own buckets)."""
    from accounts.models import User
    from brokerage.connections.services import credential_connect

    user = User.objects.create(username="probe", password="!")
    credential_connect(
        user=user, app_key="demoAppKey00000000000000000000001", app_secret="demoSecretKey0000000000000000001"
    )
    return user


if __name__ == "__main__":
    main()
