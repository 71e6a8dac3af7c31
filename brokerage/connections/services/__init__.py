"""Writes with a user's Kiwoom keys: connecting them, their tokens, and every call made with them."""

from brokerage.connections.services.calls import (
    credential_get_connected_kept,
    kiwoom_call,
    kiwoom_calls,
    kiwoom_calls_for,
)
from brokerage.connections.services.credentials import (
    credential_connect,
    credential_disconnect,
    credential_record_error,
    key_fingerprint,
)
from brokerage.connections.services.tokens import token_get_valid, token_refresh, token_renew

__all__ = [
    "credential_connect",
    "credential_disconnect",
    "credential_get_connected_kept",
    "credential_record_error",
    "key_fingerprint",
    "kiwoom_call",
    "kiwoom_calls",
    "kiwoom_calls_for",
    "token_get_valid",
    "token_refresh",
    "token_renew",
]
