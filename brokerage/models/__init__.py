from .credentials import CredentialStatus, KiwoomCredential, Mode, RefreshOutcome
from .orders import Order, OrderKind, OrderSide, OrderStatus
from .trading import TradingProfile

__all__ = [
    "CredentialStatus",
    "KiwoomCredential",
    "Mode",
    "Order",
    "OrderKind",
    "OrderSide",
    "OrderStatus",
    "RefreshOutcome",
    "TradingProfile",
]
