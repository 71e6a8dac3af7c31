from .credentials import CredentialStatus, KiwoomCredential, Mode, RefreshOutcome
from .orders import LedgerNote, Order, OrderKind, OrderSide, OrderStatus
from .trading import TradingProfile

__all__ = [
    "CredentialStatus",
    "KiwoomCredential",
    "LedgerNote",
    "Mode",
    "Order",
    "OrderKind",
    "OrderSide",
    "OrderStatus",
    "RefreshOutcome",
    "TradingProfile",
]
