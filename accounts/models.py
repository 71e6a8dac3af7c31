from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """StockLab's user; custom from the first migration so that it can grow without a painful swap."""

    class Meta(AbstractUser.Meta):
        constraints = [
            # "Minji" and "minji" are one person: sign-up checks this, and the database holds to it when two
            # sign-ups race past that check.
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=_("That username is already taken."),
            ),
        ]


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are written once: a bulk update or delete is a programming error, refused."""

    def update(self, **kwargs):
        raise TypeError("Security events are append-only")

    def delete(self):
        raise TypeError("Security events are append-only")


class SecurityEvent(models.Model):
    """One security-relevant event, written once by `services.security_event_record` and never changed."""

    class Action(models.TextChoices):
        # Accounts.
        SIGN_IN = "account.sign_in", _("Sign-in")
        SIGN_OUT = "account.sign_out", _("Sign-out")
        PASSWORD_CHANGE = "account.password_change", _("Password change")
        PASSWORD_RESET_REQUEST = "account.password_reset_request", _("Password reset requested")
        PASSWORD_RESET = "account.password_reset", _("Password reset")
        OTP_ENABLE = "account.otp_enable", _("Two-step verification turned on")
        OTP_DISABLE = "account.otp_disable", _("Two-step verification turned off")
        OTP_VERIFY = "account.otp_verify", _("Verification code")
        # Brokerage, recorded by its domains through the same service.
        CREDENTIAL_CONNECT = "kiwoom.credential_connect", _("Kiwoom keys connected")
        CREDENTIAL_REPLACE = "kiwoom.credential_replace", _("Kiwoom keys replaced")
        CREDENTIAL_DISCONNECT = "kiwoom.credential_disconnect", _("Kiwoom keys disconnected")
        TOKEN_ISSUE = "kiwoom.token_issue", _("Kiwoom token issued")
        TOKEN_RENEW = "kiwoom.token_renew", _("Kiwoom token renewed")
        TOKEN_REVOKE = "kiwoom.token_revoke", _("Kiwoom token revoked")
        ORDER_PLACE = "order.place", _("Order placed")
        ORDER_MODIFY = "order.modify", _("Order modified")
        ORDER_CANCEL = "order.cancel", _("Order cancelled")
        ORDER_OUTCOME = "order.outcome", _("Order outcome learned")
        ADMIN_ACTION = "admin.action", _("Operator action")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Succeeded")
        FAILURE = "failure", _("Failed")
        REFUSED = "refused", _("Refused")  # by a rule (a guardrail, a lockout, Kiwoom's rejection)
        UNKNOWN = "unknown", _("Unknown")  # an order whose answer never came: its `order.outcome` event tells

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    # As typed or as it was then: a failed sign-in names no user, and a deleted user's events keep a name.
    username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, choices=Action.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_sec_user_created_idx")]

    def __str__(self):
        return f"{self.get_action_display()} · {self.get_outcome_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Security events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Security events are append-only")
