"""Reads; every one of them is scoped to a user."""

from django.db.models import QuerySet

from accounts.models import User

from .errors import KiwoomNotConnected
from .models import CredentialStatus, KiwoomCredential, Mode, Order


def credential_find(*, user: User, mode: str = Mode.MOCK) -> KiwoomCredential | None:
    return KiwoomCredential.objects.filter(user=user, mode=mode).first()


def credential_get_connected(*, user: User, mode: str = Mode.MOCK) -> KiwoomCredential:
    """The user's usable credential, or `kiwoom_not_connected`."""
    credential = credential_find(user=user, mode=mode)
    if credential is None or credential.status == CredentialStatus.INVALID:
        raise KiwoomNotConnected()
    return credential


def order_list(*, user: User) -> QuerySet[Order]:
    return Order.objects.filter(user=user)


def order_get(*, user: User, order_id: int) -> Order | None:
    return order_list(user=user).filter(pk=order_id).first()
