"""Access tokens: issued once for all processes, and renewed before they expire (calls.py uses them).

Three paths issue a token (au10001), each under the credential's lock (shared by every process) and each
checking again once it holds the lock, so that concurrent callers anywhere cause one issue between them:

- the request path (`token_get_valid`): a token that expires within KIWOOM_TOKEN_REFRESH_MARGIN is replaced
  before use;
- a refused token in the middle of a call (8005, or 8010/8103: `token_replace_rejected`, from `calls`): the
  token is replaced only if the stored one is still the refused one (another process may have replaced it
  already), and the call is tried once more;
- the beat sweep (`token_refresh_claim_due`, then `token_refresh` in one Celery task per credential): tokens
  within KIWOOM_TOKEN_SWEEP_WINDOW of expiry are renewed before any request needs them.

Every issue checks that the expiry moved: Kiwoom may hand back the live token instead of a new one. That is
recorded as `same_token`; the token is used until it expires and not asked for again before then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from brokerage import kiwoom
from brokerage.connections.coordination import claim_many, credential_lock
from brokerage.connections.errors import (
    KiwoomApiError,
    KiwoomInvalidCredentials,
    KiwoomNotConnected,
    KiwoomRateLimited,
    KiwoomUnavailable,
    translate,
)
from brokerage.connections.gateway import client_for
from brokerage.connections.models import (
    SAME_TOKEN_RETRY_DELAY,
    CredentialStatus,
    KiwoomCredential,
    RefreshOutcome,
)
from brokerage.connections.services.credentials import (
    DEVICE_CODES,
    INVALID_KEY_CODES,
    credential_record_error,
)

T = TypeVar("T")

# How long the sweep's claim on one credential's refresh lasts: longer than the refresh task's retries with
# backoff, so that sweeps meanwhile do not queue a second one. The claim names the token's expiry, so a
# renewed token is claimable again at once.
SWEEP_CLAIM_SECONDS = 300
# After a renewal failed (network, 5xx, 429) while the token was still alive, requests keep using that token
# this long before one of them tries again, instead of each paying for an au10001 that is likely to fail.
RENEWAL_RETRY_DELAY = timedelta(seconds=5)


@dataclass(frozen=True)
class TokenRefresh:
    """What a scheduled refresh did: a RefreshOutcome, or "" when nothing was due (any more)."""

    outcome: str
    # Kiwoom handed back the same token: when to ask again.
    retry_at: datetime | None = None


# --- The sweep ------------------------------------------------------------------------------------------


def token_refresh_due(*, now: datetime | None = None) -> list[tuple[int, datetime | None]]:
    """(id, token expiry) of the active credentials whose token refresh is due, soonest expiry first.

    Due: the token expires within the sweep window (or already has), except that a token Kiwoom handed back
    unchanged is due only once it has expired (`KiwoomCredential.refresh_due_at`).
    """
    now = now or timezone.now()
    window = timedelta(seconds=settings.KIWOOM_TOKEN_SWEEP_WINDOW)
    due = (
        KiwoomCredential.objects.filter(status=CredentialStatus.ACTIVE)
        .filter(Q(token_expires_at__lte=now + window) | Q(token_expires_at__isnull=True))
        .exclude(
            last_refresh_outcome=RefreshOutcome.SAME_TOKEN,
            token_expires_at__gt=now - SAME_TOKEN_RETRY_DELAY,
        )
        .order_by("token_expires_at")
        .values_list("pk", "token_expires_at")
    )
    return list(due)


def token_refresh_claim_due(*, now: datetime | None = None) -> list[int]:
    """Claim the credentials whose token refresh is due; the ids newly claimed, soonest expiry first.

    A claim names the credential and its token's expiry and lasts SWEEP_CLAIM_SECONDS, so a sweep that
    overlaps another (or finds the refreshes still queued) does not queue a second refresh of one token.
    """
    rows = token_refresh_due(now=now)
    names = [f"token-refresh:{pk}:{expires.timestamp() if expires else '-'}" for pk, expires in rows]
    claimed = claim_many(names, ttl=SWEEP_CLAIM_SECONDS)
    return [pk for (pk, _expiry), won in zip(rows, claimed, strict=True) if won]


def token_refresh(*, credential_id: int) -> TokenRefresh:
    """Renew the credential's token if its refresh is still due; idempotent.

    Refused keys and refused IPs/devices are recorded on the credential (which stops its refreshes) and
    returned as the outcome, as is any other refusal (`failed`: the next sweep tries again);
    `KiwoomUnavailable` (network, 5xx) and `KiwoomRateLimited` (429) are raised for the caller to retry soon.
    """
    with credential_lock(credential_id):
        credential = KiwoomCredential.objects.filter(pk=credential_id).first()
        if credential is None or not _refresh_is_due(credential):
            return TokenRefresh(outcome="")
        try:
            outcome = _token_issue(credential)
        except (KiwoomUnavailable, KiwoomRateLimited):
            raise
        except KiwoomApiError:
            return TokenRefresh(outcome=credential.last_refresh_outcome)
    if outcome != RefreshOutcome.SAME_TOKEN:
        return TokenRefresh(outcome=outcome)
    # Never in the past, even when Kiwoom's clock runs behind ours: that would ask again at once.
    earliest = timezone.now() + SAME_TOKEN_RETRY_DELAY
    return TokenRefresh(outcome=outcome, retry_at=max(credential.refresh_due_at, earliest))


def _refresh_is_due(credential: KiwoomCredential, *, now: datetime | None = None) -> bool:
    due = credential.refresh_due_at
    return due is not None and due <= (now or timezone.now())


# --- The request path -----------------------------------------------------------------------------------


def token_get_valid(*, credential: KiwoomCredential) -> str:
    """A token good for at least the refresh margin (issuing one when needed); `credential` is updated."""
    if _token_is_usable(credential):
        return credential.access_token
    with credential_lock(credential.pk):
        stored = _credential_reload(credential)
        if not _token_is_usable(stored):
            _token_renew_or_keep(stored)
    _token_copy(source=stored, target=credential)
    return credential.access_token


def _credential_reload(credential: KiwoomCredential) -> KiwoomCredential:
    """The stored row, key pair included, under the token lock; `kiwoom_not_connected` once disconnected (a
    request in flight while the user disconnects)."""
    stored = KiwoomCredential.objects.filter(pk=credential.pk).first()
    if stored is None:
        raise KiwoomNotConnected()
    return stored


def _token_is_usable(credential: KiwoomCredential, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    expires = credential.token_expires_at
    if not credential.access_token or expires is None:
        return False
    if credential.last_refresh_outcome == RefreshOutcome.SAME_TOKEN and _attempted_within(
        credential, SAME_TOKEN_RETRY_DELAY, now=now
    ):
        # Kiwoom just handed this token back, even at its expiry by our clock (its clock may lag ours, and
        # `expires_dt` has one-second resolution): asking again at once would loop. An 8005 still replaces it.
        return True
    if expires <= now:
        return False
    if credential.last_refresh_outcome == RefreshOutcome.SAME_TOKEN:
        return True  # Kiwoom will not renew it before it expires: asking again would only loop
    return expires - timedelta(seconds=settings.KIWOOM_TOKEN_REFRESH_MARGIN) > now


def _attempted_within(credential: KiwoomCredential, delay: timedelta, *, now: datetime) -> bool:
    attempted = credential.last_refresh_attempt_at
    return attempted is not None and attempted > now - delay


def _token_renew_or_keep(stored: KiwoomCredential) -> None:
    """Renew an expiring token under the lock; while it is still alive, a failed renewal keeps it in use.

    Refused keys are not tried again (every waiter would send its own au10001 with them), and after a renewal
    that failed moments ago the live token is used without asking: the sweep or a later request tries again.
    """
    if stored.status == CredentialStatus.INVALID:
        raise KiwoomInvalidCredentials()
    now = timezone.now()
    alive = bool(stored.access_token and stored.token_expires_at and stored.token_expires_at > now)
    failed_just_now = stored.last_refresh_outcome == RefreshOutcome.FAILED and _attempted_within(
        stored, RENEWAL_RETRY_DELAY, now=now
    )
    if alive and failed_just_now:
        return
    try:
        _token_issue(stored)
    except (KiwoomUnavailable, KiwoomRateLimited):
        if not alive:
            raise


def token_renew(*, credential: KiwoomCredential) -> str:
    """Issue a new token now, whatever the current one's expiry (an operator's "refresh now").

    Runs as the renewal after an 8005 does (the current token named as the one to replace, under the shared
    lock), so a click racing a request or the sweep still causes a single au10001; `credential` is updated.
    """
    return token_replace_rejected(credential=credential, rejected=credential.access_token)


def token_replace_rejected(*, credential: KiwoomCredential, rejected: str) -> str:
    """Kiwoom refused `rejected` (8005, 8010, 8103): a token to try once more with, issued only if nobody has
    yet."""
    with credential_lock(credential.pk):
        stored = _credential_reload(credential)
        if stored.access_token == rejected:
            _token_issue(stored)
    _token_copy(source=stored, target=credential)
    return credential.access_token


# --- Issuing --------------------------------------------------------------------------------------------


def _token_issue(credential: KiwoomCredential) -> str:
    """Issue a token (au10001) and store Kiwoom's answer; the RefreshOutcome. Call under the lock.

    Kiwoom's error is recorded on the credential (refused keys make it invalid, a refused IP blocked) and
    raised as the API's error.
    """
    now = timezone.now()
    try:
        token = client_for(credential.mode).issue_token(
            app_key=credential.app_key, app_secret=credential.app_secret
        )
    except kiwoom.KiwoomError as exc:
        credential.last_refresh_attempt_at = now
        credential.last_refresh_outcome = _outcome_of(exc)
        credential.save(update_fields=["last_refresh_attempt_at", "last_refresh_outcome", "updated_at"])
        credential_record_error(credential=credential, error=exc)
        error = translate(exc)
        refused = exc.code in INVALID_KEY_CODES | DEVICE_CODES
        _token_event_record(
            credential=credential,
            outcome=SecurityEvent.Outcome.REFUSED if refused else SecurityEvent.Outcome.FAILURE,
            details={"code": error.code, "kiwoom_code": exc.code or ""},
        )
        raise error from exc

    previous_expiry = credential.token_expires_at if credential.access_token else None
    moved = previous_expiry is None or token.expires_at > previous_expiry
    outcome = RefreshOutcome.REFRESHED if moved else RefreshOutcome.SAME_TOKEN
    # Kiwoom's answer is the truth either way: store it.
    credential.access_token = token.token
    credential.token_expires_at = token.expires_at
    credential.status = CredentialStatus.ACTIVE
    credential.last_refresh_attempt_at = now
    credential.last_refresh_outcome = outcome
    fields = ["access_token", "token_expires_at", "status", "last_refresh_attempt_at", "last_refresh_outcome"]
    if moved:
        credential.last_refreshed_at = now
        fields.append("last_refreshed_at")
    credential.save(update_fields=[*fields, "updated_at"])
    _token_event_record(
        credential=credential,
        outcome=SecurityEvent.Outcome.SUCCESS,
        details={"refresh_outcome": outcome, "expires_at": token.expires_at.isoformat()},
        renewal=previous_expiry is not None,
    )
    return outcome


def _token_event_record(*, credential: KiwoomCredential, outcome: str, details: dict, renewal=None) -> None:
    """The audit trail's record of a token issue or renewal (never the token: only what it did)."""
    if renewal is None:
        renewal = bool(credential.access_token)
    security_event_record(
        action=SecurityEvent.Action.TOKEN_RENEW if renewal else SecurityEvent.Action.TOKEN_ISSUE,
        user=credential.user,
        outcome=outcome,
        details={
            "mode": credential.mode,
            "credential_id": credential.pk,
            "app_key_fingerprint": credential.app_key_fingerprint,
            **details,
        },
    )


def _outcome_of(error: kiwoom.KiwoomError) -> str:
    # By the codes with which `credential_record_error` marks the credential invalid or blocked, so that the
    # outcome always matches its status. Other auth refusals leave it active and are plain failures: 8011/8012
    # (grant_type) and 8020 (keys missing from the request) fault our request, not the user's keys.
    if error.code in INVALID_KEY_CODES:
        return RefreshOutcome.INVALID_KEYS
    if error.code in DEVICE_CODES:
        return RefreshOutcome.DEVICE_REFUSED
    return RefreshOutcome.FAILED


def _token_copy(*, source: KiwoomCredential, target: KiwoomCredential) -> None:
    for name in (
        "access_token",
        "token_expires_at",
        "status",
        "last_refreshed_at",
        "last_refresh_attempt_at",
        "last_refresh_outcome",
    ):
        setattr(target, name, getattr(source, name))
