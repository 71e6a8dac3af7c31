"""Benchmark of the Kiwoom simulator: kt00018 throughput and latency, then the modelled server latency.

Starts `python -m kiwoom_sim` in a subprocess, lets several client processes with keep-alive `requests`
sessions call kt00018 for a few seconds each, and prints plain result lines:

    sim kt00018 throughput: N calls/s (goal >= 500)
    sim kt00018 latency: p50 X ms, p99 Y ms
    sim kt00018 with --latency-ms 20: p50 X ms, p99 Y ms (goal: p50 ~20 ms)

Run from the repository root: `python bench/bench_sim.py [--seconds 5] [--clients 3]`. Exits 1 when a goal is
missed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BALANCE = {"qry_tp": "1", "dmst_stex_tp": "KRX"}
THROUGHPUT_GOAL = 500.0
LATENCY_MS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def simulator(*extra: str) -> Iterator[str]:
    """Run the simulator in a subprocess with auto-provisioning and no practical rate limit."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "kiwoom_sim",
        "--port",
        str(port),
        "--rate-limit",
        "100000",
        "--auto-provision",
    ]
    process = subprocess.Popen(
        [*command, "--log-level", "WARNING", *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.post(base_url + "/oauth2/token", json={}, timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the simulator did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def client(
    base_url: str, index: int, seconds: float, start_at: float, results: multiprocessing.Queue
) -> None:
    """One client process: its own app key, token and keep-alive session; kt00018 in a loop."""
    session = requests.Session()
    issued = session.post(
        base_url + "/oauth2/token",
        json={
            "grant_type": "client_credentials",
            "appkey": f"benchKey{index:04d}",
            "secretkey": "benchSecret",
        },
        timeout=10,
    ).json()
    headers = {
        "Content-Type": "application/json;charset=UTF-8",
        "api-id": "kt00018",
        "authorization": f"Bearer {issued['token']}",
    }
    url = base_url + "/api/dostk/acnt"
    latencies: list[float] = []
    errors = 0
    while time.time() < start_at:
        time.sleep(0.001)
    end = time.perf_counter() + seconds
    while True:
        started = time.perf_counter()
        if started >= end:
            break
        response = session.post(url, json=BALANCE, headers=headers, timeout=10)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or response.json().get("return_code") != 0:
            errors += 1
        latencies.append(elapsed)
    results.put((latencies, errors))


def run_clients(base_url: str, clients: int, seconds: float) -> tuple[list[float], int, float]:
    results: multiprocessing.Queue = multiprocessing.Queue()
    start_at = time.time() + 1.0  # every client starts together, after its token is issued
    processes = [
        multiprocessing.Process(target=client, args=(base_url, i, seconds, start_at, results))
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=seconds + 60) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    latencies = [value for values, _ in collected for value in values]
    errors = sum(count for _, count in collected)
    return latencies, errors, seconds


def percentile_ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each run (5)")
    parser.add_argument("--clients", type=int, default=3, help="client processes (3)")
    args = parser.parse_args(argv)
    ok = True

    with simulator() as base_url:
        latencies, errors, seconds = run_clients(base_url, args.clients, args.seconds)
    rate = len(latencies) / seconds
    print(f"sim kt00018 throughput: {rate:.0f} calls/s (goal >= {THROUGHPUT_GOAL:.0f})")
    print(
        f"sim kt00018 latency: p50 {percentile_ms(latencies, 0.50):.1f} ms, "
        f"p99 {percentile_ms(latencies, 0.99):.1f} ms ({len(latencies)} calls, {errors} errors, "
        f"{args.clients} clients)"
    )
    ok &= rate >= THROUGHPUT_GOAL and errors == 0

    with simulator("--latency-ms", str(LATENCY_MS)) as base_url:
        latencies, errors, seconds = run_clients(base_url, args.clients, min(args.seconds, 3.0))
    p50, p99 = percentile_ms(latencies, 0.50), percentile_ms(latencies, 0.99)
    print(
        f"sim kt00018 with --latency-ms {LATENCY_MS}: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(goal: p50 ~{LATENCY_MS} ms; {len(latencies) / seconds:.0f} calls/s, {errors} errors)"
    )
    ok &= LATENCY_MS <= p50 <= LATENCY_MS * 1.5 and errors == 0
    print("bench_sim: all goals met" if ok else "bench_sim: a goal was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
