"""Access tokens: issued once for all processes (a shared lock), renewed before expiry and after 8005."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from .. import kiwoom
from ..coordination import credential_lock
from ..errors import translate
from ..gateway import client_for
from ..models import CredentialStatus, KiwoomCredential
from .credentials import credential_record_error

T = TypeVar("T")


def _token_is_fresh(credential: KiwoomCredential, *, now: datetime | None = None) -> bool:
    margin = timedelta(seconds=settings.KIWOOM_TOKEN_REFRESH_MARGIN)
    return bool(
        credential.access_token
        and credential.token_expires_at
        and credential.token_expires_at - margin > (now or timezone.now())
    )


def token_refresh(*, credential_id: int, stale_token: str | None = None) -> KiwoomCredential:
    """Issue a new token unless another process already replaced `stale_token` (or it is still fresh).

    Runs under the credential's lock, so that concurrent callers cause one au10001 between them.
    """
    with credential_lock(credential_id):
        credential = KiwoomCredential.objects.get(pk=credential_id)
        if _token_is_fresh(credential) and credential.access_token != stale_token:
            return credential
        try:
            token = client_for(credential.mode).issue_token(
                app_key=credential.app_key, app_secret=credential.app_secret
            )
        except kiwoom.KiwoomError as exc:
            credential_record_error(credential=credential, error=exc)
            raise translate(exc) from exc
        credential.access_token = token.token
        credential.token_expires_at = token.expires_at
        credential.last_refreshed_at = timezone.now()
        credential.status = CredentialStatus.ACTIVE
        credential.save(
            update_fields=["access_token", "token_expires_at", "last_refreshed_at", "status", "updated_at"]
        )
        return credential


def token_get_valid(*, credential: KiwoomCredential) -> str:
    """A token good for at least the refresh margin, issuing one when needed."""
    if _token_is_fresh(credential):
        return credential.access_token
    refreshed = token_refresh(credential_id=credential.pk, stale_token=credential.access_token or None)
    credential.access_token = refreshed.access_token
    credential.token_expires_at = refreshed.token_expires_at
    return refreshed.access_token


def kiwoom_call(*, credential: KiwoomCredential, operation: Callable[[kiwoom.KiwoomClient, str], T]) -> T:
    """Run `operation(client, token)` with a valid token; on 8005, renew the token and try once more.

    A call refused with 8005 was not processed by Kiwoom, so repeating it (even an order) is safe.
    """
    client = client_for(credential.mode)
    token = token_get_valid(credential=credential)
    try:
        try:
            return operation(client, token)
        except kiwoom.KiwoomInvalidToken:
            refreshed = token_refresh(credential_id=credential.pk, stale_token=token)
            credential.access_token = refreshed.access_token
            credential.token_expires_at = refreshed.token_expires_at
            return operation(client, refreshed.access_token)
    except kiwoom.KiwoomError as exc:
        credential_record_error(credential=credential, error=exc)
        raise translate(exc) from exc
