"""Typed client for Kiwoom Securities' REST API (키움 REST API). Imports nothing from the project.

    client = KiwoomClient(MOCK_BASE_URL)
    token = client.issue_token(app_key=..., app_secret=...)
    balance = client.get_balance(token.token)

See `client` for the calls, `types` for the results and `errors` for the exception family.
"""

from .client import MOCK_BASE_URL, REAL_BASE_URL, KiwoomClient
from .errors import (
    KiwoomBadRequest,
    KiwoomDeviceNotAllowed,
    KiwoomError,
    KiwoomInvalidCredentials,
    KiwoomInvalidToken,
    KiwoomModeMismatch,
    KiwoomOrderRejected,
    KiwoomRateLimited,
    KiwoomUnavailable,
    KiwoomUnknownSymbol,
)
from .market import is_on_tick, tick_size
from .parsing import (
    parse_error,
    parse_int,
    parse_kst_timestamp,
    parse_price,
    parse_rate,
    strip_code_prefix,
)
from .types import (
    Balance,
    BalanceSummary,
    Deposit,
    Fill,
    Holding,
    OpenOrder,
    OrderAck,
    OrderDetail,
    OrderSide,
    StockInfo,
    Token,
    TradeType,
)

__all__ = [
    "MOCK_BASE_URL",
    "REAL_BASE_URL",
    "Balance",
    "BalanceSummary",
    "Deposit",
    "Fill",
    "Holding",
    "KiwoomBadRequest",
    "KiwoomClient",
    "KiwoomDeviceNotAllowed",
    "KiwoomError",
    "KiwoomInvalidCredentials",
    "KiwoomInvalidToken",
    "KiwoomModeMismatch",
    "KiwoomOrderRejected",
    "KiwoomRateLimited",
    "KiwoomUnavailable",
    "KiwoomUnknownSymbol",
    "OpenOrder",
    "OrderAck",
    "OrderDetail",
    "OrderSide",
    "StockInfo",
    "Token",
    "TradeType",
    "is_on_tick",
    "parse_error",
    "parse_int",
    "parse_kst_timestamp",
    "parse_price",
    "parse_rate",
    "strip_code_prefix",
    "tick_size",
]
