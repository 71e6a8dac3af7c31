"""`python -m kiwoom_sim`: the command line starts a working server with the options it was given."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kiwoom_sim.__main__ import build_parser
from kiwoom_sim.config import SimConfig
from kiwoom_sim.testing import DEMO_APP_KEY, DEMO_SECRET

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_parser_knows_every_documented_option():
    args = build_parser().parse_args(
        [
            "--host",
            "127.0.0.1",
            "--port",
            "9",
            "--accounts",
            "a.json",
            "--auto-provision",
            "--rate-limit",
            "5",
            "--token-ttl",
            "60",
            "--latency-ms",
            "20",
            "--seed",
            "3",
            "--enforce-hours",
            "--reissue-mode",
            "same",
        ]
    )
    assert (args.port, args.accounts, args.auto_provision, args.rate_limit, args.token_ttl) == (
        9,
        "a.json",
        True,
        5,
        60,
    )
    assert (args.latency_ms, args.seed, args.enforce_hours, args.reissue_mode) == (20, 3, True, "same")


def test_bad_options_exit_with_2():
    result = subprocess.run(
        [sys.executable, "-m", "kiwoom_sim", "--reissue-mode", "sometimes"],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 2


@pytest.mark.parametrize(
    "options",
    [
        {"ws_ping_interval": 0},
        {"ws_ping_interval": -1.0},
        {"ws_max_missed_pings": 0},
        {"ws_login_timeout": 0},
    ],
)
def test_heartbeat_options_must_be_positive(options):
    with pytest.raises(ValueError):
        SimConfig(**options)


def test_the_server_runs_with_its_options():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kiwoom_sim", "--port", str(port), "--rate-limit", "2", "--seed", "3"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                response = requests.post(
                    base + "/oauth2/token",
                    json={
                        "grant_type": "client_credentials",
                        "appkey": DEMO_APP_KEY,
                        "secretkey": DEMO_SECRET,
                    },
                    timeout=2,
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the simulator did not come up"
                time.sleep(0.1)
        token = response.json()["token"]
        headers = {"api-id": "kt00018", "authorization": f"Bearer {token}"}
        statuses = [
            requests.post(
                base + "/api/dostk/acnt", json={"qry_tp": "1", "dmst_stex_tp": "KRX"}, headers=headers
            )
            for _ in range(3)
        ]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert "유량=2, API ID=kt00018" in statuses[2].json()["return_msg"]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert DEMO_APP_KEY.encode() in output  # the banner shows the demo keys
