"""Writes and Kiwoom calls, one module per area. No database transaction is open while Kiwoom is called."""

from .balance import AccountBalance, AccountSummary, account_balance_fetch
from .calls import kiwoom_call
from .credentials import credential_connect, credential_disconnect, credential_record_error, key_fingerprint
from .orders import (
    IdempotencyClaim,
    OrderAnswer,
    order_cancel,
    order_modify,
    order_place,
    order_request_answer,
    stock_info_get,
)
from .reconciliation import (
    AccountFill,
    account_fills_fetch,
    order_reconcile,
    order_settle_abandoned,
    order_sync,
)
from .tokens import token_get_valid, token_refresh

__all__ = [
    "AccountBalance",
    "AccountFill",
    "AccountSummary",
    "IdempotencyClaim",
    "OrderAnswer",
    "account_balance_fetch",
    "account_fills_fetch",
    "credential_connect",
    "credential_disconnect",
    "credential_record_error",
    "key_fingerprint",
    "kiwoom_call",
    "order_cancel",
    "order_modify",
    "order_place",
    "order_reconcile",
    "order_request_answer",
    "order_settle_abandoned",
    "order_sync",
    "stock_info_get",
    "token_get_valid",
    "token_refresh",
]
