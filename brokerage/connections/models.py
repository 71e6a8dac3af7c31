from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brokerage.connections.credential_cache import credential_changed
from brokerage.connections.fields import StrictEncryptedCharField, StrictEncryptedTextField


class Mode(models.TextChoices):
    MOCK = "mock", _("Mock trading")
    REAL = "real", _("Real trading")


class CredentialStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INVALID = "invalid", _("Keys refused by Kiwoom")
    BLOCKED = "blocked", _("Refused for this IP or device")


class RefreshOutcome(models.TextChoices):
    REFRESHED = "refreshed", _("Refreshed")
    SAME_TOKEN = "same_token", _("Kiwoom returned the same token")
    INVALID_KEYS = "invalid_keys", _("Keys refused")
    DEVICE_REFUSED = "device_refused", _("IP or device refused")
    FAILED = "failed", _("Kiwoom unreachable")


# Kiwoom may hand back the live token instead of a new one (LESSONS.md 3): ask again just after it expires.
SAME_TOKEN_RETRY_DELAY = timedelta(seconds=5)


def key_fingerprint_suffix(fingerprint: str) -> str:
    """The end of a key fingerprint that status pages and order entries show to tell keys apart."""
    return fingerprint[-8:]


class KiwoomCredentialQuerySet(models.QuerySet):
    """Updates and deletes change the rows' versions, so that no process uses what it kept of them
    (`credential_cache`)."""

    def update(self, **kwargs):
        changed = set(self.values_list("user_id", "mode"))
        count = super().update(**kwargs)
        for user_id, mode in changed:
            credential_changed(user_id=user_id, mode=mode)
        return count

    def delete(self):
        changed = set(self.values_list("user_id", "mode"))
        deleted = super().delete()
        for user_id, mode in changed:
            credential_changed(user_id=user_id, mode=mode)
        return deleted


class KiwoomCredential(models.Model):
    """One user's Kiwoom key pair for one mode, with the current access token; secrets stored encrypted.

    Every write changes the row's version (`credential_cache`): each process reads the row anew.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="kiwoom_credentials",
        verbose_name=_("user"),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.MOCK)
    app_key = StrictEncryptedCharField(_("app key"), max_length=512)
    app_secret = StrictEncryptedCharField(_("secret key"), max_length=512)
    access_token = StrictEncryptedTextField(_("access token"), blank=True, default="")
    # SHA-256 of the key pair: tells a changed pair apart without decrypting anything.
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64)
    # SHA-256 of the app key alone: one app key is one Kiwoom account, whichever secret comes with it, so it
    # is connected once on the whole site. None only for rows it could not be computed for (keys the site
    # could not read when it was introduced). NULL, not "": NULLs do not collide in the unique constraint.
    app_key_fingerprint = models.CharField(  # noqa: DJ001
        _("app key fingerprint"), max_length=64, null=True, blank=True
    )
    app_key_suffix = models.CharField(
        _("app key suffix"), max_length=4, help_text=_("Last four characters of the app key.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CredentialStatus.choices, default=CredentialStatus.ACTIVE
    )
    token_expires_at = models.DateTimeField(_("token expires at"), null=True, blank=True)
    last_refreshed_at = models.DateTimeField(_("last refreshed at"), null=True, blank=True)
    last_refresh_attempt_at = models.DateTimeField(_("last refresh attempt at"), null=True, blank=True)
    last_refresh_outcome = models.CharField(
        _("last refresh outcome"), max_length=16, choices=RefreshOutcome.choices, blank=True, default=""
    )
    last_error_code = models.CharField(_("last error code"), max_length=32, blank=True, default="")
    last_error_message = models.TextField(_("last error message"), blank=True, default="")
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = KiwoomCredentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("Kiwoom credential")
        verbose_name_plural = _("Kiwoom credentials")
        constraints = [
            models.UniqueConstraint(fields=["user", "mode"], name="one_credential_per_user_and_mode"),
            models.UniqueConstraint(fields=["app_key_fingerprint"], name="one_credential_per_app_key"),
        ]
        indexes = [models.Index(fields=["token_expires_at"], name="credential_token_expiry")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_mode_display()} · …{self.app_key_suffix}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        credential_changed(user_id=self.user_id, mode=self.mode)

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        credential_changed(user_id=self.user_id, mode=self.mode)
        return deleted

    @property
    def masked_app_key(self) -> str:
        return f"{'•' * 8}{self.app_key_suffix}"

    @property
    def refresh_due_at(self) -> datetime | None:
        """When the beat sweep renews the token (None: it does not, the credential is not active).

        A sweep window before expiry; after Kiwoom handed back the same token, just after that one expires.
        """
        if self.status != CredentialStatus.ACTIVE:
            return None
        if self.token_expires_at is None:
            return timezone.now()
        if self.last_refresh_outcome == RefreshOutcome.SAME_TOKEN:
            return self.token_expires_at + SAME_TOKEN_RETRY_DELAY
        return self.token_expires_at - timedelta(seconds=settings.KIWOOM_TOKEN_SWEEP_WINDOW)

    @property
    def next_refresh_at(self) -> datetime | None:
        """The next scheduled token refresh, for people: an overdue one happens now (at the next sweep)."""
        due = self.refresh_due_at
        return None if due is None else max(due, timezone.now())
