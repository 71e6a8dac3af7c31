"""Reads of the market: its price grid (everyone's) and a stock's quote (fetched with the asker's keys)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.models import Mode
from brokerage.connections.selectors import credential_get_connected
from brokerage.kiwoom.market import tick_bands
from brokerage.market.services import stock_info_get


@dataclass(frozen=True, slots=True)
class TickBand:
    """Prices from `from_price` up to `to_price` (exclusive; None: no end) step by `tick` won."""

    from_price: int
    to_price: int | None
    tick: int


def tick_grid() -> list[TickBand]:
    """The KRX price grid, lowest band first (brokerage.kiwoom.market's one definition)."""
    return [TickBand(from_price, to_price, tick) for from_price, to_price, tick in tick_bands()]


def stock_quote_get(*, user: User, stock_code: str, mode: str = Mode.MOCK) -> kiwoom.StockInfo:
    """ka10001 for one stock with the user's keys (`kiwoom_not_connected` without), shared between users."""
    return stock_info_get(credential=credential_get_connected(user=user, mode=mode), stock_code=stock_code)
