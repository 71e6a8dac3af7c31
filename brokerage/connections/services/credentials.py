"""Connecting and disconnecting Kiwoom keys."""

from __future__ import annotations

import hashlib
import logging
from contextlib import nullcontext

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.connections.coordination import credential_lock
from brokerage.connections.errors import RealTradingDisabled, translate
from brokerage.connections.fields import DecryptionError
from brokerage.connections.gateway import client_for
from brokerage.connections.models import CredentialStatus, KiwoomCredential, Mode

logger = logging.getLogger(__name__)

INVALID_KEY_CODES = frozenset({"8001", "8002", "8030"})
DEVICE_CODES = frozenset({"8010", "8040", "8050", "8103"})


def key_fingerprint(*, app_key: str, app_secret: str) -> str:
    return hashlib.sha256(f"{app_key}\x00{app_secret}".encode()).hexdigest()


def credential_connect(
    *, user: User, app_key: str, app_secret: str, mode: str = Mode.MOCK
) -> KiwoomCredential:
    """Check the key pair by issuing a token at Kiwoom, then store it; store nothing if Kiwoom refuses."""
    if mode == Mode.REAL and not settings.KIWOOM_ALLOW_REAL:
        raise RealTradingDisabled()
    try:
        token = client_for(mode).issue_token(app_key=app_key, app_secret=app_secret)
    except kiwoom.KiwoomError as exc:
        raise translate(exc) from exc

    now = timezone.now()
    existing = KiwoomCredential.objects.filter(user=user, mode=mode).values_list("pk", flat=True).first()
    # Under the token lock, a renewal for the old keys that is in flight finishes first: its token is then
    # the one revoked below, instead of landing on top of the new keys afterwards.
    with credential_lock(existing) if existing else nullcontext(), transaction.atomic():
        try:
            credential = KiwoomCredential.objects.select_for_update().filter(user=user, mode=mode).first()
        except DecryptionError:
            # Keys the site can no longer read (its encryption key changed): the new ones replace them.
            KiwoomCredential.objects.filter(user=user, mode=mode).only("pk").delete()
            credential = None
        replaced = None
        if credential is None:
            credential = KiwoomCredential(user=user, mode=mode)
        elif credential.access_token and credential.access_token != token.token:
            replaced = (credential.app_key, credential.app_secret, credential.access_token)
        credential.app_key = app_key
        credential.app_secret = app_secret
        credential.key_fingerprint = key_fingerprint(app_key=app_key, app_secret=app_secret)
        credential.app_key_suffix = app_key[-4:]
        credential.status = CredentialStatus.ACTIVE
        credential.access_token = token.token
        credential.token_expires_at = token.expires_at
        credential.last_refreshed_at = now
        credential.last_error_code = ""
        credential.last_error_message = ""
        credential.last_error_at = None
        credential.save()
    account_cache_invalidate(user_id=user.pk)  # the old keys' account is not this one
    if replaced is not None:
        _token_revoke_quietly(mode=mode, app_key=replaced[0], app_secret=replaced[1], token=replaced[2])
    return credential


def credential_disconnect(*, user: User, mode: str = Mode.MOCK) -> None:
    """Revoke the token at Kiwoom (best effort) and delete the stored secrets."""
    # The id alone: disconnecting must work even when the stored secrets can no longer be decrypted.
    pk = KiwoomCredential.objects.filter(user=user, mode=mode).values_list("pk", flat=True).first()
    if pk is None:
        return
    with credential_lock(pk):
        # The whole row as it is now, key pair included: another disconnect may have deleted it meanwhile.
        try:
            credential = KiwoomCredential.objects.filter(pk=pk).first()
        except DecryptionError:
            # Unreadable keys cannot revoke their token at Kiwoom; it dies at its expiry.
            KiwoomCredential.objects.filter(pk=pk).only("pk").delete()  # nothing decrypted
            credential = None
        if credential is None:
            account_cache_invalidate(user_id=user.pk)
            return
        if credential.access_token:
            _token_revoke_quietly(
                mode=credential.mode,
                app_key=credential.app_key,
                app_secret=credential.app_secret,
                token=credential.access_token,
            )
        credential.delete()
    account_cache_invalidate(user_id=user.pk)


def _token_revoke_quietly(*, mode: str, app_key: str, app_secret: str, token: str) -> None:
    try:
        client_for(mode).revoke_token(app_key=app_key, app_secret=app_secret, token=token)
    except kiwoom.KiwoomError as exc:
        # Best effort: the token dies on its own at expiry; nothing the user can do about it.
        logger.warning("Kiwoom token revoke failed: %s", exc)


def credential_record_error(*, credential: KiwoomCredential, error: kiwoom.KiwoomError) -> None:
    """Remember Kiwoom's last error on the credential; invalid keys and refused devices change its status."""
    fields = {
        "last_error_code": (error.code or str(error.return_code or ""))[:32],
        "last_error_message": error.message,
        "last_error_at": timezone.now(),
    }
    if error.code in INVALID_KEY_CODES:
        fields["status"] = CredentialStatus.INVALID
    elif error.code in DEVICE_CODES:
        fields["status"] = CredentialStatus.BLOCKED
    KiwoomCredential.objects.filter(pk=credential.pk).update(**fields)
    for name, value in fields.items():
        setattr(credential, name, value)
    if fields.get("status") == CredentialStatus.INVALID:
        # Refused keys read nothing any more: neither does a balance cached a moment ago.
        account_cache_invalidate(user_id=credential.user_id)
