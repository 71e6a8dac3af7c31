"""Failover: seconds from killing a stream process (SIGKILL) to every one of its keys streaming again.

BENCH_FAILOVER_CREDENTIALS (500) credentials are shared by two `manage.py kiwoom_stream` processes with the
default lease settings (LIVE_LEASE_TTL 10 s, LIVE_LEASE_RENEW 3 s, LIVE_DISCOVERY_INTERVAL 2 s). The one that
owns more keys is killed once the keys have stopped moving between them; the simulator's own session counts
then tell when every key is logged in again, and that no key was ever logged in twice at once (no R10001, at
most one session per key).
Repeated BENCH_FAILOVER_ROUNDS (3) times, a new process started after each kill.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from bench_stream_sockets import create_credentials, wait_logged_in

CREDENTIALS = int(os.environ.get("BENCH_FAILOVER_CREDENTIALS", "500"))
ROUNDS = int(os.environ.get("BENCH_FAILOVER_ROUNDS", "3"))


def owners() -> dict[str, list[int]]:
    from brokerage.live.models import StreamState

    by_owner: dict[str, list[int]] = {}
    for owner, credential_id in StreamState.objects.values_list("owner", "credential_id"):
        by_owner.setdefault(owner, []).append(credential_id)
    return by_owner


def settle(control, quiet_seconds: float = 6.0) -> None:
    """Wait until no key has moved for `quiet_seconds` (a new process takes its share a few rounds long)."""
    last, since = None, time.monotonic()
    while time.monotonic() - since < quiet_seconds:
        logins = sum(control.stream_stats()["logins"].values())
        if logins != last:
            last, since = logins, time.monotonic()
        time.sleep(0.5)


def main() -> None:
    with common.simulator("--auto-provision", "--rate-limit", "100000") as kiwoom_url:
        control = common.sim_control(kiwoom_url)
        ws_url = kiwoom_url.replace("http://", "ws://") + "/api/dostk/websocket"
        env = common.app_env(kiwoom_url=kiwoom_url, KIWOOM_MOCK_WS_URL=ws_url)
        with common.bench_database(env):
            common.django_setup(env)
            common.flush_redis()
            create_credentials(CREDENTIALS)
            processes = {}

            def start(name: str):
                command = [sys.executable, "manage.py", "kiwoom_stream", "--id", name]
                context = common.process(
                    command, env={**env, "PYTHONUNBUFFERED": "1"}, log_name=f"stream-{name}"
                )
                processes[name] = (context, context.__enter__())

            start("p0")
            start("p1")
            wait_logged_in(control, CREDENTIALS, timeout=300)
            results = []
            for round_number in range(ROUNDS):
                settle(control)
                by_owner = owners()
                victim = max((name for name in processes), key=lambda name: len(by_owner.get(name, [])))
                moved = len(by_owner.get(victim, []))
                context, child = processes.pop(victim)
                killed = time.monotonic()
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                context.__exit__(None, None, None)
                # The victim's sockets closed with it; every key is logged in again once the count is whole.
                while control.stream_stats()["logged_in"] >= CREDENTIALS:
                    time.sleep(0.02)
                while (stats := control.stream_stats())["logged_in"] < CREDENTIALS:
                    if time.monotonic() - killed > 120:
                        raise RuntimeError("the keys were not taken over within 120 s")
                    time.sleep(0.1)
                took = time.monotonic() - killed
                results.append(took)
                print(
                    f"round {round_number + 1}: {moved} keys of {victim} streaming again after "
                    f"{took:.1f} s; R10001 kicks {sum(stats['replaced'].values())}, most sessions of one key "
                    f"at once {max(stats['max_concurrent'].values())}",
                    flush=True,
                )
                start(f"p{round_number + 2}")
                wait_logged_in(control, CREDENTIALS, timeout=60)
            for context, _child in processes.values():
                context.__exit__(None, None, None)
            stats = control.stream_stats()
            common.result_line(
                "stream_failover",
                credentials=CREDENTIALS,
                seconds_median=round(common.median(results), 1),
                seconds_max=round(max(results), 1),
                r10001=sum(stats["replaced"].values()),
                max_sessions_per_key=max(stats["max_concurrent"].values()),
            )


if __name__ == "__main__":
    main()
