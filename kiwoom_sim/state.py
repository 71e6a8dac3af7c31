"""The simulator's whole mutable state, built from a SimConfig and rebuilt by `/_sim/reset`."""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from .book import Account, Engine, Fees
from .clock import SimClock, parse_stamp
from .config import Settings, SimConfig
from .faults import FaultInjector, RateLimiter, Stats
from .market import Market
from .protocol import auth_error
from .stream import StreamHub
from .tokens import TokenStore

DEMO_APP_KEY = "demoAppKey00000000000000000000001"
DEMO_SECRET = "demoSecretKey0000000000000000001"
DEMO_CASH = 10_000_000
DEMO_HOLDINGS: tuple[tuple[str, int, int], ...] = (
    ("005930", 10, 70_000),
    ("000660", 3, 180_000),
    ("035420", 5, 200_000),
)
# What an auto-provisioned account starts with besides `default_cash`.
PROVISION_HOLDINGS = DEMO_HOLDINGS

MAX_KEY_LENGTH = 256

# Keys anyone may make up for the demo (`demo_keys`): an app key of `sim` and 17-61 letters or digits (20-64
# characters in all), a secret of 20-64 printable ASCII characters without spaces. Real Kiwoom keys never
# start with `sim`, so a real key typed into the demo by mistake is refused (8001) instead of provisioned.
DEMO_KEY_SHAPE = re.compile(r"sim[A-Za-z0-9]{17,61}")
DEMO_SECRET_SHAPE = re.compile(r"[!-~]{20,64}")
EXAMPLE_DEMO_KEY = "simAlice000000000001"
EXAMPLE_DEMO_SECRET = "alice-secret-0000001"


def is_demo_key_pair(app_key: str, secret: str) -> bool:
    """Whether a key pair has the shape that `demo_keys` provisions."""
    return bool(DEMO_KEY_SHAPE.fullmatch(app_key) and DEMO_SECRET_SHAPE.fullmatch(secret))


@dataclass(frozen=True)
class AccountSpec:
    app_key: str
    secret: str
    cash: int
    holdings: tuple[tuple[str, int, int], ...]

    @classmethod
    def from_json(cls, item: Any) -> AccountSpec:
        """Parse {app_key, secret, cash, holdings: [{stk_cd, qty, avg_price}]}; ValueError when malformed."""
        if not isinstance(item, dict):
            raise ValueError("an account must be a JSON object")
        app_key, secret, cash = item.get("app_key"), item.get("secret"), item.get("cash", 0)
        if not isinstance(app_key, str) or not app_key or len(app_key) > MAX_KEY_LENGTH:
            raise ValueError("app_key must be a non-empty string")
        if not isinstance(secret, str) or not secret or len(secret) > MAX_KEY_LENGTH:
            raise ValueError("secret must be a non-empty string")
        if not isinstance(cash, int) or isinstance(cash, bool) or cash < 0:
            raise ValueError("cash must be a non-negative integer")
        holdings = []
        for row in item.get("holdings") or []:
            if not isinstance(row, dict):
                raise ValueError("a holding must be a JSON object")
            code, qty, avg = row.get("stk_cd"), row.get("qty"), row.get("avg_price")
            if not isinstance(code, str) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in (qty, avg)
            ):
                raise ValueError("a holding needs stk_cd (string), qty and avg_price (integers)")
            holdings.append((code.removeprefix("A"), qty, avg))
        return cls(app_key, secret, cash, tuple(holdings))


def load_accounts_file(path: str | None) -> list[AccountSpec]:
    if not path:
        return []
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of accounts")
    return [AccountSpec.from_json(item) for item in data]


class SimState:
    """Clock, market, book, tokens, limiter, faults and stats; the WebSocket hub outlives resets."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.file_accounts = load_accounts_file(config.accounts_file)
        self.hub = StreamHub()
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        config = self.config
        self.hub.close_all()
        self.settings = Settings.from_config(config)
        start = parse_stamp(config.start_time) if config.start_time else None
        self.clock = SimClock(start, frozen=config.freeze_clock)
        self.market = Market(
            config.seed if seed is None else seed, self.clock, config.step_seconds, config.move_prob
        )
        self.fees = Fees(config.fee_rate, config.tax_rate)
        self.engine = Engine(self.market, self.clock, self.settings, self.fees, self._emit)
        self.tokens = TokenStore()
        self.limiter = RateLimiter()
        self.faults = FaultInjector()
        self.stats = Stats()
        # The realized-P&L TRs (handlers.pnl) answer RC9000 while set, as a server that does not offer them.
        self.pnl_refused = False
        self.engine.add_account(DEMO_APP_KEY, DEMO_SECRET, DEMO_CASH, DEMO_HOLDINGS)
        for spec in self.file_accounts:
            self.engine.add_account(spec.app_key, spec.secret, spec.cash, spec.holdings)

    def reseed(self, seed: int) -> None:
        """Restart the random walk from the listing prices with another seed; accounts and orders stay."""
        self.market = Market(seed, self.clock, self.config.step_seconds, self.config.move_prob)
        self.engine.market = self.market
        self.engine.invalidate_watches()

    def _emit(self, account: Account, type_code: str, item: str, build: Any) -> None:
        self.hub.deliver(account.app_key, type_code, item, build)

    def authenticate(self, app_key: str, secret: str, provision: bool = True) -> Account:
        """The account of a key pair; an unknown pair gets a fresh account when the simulator provisions it.

        With `demo_keys`, a pair of the demo shape gets `default_cash` and nothing else, as a new mock account
        does; with `auto_provision`, any other pair gets `default_cash` and the demo holdings. The secret is
        bound at that first au10001: the same key with another secret is 8001.
        """
        account = self.engine.accounts.get(app_key)
        if account is None:
            if not provision or len(app_key) > MAX_KEY_LENGTH or len(secret) > MAX_KEY_LENGTH:
                raise auth_error(8001, "App Key와 Secret Key 검증에 실패했습니다")
            if self.config.demo_keys and is_demo_key_pair(app_key, secret):
                return self.engine.add_account(app_key, secret, self.config.default_cash, ())
            if not self.config.auto_provision:
                raise auth_error(8001, "App Key와 Secret Key 검증에 실패했습니다")
            return self.engine.add_account(app_key, secret, self.config.default_cash, PROVISION_HOLDINGS)
        # surrogatepass: a JSON body may carry lone surrogates ("\ud800"); they must compare, not crash.
        if not hmac.compare_digest(
            account.secret.encode("utf-8", "surrogatepass"), secret.encode("utf-8", "surrogatepass")
        ):
            raise auth_error(8001, "App Key와 Secret Key 검증에 실패했습니다")
        return account


# Where the application keeps its SimState (aiohttp's typed application key).
STATE = web.AppKey("kiwoom_sim_state", SimState)
