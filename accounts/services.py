import logging
import math
import re
from collections.abc import Mapping
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from stocklab.errors import InvalidInput
from stocklab.middleware import current_client_ip, current_request_id

from .errors import (
    InvalidRefreshToken,
    OtpAlreadyEnabled,
    OtpInvalid,
    OtpNotEnabled,
    OtpThrottled,
    RefreshTokenNotYours,
    UsernameTaken,
)
from .models import SecurityEvent, User

logger = logging.getLogger(__name__)


@transaction.atomic
def user_create(*, username: str, email: str, password: str) -> User:
    """Create an investor's account; Django's password validators apply."""
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(_("That username is already taken."))
    user = User(username=username, email=User.objects.normalize_email(email))
    try:
        user.full_clean(exclude=["password"])
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            exc = ValidationError({"password": exc.error_list})
        raise InvalidInput.from_django(exc) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another sign-up took the name (in any case) after the check above.
        raise UsernameTaken(_("That username is already taken.")) from None
    return user


def refresh_token_revoke(*, user: User, refresh: str) -> None:
    """Blacklist one of the user's refresh tokens, so that it can never mint access tokens again; another
    user's token is refused (whoever holds it must not be able to log its owner out)."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidRefreshToken(_("The refresh token is invalid or already revoked.")) from exc
    owner = token.get(jwt_settings.USER_ID_CLAIM)
    if str(owner) != str(getattr(user, jwt_settings.USER_ID_FIELD)):
        raise RefreshTokenNotYours()
    token.blacklist()


# --- The audit trail --------------------------------------------------------------------------------------

# Detail keys that may name a secret (or hold one): dropped, whatever their value. A key's fingerprint is not
# the key (`app_key_fingerprint` is kept).
_SECRET_KEY_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|app_?key|api_?key|otp|authorization|cookie|session_?key|signature"
    r"|private_?key",
    re.IGNORECASE,
)
# A JSON Web Token in a value, under whatever name: the payload of a refresh or access token.
_JWT_VALUE = re.compile(r"eyJ[\w-]+\.[\w-]+\.")
REDACTED_KEYS = "redacted_keys"


def _is_secret_name(name: str) -> bool:
    return bool(_SECRET_KEY_NAME.search(name)) and not name.lower().endswith("fingerprint")


def _without_secrets(value: Any, dropped: list[str], path: str = "") -> Any:
    if isinstance(value, Mapping):
        kept = {}
        for key, item in value.items():
            name = f"{path}{key}"
            if _is_secret_name(str(key)):
                dropped.append(name)
            else:
                kept[str(key)] = _without_secrets(item, dropped, f"{name}.")
        return kept
    if isinstance(value, list | tuple):
        return [_without_secrets(item, dropped, path) for item in value]
    if isinstance(value, str) and _JWT_VALUE.search(value):
        dropped.append(path.rstrip(".") or "(value)")
        return "[redacted]"
    return value


def security_event_record(
    *,
    action: SecurityEvent.Action | str,
    user: User | None = None,
    request: HttpRequest | None = None,
    outcome: SecurityEvent.Outcome | str = SecurityEvent.Outcome.SUCCESS,
    details: Mapping[str, Any] | None = None,
    username: str = "",
) -> SecurityEvent:
    """Append one event to the audit trail: who (`user`, else the signed-in user of `request`), what
    (`action`, one of SecurityEvent.Action), the outcome, from which IP and with which request id (both
    read from `request`, else from the request being answered, if any), and `details`: non-secret facts (ids,
    fingerprints, codes, amounts). Keys named like a secret (password, secret, token, app_key, otp, ...)
    and token-like values are dropped, their names listed under `redacted_keys`: never pass a secret.
    `username` names who it was about when no user is known (the name typed at a failed sign-in)."""
    action = SecurityEvent.Action(action)
    outcome = SecurityEvent.Outcome(outcome)
    http_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    if user is None and not username and http_request is not None:
        candidate = getattr(http_request, "user", None)
        user = candidate if getattr(candidate, "is_authenticated", False) else None
    dropped: list[str] = []
    clean = _without_secrets(dict(details or {}), dropped)
    if dropped:
        logger.warning("Security event %s: dropped secret-like details %s", action, ", ".join(dropped))
        clean[REDACTED_KEYS] = dropped
    request_id = getattr(http_request, "request_id", "") or current_request_id()
    return SecurityEvent.objects.create(
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        action=action,
        outcome=outcome,
        ip_address=get_client_ip_address(http_request) if http_request is not None else current_client_ip(),
        request_id="" if request_id == "-" else request_id,
        details=clean,
    )


# --- The second factor (TOTP, django-otp) -----------------------------------------------------------------
# A wrong code counts twice: against the device (django-otp's own delay, doubling from 1 s after each wrong
# code, wherever they come from), and as a failed login for django-axes (username and IP), so that the
# password lockout covers guessing codes too.


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_device_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device a user is setting up (the same one until confirmed, so the QR code holds)."""
    if totp_device_confirmed(user=user) is not None:
        raise OtpAlreadyEnabled()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="StockLab", confirmed=False)


def _verify(device: TOTPDevice, token: str) -> bool:
    """django-otp's check (it also refuses a code used before) under its throttle; raises when throttled."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, why = device.verify_is_allowed()
        if not allowed:
            locked_until = (why or {}).get("locked_until")
            seconds = (locked_until - timezone.now()).total_seconds() if locked_until else 1
            wait = max(1, math.ceil(seconds))
            # Each wrong code doubles the wait before the next one is checked: say how long this one is.
            detail = ngettext(
                "After a wrong code, the next is checked in %(seconds)d second. Wait, then try again.",
                "After a wrong code, the next is checked in %(seconds)d seconds. Wait, then try again.",
                wait,
            ) % {"seconds": wait}
            raise OtpThrottled(detail, retry_after=wait)
        return device.verify_token(token.strip().replace(" ", ""))


def _otp_failed(*, user: User, request: HttpRequest | None, action: SecurityEvent.Action) -> None:
    security_event_record(action=action, user=user, request=request, outcome=SecurityEvent.Outcome.FAILURE)
    if request is not None:
        # Counted by django-axes as a failed login of this username from this IP (it may lock them out).
        AxesProxyHandler.user_login_failed(
            sender=_otp_failed, credentials={"username": user.get_username()}, request=request
        )


def totp_device_confirm(*, user: User, token: str, request: HttpRequest | None = None) -> TOTPDevice:
    """Turn two-step verification on, once the user typed a code from the device being set up."""
    device = totp_device_start(user=user)
    if not _verify(device, token):
        _otp_failed(user=user, request=request, action=SecurityEvent.Action.OTP_ENABLE)
        raise OtpInvalid()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    security_event_record(action=SecurityEvent.Action.OTP_ENABLE, user=user, request=request)
    return device


def totp_device_remove(*, user: User, token: str, request: HttpRequest | None = None) -> None:
    """Turn two-step verification off; it takes a current code, not only a signed-in session."""
    device = totp_device_confirmed(user=user)
    if device is None:
        raise OtpNotEnabled()
    if not _verify(device, token):
        _otp_failed(user=user, request=request, action=SecurityEvent.Action.OTP_DISABLE)
        raise OtpInvalid()
    TOTPDevice.objects.filter(user=user).delete()
    security_event_record(action=SecurityEvent.Action.OTP_DISABLE, user=user, request=request)


def otp_verify(*, user: User, token: str, request: HttpRequest | None = None) -> TOTPDevice:
    """The second step of a login: the device that accepted `token`, or OtpInvalid / OtpThrottled."""
    device = totp_device_confirmed(user=user)
    if device is None:
        raise OtpNotEnabled()
    if not _verify(device, token):
        _otp_failed(user=user, request=request, action=SecurityEvent.Action.OTP_VERIFY)
        raise OtpInvalid()
    return device
