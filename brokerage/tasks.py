"""The domains' Celery tasks, gathered where Celery's autodiscovery looks for the app's tasks."""

from brokerage.connections.tasks import kiwoom_token_refresh, kiwoom_token_sweep
from brokerage.history import tasks as history_tasks  # noqa: F401  (registers the history tasks)
from brokerage.market import tasks as market_tasks  # noqa: F401  (registers the market tasks)
from brokerage.orders.tasks import order_sync_user, orders_sync_all

__all__ = ["kiwoom_token_refresh", "kiwoom_token_sweep", "order_sync_user", "orders_sync_all"]
