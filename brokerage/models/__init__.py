from .credentials import CredentialStatus, KiwoomCredential, Mode
from .orders import Order, OrderSide, OrderStatus

__all__ = ["CredentialStatus", "KiwoomCredential", "Mode", "Order", "OrderSide", "OrderStatus"]
