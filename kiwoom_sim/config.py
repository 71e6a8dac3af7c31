"""Start-up options of the simulator and the subset that the control API may change at run time."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

REISSUE_MODES = ("new", "same")

# Rates implied by the official kt00018 example (PROTOCOL.md 3.1); kept here so they are easy to change.
DEFAULT_FEE_RATE = Decimal("0.00015")
DEFAULT_TAX_RATE = Decimal("0.0018")


@dataclass(frozen=True)
class SimConfig:
    """Everything the simulator is started with; `/_sim/reset` returns to exactly this."""

    host: str = "127.0.0.1"
    port: int = 8700
    accounts_file: str | None = None
    auto_provision: bool = False
    # Provision key pairs of the documented demo shape (state.DEMO_KEY_SHAPE): what `make demo` users type.
    demo_keys: bool = False
    rate_limit: int = 1
    token_ttl: int = 86400
    latency_ms: int = 0
    seed: int = 0
    enforce_hours: bool = False
    reissue_mode: str = "new"
    # Simulator clock: start at this KST time ("YYYYMMDDHHMMSS"; None = the real time now) and optionally
    # stand still so that tests see no price steps between calls.
    start_time: str | None = None
    freeze_clock: bool = False
    ws_ping_interval: float = 10.0
    ws_max_missed_pings: int = 5
    ws_login_timeout: float = 10.0
    fee_rate: Decimal = DEFAULT_FEE_RATE
    tax_rate: Decimal = DEFAULT_TAX_RATE
    # One random-walk step per `step_seconds` of simulator time; `move_prob` is the chance that a step moves
    # the price by one tick (half up, half down).
    step_seconds: float = 1.0
    move_prob: float = 0.05
    default_cash: int = 10_000_000
    max_body_bytes: int = 64 * 1024
    # A client that announces more body than it sends must not hold a handler for ever.
    body_timeout: float = 10.0
    # Rows per page: kt00018/kt00004 holdings (20, as observed) and the order lists ka10075/ka10076/kt00007.
    holdings_page_size: int = 20
    list_page_size: int = 100

    def __post_init__(self) -> None:
        if self.reissue_mode not in REISSUE_MODES:
            raise ValueError(f"reissue_mode must be one of {REISSUE_MODES}, not {self.reissue_mode!r}")
        if self.rate_limit < 1:
            raise ValueError("rate_limit must be at least 1")
        if self.token_ttl < 1:
            raise ValueError("token_ttl must be at least 1 second")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.step_seconds <= 0:
            raise ValueError("step_seconds must be positive")
        if self.holdings_page_size < 1 or self.list_page_size < 1:
            raise ValueError("page sizes must be positive")
        # A zero interval would PING in a busy loop and drop every socket at once.
        if self.ws_ping_interval <= 0 or self.ws_login_timeout <= 0:
            raise ValueError("ws_ping_interval and ws_login_timeout must be positive")
        if self.ws_max_missed_pings < 1:
            raise ValueError("ws_max_missed_pings must be at least 1")

    @classmethod
    def from_options(cls, **options: Any) -> SimConfig:
        """Build a config from keyword options, rejecting names that are not fields."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TypeError(f"unknown simulator option(s): {', '.join(unknown)}")
        return cls(**options)


_POSITIVE_INTEGERS = (
    "rate_limit",
    "token_ttl",
    "ws_max_missed_pings",
    "holdings_page_size",
    "list_page_size",
)
# Accepted alternative names in `/_sim/config`.
SETTING_ALIASES = {"page_size": "holdings_page_size"}


@dataclass
class Settings:
    """The options that `/_sim/config` may change while the simulator runs."""

    reissue_mode: str
    rate_limit: int
    token_ttl: int
    latency_ms: int
    enforce_hours: bool
    ws_ping_interval: float
    ws_max_missed_pings: int
    holdings_page_size: int
    list_page_size: int

    @classmethod
    def from_config(cls, config: SimConfig) -> Settings:
        return cls(
            reissue_mode=config.reissue_mode,
            rate_limit=config.rate_limit,
            token_ttl=config.token_ttl,
            latency_ms=config.latency_ms,
            enforce_hours=config.enforce_hours,
            ws_ping_interval=config.ws_ping_interval,
            ws_max_missed_pings=config.ws_max_missed_pings,
            holdings_page_size=config.holdings_page_size,
            list_page_size=config.list_page_size,
        )

    def update(self, changes: dict[str, Any]) -> None:
        """Apply validated changes; raises ValueError on an unknown name or a bad value."""
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            name = SETTING_ALIASES.get(name, name)
            if name == "reissue_mode":
                if value not in REISSUE_MODES:
                    raise ValueError(f"reissue_mode must be one of {REISSUE_MODES}")
                checked[name] = value
            elif name in _POSITIVE_INTEGERS:
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError(f"{name} must be a positive integer")
                checked[name] = value
            elif name == "latency_ms":
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError("latency_ms must be a non-negative integer")
                checked[name] = value
            elif name == "enforce_hours":
                if not isinstance(value, bool):
                    raise ValueError("enforce_hours must be true or false")
                checked[name] = value
            elif name == "ws_ping_interval":
                if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                    raise ValueError("ws_ping_interval must be a positive number of seconds")
                checked[name] = float(value)
            else:
                raise ValueError(f"unknown setting {name!r}")
        for name, value in checked.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
