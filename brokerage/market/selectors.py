"""Reads of the market that need no Kiwoom call: its price grid (everyone's)."""

from __future__ import annotations

from dataclasses import dataclass

from brokerage.kiwoom.market import tick_bands


@dataclass(frozen=True, slots=True)
class TickBand:
    """Prices from `from_price` up to `to_price` (exclusive; None: no end) step by `tick` won."""

    from_price: int
    to_price: int | None
    tick: int


def tick_grid() -> list[TickBand]:
    """The KRX price grid, lowest band first (brokerage.kiwoom.market's one definition)."""
    return [TickBand(from_price, to_price, tick) for from_price, to_price, tick in tick_bands()]
