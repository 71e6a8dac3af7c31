"""Order changes to the owner's open pages, and logouts and new passwords closing their sockets (connected in
BrokerageConfig.ready; `accounts` knows nothing of brokerage, so the receivers live here)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save, pre_save

from brokerage.live.publish import publish_order, publish_session_ended, publish_session_logged_out
from brokerage.live.workers import redact_access_log
from brokerage.orders.signals import order_changed


def order_changed_publish(sender, order, **kwargs) -> None:
    """`order_changed` (sent after commit) as an `order` message to the user's live connections."""
    publish_order(order)


def user_logged_out_close(sender, request, user, **kwargs) -> None:
    """A logout ends the sockets of that session only: the user's other devices and scripts stay signed in."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        publish_session_logged_out(session_key)


def password_change_note(sender, instance, update_fields=None, **kwargs) -> None:
    """Before a save: does it store a new password? (A rehash of the same one, at login, does not count.)"""
    instance._live_password_changed = False
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is None or stored == instance.password:
        return
    raw = getattr(instance, "_password", None)  # set by set_password() until the save
    instance._live_password_changed = not (raw is not None and check_password(raw, stored))


def password_changed_close(sender, instance, **kwargs) -> None:
    """After the save, once committed: a new password ends the user's sockets (a token's too: the API refuses
    its tokens now)."""
    if getattr(instance, "_live_password_changed", False):
        user_id = instance.pk
        transaction.on_commit(lambda: publish_session_ended(user_id))


def connect() -> None:
    # Every sender (only Order sends it): senders ask `order_changed.has_listeners()` before building the
    # message, and that counts only receivers connected without a sender.
    order_changed.connect(order_changed_publish, dispatch_uid="live.order_changed_publish")
    user_logged_out.connect(user_logged_out_close, dispatch_uid="live.user_logged_out_close")
    pre_save.connect(password_change_note, sender=get_user_model(), dispatch_uid="live.password_change_note")
    post_save.connect(password_changed_close, sender=get_user_model(), dispatch_uid="live.password_changed")
    # Also under a bare `uvicorn stocklab.asgi:application` (make demo), not only the production worker.
    redact_access_log()
