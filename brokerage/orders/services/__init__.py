"""Writes of the order ledger: placing and changing orders, and keeping the ledger in step with Kiwoom."""

from brokerage.orders.services.entry import (
    IdempotencyClaim,
    OrderAnswer,
    order_cancel,
    order_modify,
    order_place,
    order_request_answer,
)
from brokerage.orders.services.reconciliation import (
    AccountFill,
    account_fills_fetch,
    order_reconcile,
    order_settle_abandoned,
    order_sync,
)

__all__ = [
    "AccountFill",
    "IdempotencyClaim",
    "OrderAnswer",
    "account_fills_fetch",
    "order_cancel",
    "order_modify",
    "order_place",
    "order_reconcile",
    "order_request_answer",
    "order_settle_abandoned",
    "order_sync",
]
