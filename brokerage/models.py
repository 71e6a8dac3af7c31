"""The app's models, defined in their domains and gathered here, where Django looks for them."""

from brokerage.connections.models import KiwoomCredential
from brokerage.orders.models import Order, TradingProfile

__all__ = ["KiwoomCredential", "Order", "TradingProfile"]
