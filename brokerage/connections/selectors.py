"""Reads of a user's Kiwoom credentials; every one is scoped to a user."""

from __future__ import annotations

from accounts.models import User
from brokerage.connections.errors import KiwoomNotConnected
from brokerage.connections.models import CredentialStatus, KiwoomCredential, Mode

# The key pair is decrypted only where it is used (issuing and revoking tokens, which load it on access):
# a request needs the token alone, and every decryption costs time and leaves a secret in memory.
KEY_PAIR_FIELDS = ("app_key", "app_secret")


def credential_find(*, user: User, mode: str = Mode.MOCK) -> KiwoomCredential | None:
    # get(), not first(): one credential per user and mode (a constraint), so no ORDER BY is needed.
    try:
        return KiwoomCredential.objects.defer(*KEY_PAIR_FIELDS).get(user=user, mode=mode)
    except KiwoomCredential.DoesNotExist:
        return None


def credential_get_connected(*, user: User, mode: str = Mode.MOCK) -> KiwoomCredential:
    """The user's usable credential, or `kiwoom_not_connected`."""
    return credential_require_connected(credential=credential_find(user=user, mode=mode))


def credential_require_connected(*, credential: KiwoomCredential | None) -> KiwoomCredential:
    """The credential if it is usable, or `kiwoom_not_connected`."""
    if credential is None or credential.status == CredentialStatus.INVALID:
        raise KiwoomNotConnected()
    return credential
