"""The app's models, defined in their domains and gathered here, where Django looks for them."""

from brokerage.connections.models import KiwoomCredential
from brokerage.history.models import AccountSnapshot, HoldingSnapshot, IndexDaily
from brokerage.live.models import StreamState
from brokerage.market.models import Stock, Watchlist, WatchlistItem
from brokerage.orders.models import Order, TradingProfile

__all__ = [
    "AccountSnapshot",
    "HoldingSnapshot",
    "IndexDaily",
    "KiwoomCredential",
    "Order",
    "Stock",
    "StreamState",
    "TradingProfile",
    "Watchlist",
    "WatchlistItem",
]
