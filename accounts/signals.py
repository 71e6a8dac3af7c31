"""Sign-ins, failed sign-ins and sign-outs on every door (web, admin, API) into the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import SecurityEvent, User
from .services import security_event_record


def channel_of(request) -> str:
    path = getattr(request, "path", None)
    if path is None:
        return "other"
    if path.startswith("/admin/"):
        return "admin"
    return "api" if path.startswith("/api/") else "web"


@receiver(user_logged_in, dispatch_uid="accounts.audit.user_logged_in")
def record_sign_in(sender, request, user, **kwargs):
    security_event_record(
        action=SecurityEvent.Action.SIGN_IN,
        user=user,
        request=request,
        details={"channel": channel_of(request), "second_factor": hasattr(user, "otp_device")},
    )


@receiver(user_login_failed, dispatch_uid="accounts.audit.user_login_failed")
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    # `credentials` reach here with their secrets masked by Django; only the username is kept. The account
    # it names (if any) is the event's user: its owner sees the attempt among their own events.
    username = str(credentials.get("username", ""))[:150]
    security_event_record(
        action=SecurityEvent.Action.SIGN_IN,
        user=User.objects.filter(username__iexact=username).first() if username else None,
        request=request,
        outcome=SecurityEvent.Outcome.FAILURE,
        username=username or "?",
        details={
            "channel": channel_of(request),
            "locked_out": bool(getattr(request, "axes_locked_out", False)),
        },
    )


@receiver(user_logged_out, dispatch_uid="accounts.audit.user_logged_out")
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        security_event_record(
            action=SecurityEvent.Action.SIGN_OUT,
            user=user,
            request=request,
            details={"channel": channel_of(request)},
        )
