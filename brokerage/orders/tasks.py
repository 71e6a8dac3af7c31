"""Order tasks: the periodic sync of open orders and the reconciliation of unresolved ones.

Syncing only reads from Kiwoom (ka10075, ka10076, kt00007), so it is idempotent and safe to retry; no task
here ever sends an order.
"""

from celery import shared_task
from django.db import transaction

from accounts.models import User
from brokerage.connections.errors import KiwoomRateLimited, KiwoomUnavailable
from brokerage.orders.selectors import order_users_to_sync
from brokerage.orders.services import order_settle_abandoned, order_sync

__all__ = ["order_sync_user", "orders_sync_all"]


@shared_task(ignore_result=True)
def orders_sync_all() -> int:
    """Beat (every ORDER_RECONCILE_INTERVAL): settle abandoned attempts, then one sync per user with open or
    unresolved orders."""
    order_settle_abandoned()
    user_ids = order_users_to_sync()
    for user_id in user_ids:
        transaction.on_commit(lambda user_id=user_id: order_sync_user.delay(user_id))
    return len(user_ids)


@shared_task(
    ignore_result=True,
    autoretry_for=(KiwoomRateLimited, KiwoomUnavailable),
    retry_backoff=5,
    max_retries=3,
)
def order_sync_user(user_id: int) -> None:
    """Bring one user's open orders up to date and reconcile their unresolved ones."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        order_sync(user=user, force=True)
