"""Writes and Kiwoom calls, one module per area. No database transaction is open while Kiwoom is called."""

from .balance import AccountBalance, AccountSummary, account_balance_fetch
from .credentials import credential_connect, credential_disconnect, credential_record_error, key_fingerprint
from .orders import order_place
from .tokens import kiwoom_call, token_get_valid, token_refresh

__all__ = [
    "AccountBalance",
    "AccountSummary",
    "account_balance_fetch",
    "credential_connect",
    "credential_disconnect",
    "credential_record_error",
    "key_fingerprint",
    "kiwoom_call",
    "order_place",
    "token_get_valid",
    "token_refresh",
]
