"""Command line: `python -m kiwoom_sim --host 127.0.0.1 --port 8700 [options]`."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from .app import create_app
from .config import REISSUE_MODES, SimConfig
from .state import DEMO_APP_KEY, DEMO_SECRET, EXAMPLE_DEMO_KEY, EXAMPLE_DEMO_SECRET


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kiwoom_sim", description="Local simulator of Kiwoom's REST API (mock server flavour)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8700, help="port (default 8700)")
    parser.add_argument("--accounts", metavar="FILE", help="JSON list of {app_key, secret, cash, holdings}")
    parser.add_argument(
        "--auto-provision", action="store_true", help="create an account for unknown app keys"
    )
    parser.add_argument(
        "--demo-keys",
        action="store_true",
        help="create a 10,000,000 KRW account for unknown keys of the demo shape: app key `sim` + 17-61 "
        "letters/digits, secret 20-64 characters without spaces",
    )
    parser.add_argument("--rate-limit", type=int, default=1, metavar="N", help="calls/s per token and TR (1)")
    parser.add_argument(
        "--token-ttl", type=int, default=86400, metavar="SECONDS", help="token lifetime (86400)"
    )
    parser.add_argument("--latency-ms", type=int, default=0, metavar="N", help="delay added to every TR call")
    parser.add_argument("--seed", type=int, default=0, help="random-walk seed (0)")
    parser.add_argument("--enforce-hours", action="store_true", help="accept orders 09:00-15:30 KST only")
    parser.add_argument(
        "--reissue-mode", choices=REISSUE_MODES, default="new", help="au10001 for a live token: new or same"
    )
    parser.add_argument("--start-time", metavar="YYYYMMDDHHMMSS", help="simulator clock start (KST; now)")
    parser.add_argument("--freeze-clock", action="store_true", help="the simulator clock stands still")
    parser.add_argument(
        "--ws-ping-interval", type=float, default=10.0, metavar="SECONDS", help="PING every (10)"
    )
    parser.add_argument("--ws-max-missed-pings", type=int, default=5, metavar="N", help="close after N (5)")
    parser.add_argument("--log-level", default="INFO", help="logging level (INFO)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = SimConfig(
            host=args.host,
            port=args.port,
            accounts_file=args.accounts,
            auto_provision=args.auto_provision,
            demo_keys=args.demo_keys,
            rate_limit=args.rate_limit,
            token_ttl=args.token_ttl,
            latency_ms=args.latency_ms,
            seed=args.seed,
            enforce_hours=args.enforce_hours,
            reissue_mode=args.reissue_mode,
            start_time=args.start_time,
            freeze_clock=args.freeze_clock,
            ws_ping_interval=args.ws_ping_interval,
            ws_max_missed_pings=args.ws_max_missed_pings,
        )
        app = create_app(config)
    except (ValueError, OSError) as exc:
        print(f"kiwoom_sim: {exc}", file=sys.stderr)
        return 2
    print(
        f"kiwoom_sim on http://{config.host}:{config.port} "
        f"(demo app key {DEMO_APP_KEY}, secret {DEMO_SECRET})",
        flush=True,
    )
    if config.demo_keys:
        print(
            "kiwoom_sim: new keys of your own: an app key of `sim` and 17-61 letters or digits "
            f"(e.g. {EXAMPLE_DEMO_KEY}), a secret of 20-64 characters without spaces "
            f"(e.g. {EXAMPLE_DEMO_SECRET})",
            flush=True,
        )
    web.run_app(app, host=config.host, port=config.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
