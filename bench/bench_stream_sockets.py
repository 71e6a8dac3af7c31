"""Sockets per stream process: BENCH_SOCKETS (2,000) Kiwoom WebSockets held by one `manage.py kiwoom_stream`.

Each credential's user watches one code (interest), so the stream registers `0B` and `0D` for it and the
simulator pushes about one frame a second to every socket (a `0B` when the code traded, a `0D` when its book
changed), which the stream process reads, parses and publishes to the user's channel-layer group (Redis); the
simulator PINGs every BENCH_PING_SECONDS (10) and the stream echoes. After every socket is logged in and a
warm-up, the stream process's CPU (utime + stime from /proc) and resident memory are measured over
BENCH_SECONDS (30). The simulator runs in its own process: its CPU is not counted.

Goal: at least 2,000 sockets at < 50 % of one core.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

SOCKETS = int(os.environ.get("BENCH_SOCKETS", "2000"))
PING_SECONDS = float(os.environ.get("BENCH_PING_SECONDS", "10"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
# With BENCH_STREAM_PUBLISH=0: profile the stream process into this file (python -m pstats <file>).
PROFILE = os.environ.get("BENCH_STREAM_PROFILE", "")
# BENCH_STREAM_PUBLISH=0: the stream process does everything but hand ticks and books to the channel layer, to
# tell the cost of holding and reading the sockets from the cost of publishing (channels_redis group_send).
PUBLISH = os.environ.get("BENCH_STREAM_PUBLISH", "1") != "0"
WARMUP_SECONDS = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def create_credentials(count: int) -> list[tuple[int, int]]:
    """Users and credentials without a token (the stream process gets each one from the token service)."""
    from accounts.models import User
    from brokerage.connections.models import KiwoomCredential
    from brokerage.connections.services import key_fingerprint

    users = User.objects.bulk_create(
        [User(username=f"stream{i:05d}", password="!") for i in range(count)], batch_size=2000
    )
    credentials = []
    for i, user in enumerate(users):
        app_key, secret = f"streamKey{i:024d}", f"streamSecret{i:020d}"
        credentials.append(
            KiwoomCredential(
                user=user,
                app_key=app_key,
                app_secret=secret,
                key_fingerprint=key_fingerprint(app_key=app_key, app_secret=secret),
                app_key_suffix=app_key[-4:],
            )
        )
    created = KiwoomCredential.objects.bulk_create(credentials, batch_size=2000)
    return [(c.pk, c.user_id) for c in created]


def watch_one_code_each(users: list[int]) -> None:
    from brokerage.live.interest import interest_add
    from kiwoom_sim.universe import UNIVERSE

    codes = [listing.code for listing in UNIVERSE]
    for n, user_id in enumerate(users):
        interest_add(user_id=user_id, connection_id="bench-page", codes=[codes[n % len(codes)]])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_logged_in(control, count: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if control.stream_stats()["logged_in"] >= count:
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"only {control.stream_stats()['logged_in']} of {count} sockets logged in")


def main() -> None:
    with common.simulator("--auto-provision", "--rate-limit", "100000") as kiwoom_url:
        control = common.sim_control(kiwoom_url)
        control.configure(ws_ping_interval=PING_SECONDS)
        ws_url = kiwoom_url.replace("http://", "ws://") + "/api/dostk/websocket"
        env = common.app_env(
            kiwoom_url=kiwoom_url,
            KIWOOM_MOCK_WS_URL=ws_url,
            LIVE_MAX_SOCKETS=str(SOCKETS),
            LIVE_STREAM_ID="bench",
        )
        with common.bench_database(env):
            common.django_setup(env)
            common.flush_redis()
            rows = create_credentials(SOCKETS)
            watch_one_code_each([user_id for _pk, user_id in rows])
            command = [sys.executable, "manage.py", "kiwoom_stream"]
            if not PUBLISH:
                command = [sys.executable, str(Path(__file__)), "stream-without-publishing"]
            with common.process(command, env=env, log_name="stream") as stream:
                took = wait_logged_in(control, SOCKETS, timeout=300)
                print(f"{SOCKETS} sockets logged in {took:.1f} s after start", flush=True)
                time.sleep(WARMUP_SECONDS)
                frames_before = sum(control.stream_stats()["frames_sent"].values())
                cpu_before, started = cpu_seconds(stream.pid), time.monotonic()
                peak_rss = 0.0
                while time.monotonic() - started < SECONDS:
                    time.sleep(1)
                    peak_rss = max(peak_rss, rss_mb(stream.pid))
                elapsed = time.monotonic() - started
                core = (cpu_seconds(stream.pid) - cpu_before) / elapsed
                frames = sum(control.stream_stats()["frames_sent"].values()) - frames_before
                stats = control.stream_stats()
                print(
                    f"sockets {stats['logged_in']}, 0B/0D frames {frames / elapsed:.0f}/s "
                    f"({frames / elapsed / SOCKETS:.2f} per socket per s), PING every {PING_SECONDS:.0f} s",
                    flush=True,
                )
                print(f"stream process CPU {core * 100:.1f} % of one core, RSS {peak_rss:.0f} MB", flush=True)
                print(f"R10001 kicks: {sum(stats['replaced'].values())}", flush=True)
                common.result_line(
                    "stream_sockets" if PUBLISH else "stream_sockets_without_publishing",
                    sockets=stats["logged_in"],
                    events_per_second=round(frames / elapsed),
                    cpu_percent_of_core=round(core * 100, 1),
                    rss_mb=round(peak_rss),
                )


def stream_without_publishing() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from brokerage.live import stream

    async def dropped(*args):
        return None

    stream.apublish_price = stream.apublish_book = dropped
    if not PROFILE:
        call_command("kiwoom_stream")
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.runcall(call_command, "kiwoom_stream")
    profiler.dump_stats(PROFILE)


if __name__ == "__main__":
    if sys.argv[1:] == ["stream-without-publishing"]:
        stream_without_publishing()
    else:
        main()
