"""Run every benchmark (each in its own process), then print their numbers side by side with the goals.

Run: `.venv/bin/python bench/run_all.py` (see bench/README.md for the environment it needs).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_tokens.py", "bench_balance.py", "bench_overhead.py"]


def run(script: str) -> dict:
    """Run one benchmark, echoing its report; its RESULT line."""
    child = subprocess.run(
        [sys.executable, str(HERE / script)], capture_output=True, text=True, cwd=HERE.parent, check=False
    )
    result = {}
    for line in child.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line.removeprefix("RESULT "))
        else:
            print(line)
    if child.returncode != 0 or not result:
        print(child.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{script} failed (exit {child.returncode})")
    print(flush=True)
    return result


def main() -> None:
    results = {r["bench"]: r for r in (run(script) for script in BENCHES)}
    tokens, balance, overhead = results["tokens"], results["balance"], results["overhead"]
    on, off = balance["on"], balance["off"]
    rows = [
        ("token sweep: time for all", f"{tokens['seconds']:.1f} s", "< 60 s"),
        ("token sweep: refreshes/s", f"{tokens['refreshes_per_second']:.0f}", "-"),
        (
            "token sweep: renewed before expiry",
            f"{tokens['renewed_before_expiry']}/{tokens['credentials']}",
            "all",
        ),
        (
            "token sweep: exactly one au10001",
            f"{tokens['exactly_one_au10001']}/{tokens['credentials']}",
            "all",
        ),
        ("balance storm: upstream kt00018", f"{on['kt00018']:.0f} (off: {off['kt00018']:.0f})", "<= windows"),
        ("balance storm: cache windows", f"{balance['windows']}", "-"),
        ("balance storm: upstream 429s", f"{on['upstream_429']:.0f} (off: {off['upstream_429']:.0f})", "0"),
        ("balance storm: p95 data age", f"{on['age_p95']:.2f} s", "< 2.5 s"),
        ("balance storm: balances served on/off", f"{on['ok']:.0f}/{off['ok']:.0f}", "ratio"),
        ("overhead: added latency p50", f"{overhead['added_p50_ms']:.1f} ms", "-"),
        ("overhead: added latency p99", f"{overhead['added_p99_ms']:.1f} ms", "-"),
        ("overhead: added beside both calls at once", f"{overhead['added_beside_both_p50_ms']:.1f} ms", "-"),
        ("overhead: bare request p50 (framework)", f"{overhead['bare_p50_ms']:.1f} ms", "-"),
        ("overhead: added minus bare p50", f"{overhead['added_minus_bare_p50_ms']:.2f} ms", "<= 1.5 ms"),
        ("overhead: balance/bare, coalescing off", f"{overhead['ratio_off']:.0%}", "-"),
        ("overhead: balance/bare, coalescing on", f"{overhead['ratio_on']:.0%}", ">= 90%"),
    ]
    print("summary")
    print(f"  {'measure':42}{'measured':>22}{'goal':>14}")
    for label, measured, goal in rows:
        print(f"  {label:42}{measured:>22}{goal:>14}")
    for name, result in results.items():
        print(f"  {name}: {'goals met' if result['goal_met'] else 'goals NOT all met'}")


if __name__ == "__main__":
    main()
