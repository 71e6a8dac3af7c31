"""Reads of the market that need no Kiwoom call: its price grid and stock master (everyone's), and a user's
관심종목 (theirs only). Search is `market.search`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from brokerage.kiwoom.market import tick_bands
from brokerage.market.errors import WatchlistNotFound
from brokerage.market.models import Stock, Watchlist, WatchlistItem


@dataclass(frozen=True, slots=True)
class TickBand:
    """Prices from `from_price` up to `to_price` (exclusive; None: no end) step by `tick` won."""

    from_price: int
    to_price: int | None
    tick: int


def tick_grid() -> list[TickBand]:
    """The KRX price grid, lowest band first (brokerage.kiwoom.market's one definition)."""
    return [TickBand(from_price, to_price, tick) for from_price, to_price, tick in tick_bands()]


def stock_get(*, stock_code: str) -> Stock | None:
    """The master's row for a code (listed or not), or None."""
    return Stock.objects.filter(code=stock_code).first()


def stocks_by_code(*, codes: Iterable[str]) -> dict[str, Stock]:
    return {stock.code: stock for stock in Stock.objects.filter(code__in=list(codes))}


def watchlists_of(*, user: User) -> QuerySet[Watchlist]:
    """The user's groups in the user's order, each with its items (in order)."""
    return Watchlist.objects.filter(user=user).prefetch_related(
        Prefetch("items", queryset=WatchlistItem.objects.order_by("position", "id"))
    )


def watchlist_get(*, user: User, watchlist_id: int) -> Watchlist:
    """One of the user's groups (`watchlist_not_found` for anyone else's: whose it is stays unsaid)."""
    watchlist = watchlists_of(user=user).filter(pk=watchlist_id).first()
    if watchlist is None:
        raise WatchlistNotFound()
    return watchlist
