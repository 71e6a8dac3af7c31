"""Order changes to the owner's open pages (connected in BrokerageConfig.ready)."""

from brokerage.live.publish import publish_order
from brokerage.orders.signals import order_changed


def order_changed_publish(sender, order, **kwargs) -> None:
    """`order_changed` (sent after commit) as an `order` message to the user's live connections."""
    publish_order(order)


def connect() -> None:
    # Every sender (only Order sends it): senders ask `order_changed.has_listeners()` before building the
    # message, and that counts only receivers connected without a sender.
    order_changed.connect(order_changed_publish, dispatch_uid="live.order_changed_publish")
