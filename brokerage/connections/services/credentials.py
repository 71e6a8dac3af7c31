"""Connecting and disconnecting Kiwoom keys."""

from __future__ import annotations

import contextvars
import hashlib
import logging
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import SecurityEvent, User
from accounts.services import security_event_record
from brokerage import kiwoom
from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.connections.coordination import CREDENTIAL_LOCK_WAIT, credential_lock, named_lock
from brokerage.connections.errors import KiwoomKeysInUse, RealTradingDisabled, translate
from brokerage.connections.fields import DecryptionError
from brokerage.connections.gateway import client_for
from brokerage.connections.models import CredentialStatus, KiwoomCredential, Mode
from stocklab.errors import ApplicationError, ErrorKind

logger = logging.getLogger(__name__)
Action, Outcome = SecurityEvent.Action, SecurityEvent.Outcome

# Columns that hold secrets: rows read only to be compared are read without them (nothing decrypted).
SECRET_FIELDS = ("app_key", "app_secret", "access_token")

INVALID_KEY_CODES = frozenset({"8001", "8002", "8030"})
DEVICE_CODES = frozenset({"8010", "8040", "8050", "8103"})


def key_fingerprint(*, app_key: str, app_secret: str) -> str:
    return hashlib.sha256(f"{app_key}\x00{app_secret}".encode()).hexdigest()


def app_key_fingerprint(app_key: str) -> str:
    """SHA-256 of the app key alone: it names one Kiwoom account, whichever secret comes with it."""
    return hashlib.sha256(app_key.encode()).hexdigest()


def credential_connect(
    *, user: User, app_key: str, app_secret: str, mode: str = Mode.MOCK
) -> KiwoomCredential:
    """Check the key pair by issuing a token at Kiwoom, then store it; store nothing if Kiwoom refuses.

    An app key is connected once on the site (one Kiwoom account, whose tokens knock each other out): keys
    that another active user, or this user for the other mode, has connected are refused before Kiwoom is
    asked. A deactivated user's hold on them is released, once Kiwoom accepted them. Every attempt is
    recorded in the audit trail, by the app key's fingerprint.
    """
    fingerprint = app_key_fingerprint(app_key)
    try:
        if mode == Mode.REAL and not settings.KIWOOM_ALLOW_REAL:
            raise RealTradingDisabled()
        # One connect of an app key at a time: of two users racing with it, the second finds the first's row
        # and sends nothing to Kiwoom. The unique constraint on the fingerprint holds whatever the lock does.
        with named_lock(f"app-key:{fingerprint}", wait=CREDENTIAL_LOCK_WAIT):
            return _credential_connect(
                user=user, app_key=app_key, app_secret=app_secret, mode=mode, fingerprint=fingerprint
            )
    except ApplicationError as exc:
        _connect_refused_record(user=user, mode=mode, fingerprint=fingerprint, error=exc)
        raise


def _credential_connect(
    *, user: User, app_key: str, app_secret: str, mode: str, fingerprint: str
) -> KiwoomCredential:
    holder = (
        KiwoomCredential.objects.filter(app_key_fingerprint=fingerprint)
        .exclude(user=user, mode=mode)
        .select_related("user")
        .defer(*SECRET_FIELDS)
        .first()
    )
    if holder is not None and (holder.user_id == user.pk or holder.user.is_active):
        raise KiwoomKeysInUse()
    try:
        token = client_for(mode).issue_token(app_key=app_key, app_secret=app_secret)
    except kiwoom.KiwoomError as exc:
        raise translate(exc) from exc

    existing = KiwoomCredential.objects.filter(user=user, mode=mode).values_list("pk", flat=True).first()
    # Under the token locks, a renewal in flight for the old keys (or for the deactivated holder's) finishes
    # first: its token is then the one revoked below, instead of landing on top of the new keys afterwards.
    with ExitStack() as locks:
        for pk in (existing, holder.pk if holder else None):
            if pk is not None:
                locks.enter_context(credential_lock(pk))
        try:
            with transaction.atomic():
                if holder is not None:
                    _credential_release(holder=holder, to=user)
                credential, replaced = _credential_store(
                    user=user, mode=mode, app_key=app_key, app_secret=app_secret, token=token
                )
        except IntegrityError:
            # Another connect of this app key got in first (past the lock: processes without Redis).
            taken = KiwoomCredential.objects.filter(app_key_fingerprint=fingerprint).exclude(
                user=user, mode=mode
            )
            if taken.exists():
                raise KiwoomKeysInUse() from None
            raise
    account_cache_invalidate(user_id=user.pk)  # the old keys' account is not this one
    if replaced is not None:
        _token_revoke_quietly(
            user=user, mode=mode, app_key=replaced[0], app_secret=replaced[1], token=replaced[2]
        )
    return credential


def _credential_release(*, holder: KiwoomCredential, to: User) -> None:
    """Delete a deactivated user's credential for keys that `to` connects (Kiwoom accepted them: they are
    `to`'s). Its token is not revoked: Kiwoom may hand the new one back for it."""
    deleted, _ = KiwoomCredential.objects.filter(pk=holder.pk, user__is_active=False).only("pk").delete()
    if deleted:  # else reactivated meanwhile: it keeps the keys, and the save after this fails
        _record_after_commit(
            partial(
                security_event_record,
                action=Action.CREDENTIAL_DISCONNECT,
                user=holder.user,
                details={
                    "mode": holder.mode,
                    "app_key_fingerprint": holder.app_key_fingerprint,
                    "reason": "connected_by_another_user",
                    "by_user_id": to.pk,
                },
            )
        )


def _credential_store(
    *, user: User, mode: str, app_key: str, app_secret: str, token: kiwoom.Token
) -> tuple[KiwoomCredential, tuple[str, str, str] | None]:
    """Write the checked keys and their token over the user's credential of the mode (in a transaction); the
    credential, and the old keys with their token when that token is to be revoked."""
    try:
        credential = KiwoomCredential.objects.select_for_update().filter(user=user, mode=mode).first()
        previous = credential.app_key_fingerprint if credential is not None else None
        replacing = credential is not None
    except DecryptionError:
        # Keys the site can no longer read (its encryption key changed): the new ones replace them.
        KiwoomCredential.objects.filter(user=user, mode=mode).only("pk").delete()
        credential, previous, replacing = None, None, True
    replaced = None
    if credential is None:
        credential = KiwoomCredential(user=user, mode=mode)
    elif credential.access_token and credential.access_token != token.token:
        replaced = (credential.app_key, credential.app_secret, credential.access_token)
    credential.app_key = app_key
    credential.app_secret = app_secret
    credential.key_fingerprint = key_fingerprint(app_key=app_key, app_secret=app_secret)
    credential.app_key_fingerprint = app_key_fingerprint(app_key)
    credential.app_key_suffix = app_key[-4:]
    credential.status = CredentialStatus.ACTIVE
    credential.access_token = token.token
    credential.token_expires_at = token.expires_at
    credential.last_refreshed_at = timezone.now()
    credential.last_error_code = ""
    credential.last_error_message = ""
    credential.last_error_at = None
    credential.save()
    details = {"mode": mode, "app_key_fingerprint": credential.app_key_fingerprint}
    if replacing:
        details["previous_app_key_fingerprint"] = previous
    _record_after_commit(
        partial(
            security_event_record,
            action=Action.CREDENTIAL_REPLACE if replacing else Action.CREDENTIAL_CONNECT,
            user=user,
            details=details,
        )
    )
    return credential, replaced


def _record_after_commit(record: Callable[[], object]) -> None:
    """Record an audit event once the write it tells of is committed (none if it is rolled back), with the
    request id and IP of the request that made it, even if the commit comes later."""
    context = contextvars.copy_context()
    transaction.on_commit(lambda: context.run(record))


def _connect_refused_record(*, user: User, mode: str, fingerprint: str, error: ApplicationError) -> None:
    # Nothing was written: recorded at once, not on a commit that a caller's transaction may never make.
    cannot_tell = error.kind in {ErrorKind.UNAVAILABLE, ErrorKind.RATE_LIMITED, ErrorKind.UPSTREAM_FAILED}
    details = {"mode": mode, "app_key_fingerprint": fingerprint, "code": error.code}
    if error.extra.get("kiwoom_code"):
        details["kiwoom_code"] = error.extra["kiwoom_code"]
    security_event_record(
        action=Action.CREDENTIAL_CONNECT,
        user=user,
        outcome=Outcome.FAILURE if cannot_tell else Outcome.REFUSED,
        details=details,
    )


def credential_disconnect(*, user: User, mode: str = Mode.MOCK) -> None:
    """Revoke the token at Kiwoom (best effort) and delete the stored secrets."""
    # The id alone: disconnecting must work even when the stored secrets can no longer be decrypted.
    row = (
        KiwoomCredential.objects.filter(user=user, mode=mode).values_list("pk", "app_key_fingerprint").first()
    )
    if row is None:
        return
    pk, fingerprint = row
    with credential_lock(pk):
        # The whole row as it is now, key pair included: another disconnect may have deleted it meanwhile.
        try:
            credential = KiwoomCredential.objects.filter(pk=pk).first()
        except DecryptionError:
            # Unreadable keys cannot revoke their token at Kiwoom; it dies at its expiry.
            deleted, _ = KiwoomCredential.objects.filter(pk=pk).only("pk").delete()  # nothing decrypted
            if deleted:
                _disconnect_record(user=user, mode=mode, fingerprint=fingerprint)
            credential = None
        if credential is None:
            account_cache_invalidate(user_id=user.pk)
            return
        if credential.access_token:
            _token_revoke_quietly(
                user=user,
                mode=credential.mode,
                app_key=credential.app_key,
                app_secret=credential.app_secret,
                token=credential.access_token,
            )
        credential.delete()
        _disconnect_record(user=user, mode=mode, fingerprint=fingerprint)
    account_cache_invalidate(user_id=user.pk)


def _disconnect_record(*, user: User, mode: str, fingerprint: str | None) -> None:
    _record_after_commit(
        partial(
            security_event_record,
            action=Action.CREDENTIAL_DISCONNECT,
            user=user,
            details={"mode": mode, "app_key_fingerprint": fingerprint},
        )
    )


def _token_revoke_quietly(*, user: User, mode: str, app_key: str, app_secret: str, token: str) -> None:
    details = {"mode": mode, "app_key_fingerprint": app_key_fingerprint(app_key)}
    try:
        client_for(mode).revoke_token(app_key=app_key, app_secret=app_secret, token=token)
    except kiwoom.KiwoomError as exc:
        # Best effort: the token dies on its own at expiry; nothing the user can do about it.
        logger.warning("Kiwoom token revoke failed: %s", exc)
        details["code"] = translate(exc).code
        security_event_record(action=Action.TOKEN_REVOKE, user=user, outcome=Outcome.FAILURE, details=details)
        return
    security_event_record(action=Action.TOKEN_REVOKE, user=user, details=details)


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
