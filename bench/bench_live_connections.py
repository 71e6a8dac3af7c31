"""Browser sockets: 5,000 concurrent /ws/v1/live connections held by one ASGI process, and its memory.

One uvicorn process serves stocklab.asgi (production settings, Redis channel layer). 500 users each open
10 sockets with a JWT access token (`?token=`), as 10 open tabs would, and subscribe to 3 codes each; every
socket must get its `status` and `subscribed` answers. With all of them open, the process's resident memory
is read (/proc/<pid>/status VmRSS), then one `status` message is published to each user's group and every
socket must receive it (the channel layer reaches all of them). Goal: >= 5,000 connections in < 200 MB.

Knobs: BENCH_LIVE_USERS (500), BENCH_LIVE_TABS (10).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

USERS = int(os.environ.get("BENCH_LIVE_USERS", "500"))
TABS = int(os.environ.get("BENCH_LIVE_TABS", "10"))
CODES = ["005930", "000660", "035720", "005380", "051910", "068270"]
GOAL_CONNECTIONS = 5000
GOAL_MB = 200.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def make_users(count: int) -> list[tuple[int, str]]:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    users = User.objects.bulk_create([User(username=f"live{i:05d}", password="!") for i in range(count)])
    return [(user.pk, str(AccessToken.for_user(user))) for user in users]


async def open_socket(url: str, index: int) -> object:
    import websockets

    socket = await websockets.connect(url, max_size=2**20, ping_interval=None, open_timeout=60)
    status = json.loads(await socket.recv())
    assert status["type"] == "status", status
    codes = [CODES[(index + k) % len(CODES)] for k in range(3)]
    await socket.send(json.dumps({"type": "subscribe", "codes": codes}))
    answer = json.loads(await socket.recv())
    assert answer["type"] == "subscribed", answer
    return socket


async def hold(base: str, users: list[tuple[int, str]], pid: int) -> dict:
    from brokerage.live.publish import apublish_stream_status

    urls = [f"{base}/ws/v1/live?token={token}" for _user, token in users for _tab in range(TABS)]
    started = time.perf_counter()
    sockets = []
    for first in range(0, len(urls), 250):  # in batches: a burst of 5,000 handshakes is not a page load
        batch = urls[first : first + 250]
        sockets += await asyncio.gather(*(open_socket(url, first + i) for i, url in enumerate(batch)))
    opened = time.perf_counter() - started
    await asyncio.sleep(3)  # let the process settle (interest writes, buffers)
    memory = rss_mb(pid)

    received = 0

    async def expect(socket) -> None:
        nonlocal received
        message = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if message.get("type") == "status" and message.get("reason") == "bench":
            received += 1

    waiting = [asyncio.create_task(expect(socket)) for socket in sockets]
    fanout_started = time.perf_counter()
    await asyncio.gather(*(apublish_stream_status(user_id, "live", "bench") for user_id, _ in users))
    await asyncio.gather(*waiting, return_exceptions=True)
    fanout = time.perf_counter() - fanout_started
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return {
        "connections": len(sockets),
        "open_s": opened,
        "rss_mb": memory,
        "received": received,
        "fanout_s": fanout,
    }


def main() -> None:
    env = common.app_env(kiwoom_url="http://127.0.0.1:9")  # no Kiwoom needed: the users have no keys
    with common.bench_database(env):
        common.django_setup(env)
        common.flush_redis()
        users = make_users(USERS)
        port = common.free_port()
        command = [
            str(common.BIN / "uvicorn"),
            "stocklab.asgi:application",
            "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", "--no-access-log",
            "--ws", os.environ.get("BENCH_LIVE_WS", "websockets-sansio"),
            # Compression keeps zlib state per socket (tens of KB) for messages of a few hundred bytes.
            "--ws-per-message-deflate", os.environ.get("BENCH_LIVE_DEFLATE", "false"),
        ]  # fmt: skip
        # glibc gives each thread (the ORM's and Redis's executors) its own malloc arena; two are plenty here.
        server_env = {**env, "MALLOC_ARENA_MAX": os.environ.get("BENCH_LIVE_ARENAS", "2")}
        with common.process(command, env=server_env, log_name="uvicorn") as child:
            common.wait_for_port(port, process=child)
            idle = rss_mb(child.pid)
            result = asyncio.run(hold(f"ws://127.0.0.1:{port}", users, child.pid))
    held = result["connections"]
    per_socket_kb = (result["rss_mb"] - idle) * 1024 / held
    print(f"uvicorn (one process) at rest, after start-up:  {idle:7.1f} MB")
    opened, memory = result["open_s"], result["rss_mb"]
    print(f"{held:,} /ws/v1/live sockets open ({USERS} users x {TABS} tabs, 3 codes each) in {opened:.1f} s")
    print(f"resident memory with them all open:            {memory:7.1f} MB  (goal < {GOAL_MB:.0f} MB)")
    print(f"per socket:                                     {per_socket_kb:7.1f} KB")
    print(f"one message to each user's group reached {result['received']:,} of {held:,} sockets in "
          f"{result['fanout_s']:.2f} s")  # fmt: skip
    common.result_line(
        "live_connections",
        connections=held,
        rss_mb=round(result["rss_mb"], 1),
        idle_mb=round(idle, 1),
        per_socket_kb=round(per_socket_kb, 1),
        fanout_received=result["received"],
        ok=held >= GOAL_CONNECTIONS and result["rss_mb"] < GOAL_MB and result["received"] == held,
    )


if __name__ == "__main__":
    main()
