"""Writes of the order ledger: placing and changing orders, and keeping the ledger in step with Kiwoom.

`entry` places, modifies and cancels (under `idempotency`); `sync` brings open orders up to date and settles
abandoned attempts; `reconciliation` finds lost attempts at Kiwoom; `fills` reads today's fills; `timing`
holds how long a request to Kiwoom can take.
"""

from brokerage.orders.services.entry import order_cancel, order_modify, order_place
from brokerage.orders.services.fills import AccountFill, AccountFills, account_fills_fetch
from brokerage.orders.services.idempotency import IdempotencyClaim, OrderOutcome, idempotency_claim
from brokerage.orders.services.sync import (
    order_reconcile,
    order_settle_abandoned,
    order_sync,
    order_sync_quietly,
)

__all__ = [
    "AccountFill",
    "AccountFills",
    "IdempotencyClaim",
    "OrderOutcome",
    "account_fills_fetch",
    "idempotency_claim",
    "order_cancel",
    "order_modify",
    "order_place",
    "order_reconcile",
    "order_settle_abandoned",
    "order_sync",
    "order_sync_quietly",
]
