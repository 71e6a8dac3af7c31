"""Token sweep: 10,000 credentials whose tokens expire within the sweep window, two Celery worker processes.

One beat sweep (sent here, as beat would) queues one refresh per credential; the workers renew them. Goals:
every token renewed before it expires, exactly one au10001 per credential (the simulator's own count), and
all 10,000 in under 60 s. Run: `.venv/bin/python bench/bench_tokens.py` (see bench/README.md).
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta

import common

CREDENTIALS = int(os.environ.get("BENCH_CREDENTIALS", "10000"))
WORKER_PROCESSES = 2
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "24"))
SIM_LATENCY_MS = 30
GOAL_SECONDS = 60.0
TIMEOUT_SECONDS = 600.0


def create_credentials(count: int) -> dict[int, tuple[str, object]]:
    """Users and credentials written straight to the database (encrypted fields and all); {id: (key, expiry)}.

    Their tokens are unknown to the simulator, which provisions an account for each key at its first au10001.
    """
    from django.utils import timezone

    from accounts.models import User
    from brokerage.connections.models import KiwoomCredential
    from brokerage.connections.services import key_fingerprint

    now = timezone.now()
    rng = random.Random(7)
    users = User.objects.bulk_create(
        [User(username=f"bench{i:05d}", password="!") for i in range(count)], batch_size=2000
    )
    credentials = []
    for i, user in enumerate(users):
        app_key = f"benchKey{i:025d}"
        secret = f"benchSecret{i:021d}"
        credentials.append(
            KiwoomCredential(
                user=user,
                app_key=app_key,
                app_secret=secret,
                access_token=f"old-token-{i:076d}",
                key_fingerprint=key_fingerprint(app_key=app_key, app_secret=secret),
                app_key_suffix=app_key[-4:],
                # Spread over the whole 10-minute window: the first expire a minute from now.
                token_expires_at=now + timedelta(seconds=rng.uniform(60, 590)),
                last_refreshed_at=now - timedelta(hours=23),
            )
        )
    created = KiwoomCredential.objects.bulk_create(credentials, batch_size=2000)
    return {c.pk: (c.app_key, c.token_expires_at) for c in created}


def wait_for_workers(count: int) -> None:
    from stocklab.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0)) >= count:
            return
    raise RuntimeError(f"{count} Celery workers did not answer a ping within 60 s")


def main() -> None:
    sim_options = ["--auto-provision", "--latency-ms", str(SIM_LATENCY_MS), "--rate-limit", "100000"]
    with common.simulator(*sim_options) as kiwoom_url:
        env = common.app_env(kiwoom_url=kiwoom_url)
        with common.bench_database(env):
            common.django_setup(env)
            common.flush_redis()
            started = time.perf_counter()
            originals = create_credentials(CREDENTIALS)
            took = time.perf_counter() - started
            print(f"created {len(originals)} credentials in {took:.1f} s", flush=True)
            run_sweep(env, kiwoom_url, originals)


def run_sweep(env: dict[str, str], kiwoom_url: str, originals: dict[int, tuple[str, object]]) -> None:
    from brokerage.connections.models import KiwoomCredential
    from brokerage.connections.tasks import kiwoom_token_sweep

    worker_command = [str(common.BIN / "celery"), "-A", "stocklab", "worker", "--pool", "threads"]
    worker_command += ["--concurrency", str(WORKER_THREADS), "--without-mingle", "--without-gossip"]
    worker_command += ["--loglevel", "WARNING"]
    with (
        common.process([*worker_command, "-n", "bench1@%h"], env=env, log_name="worker1"),
        common.process([*worker_command, "-n", "bench2@%h"], env=env, log_name="worker2"),
    ):
        wait_for_workers(WORKER_PROCESSES)
        control = common.sim_control(kiwoom_url)
        control.reset_stats()

        started = time.perf_counter()
        kiwoom_token_sweep.delay()
        refreshed = 0
        while refreshed < len(originals) and time.perf_counter() - started < TIMEOUT_SECONDS:
            time.sleep(0.25)
            refreshed = KiwoomCredential.objects.filter(last_refresh_outcome="refreshed").count()
        elapsed = time.perf_counter() - started

    rows = KiwoomCredential.objects.values_list("pk", "last_refreshed_at", "token_expires_at")
    in_time = sum(1 for pk, refreshed_at, _ in rows if refreshed_at < originals[pk][1])
    moved = sum(1 for pk, _, expires in rows if expires > originals[pk][1] + timedelta(hours=23))
    by_key = control.stats()["calls_by_app_key"]
    issues = [by_key.get(app_key, {}).get("au10001", 0) for app_key, _ in originals.values()]
    exactly_one = sum(1 for n in issues if n == 1)
    total = len(originals)
    rate = refreshed / elapsed

    print(
        f"token sweep: {total} credentials, {WORKER_PROCESSES} worker processes x {WORKER_THREADS} threads, "
        f"simulator latency {SIM_LATENCY_MS} ms"
    )
    print(f"  refreshed {refreshed}/{total} in {elapsed:.1f} s = {rate:.0f} refreshes/s (goal: all, < 60 s)")
    print(f"  renewed before the old token expired: {in_time}/{total}; new expiry ~24 h out: {moved}/{total}")
    print(f"  exactly one au10001 per credential: {exactly_one}/{total} (au10001 in all: {sum(issues)})")
    common.result_line(
        "tokens",
        credentials=total,
        refreshed=refreshed,
        seconds=round(elapsed, 2),
        refreshes_per_second=round(rate, 1),
        renewed_before_expiry=in_time,
        exactly_one_au10001=exactly_one,
        au10001_total=sum(issues),
        goal_met=refreshed == total and in_time == total and exactly_one == total and elapsed < GOAL_SECONDS,
    )


if __name__ == "__main__":
    main()
