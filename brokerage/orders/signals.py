"""`order_changed`: an order's status or fills changed (entry, sync, reconciliation, a stream event).

Sent with `sender=Order, order=<Order>` once the change is committed, so receivers (the live fan-out) never
announce what a rollback undid. Orders import nothing of who listens.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from brokerage.orders.models import Order

order_changed = Signal()


def order_changed_on_commit(order: Order) -> None:
    """Send `order_changed` for `order` once the current transaction commits (at once outside one)."""
    if not order_changed.has_listeners():
        return
    transaction.on_commit(lambda: order_changed.send(sender=Order, order=order))


def orders_changed_on_commit(order_ids: Iterable[int]) -> None:
    """`order_changed_on_commit` for orders changed by a bulk update: read again after the commit."""
    if not order_changed.has_listeners():
        return
    ids = list(order_ids)
    if not ids:
        return

    def send() -> None:
        for order in Order.objects.filter(pk__in=ids):
            order_changed.send(sender=Order, order=order)

    transaction.on_commit(send)
