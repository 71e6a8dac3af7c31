from django.db import models
from django.utils.translation import gettext_lazy as _

from brokerage.connections.models import KiwoomCredential


class StreamStatus(models.TextChoices):
    LIVE = "live", _("Live")
    RECONNECTING = "reconnecting", _("Reconnecting")
    DOWN = "down", _("Down")
    STOPPED = "stopped", _("Stopped")


class StreamState(models.Model):
    """One credential's Kiwoom WebSocket as its stream process last reported it, for operators.

    Written only by the process that holds the credential's lease, and only with a fencing number at least as
    high as the one stored: a process that lost the lease cannot overwrite its successor's report.
    """

    credential = models.OneToOneField(
        KiwoomCredential,
        on_delete=models.CASCADE,
        related_name="stream_state",
        verbose_name=_("Kiwoom credential"),
    )
    owner = models.CharField(_("owner process"), max_length=128, blank=True, default="")
    fence = models.PositiveBigIntegerField(_("lease number"), default=0)
    state = models.CharField(
        _("state"), max_length=16, choices=StreamStatus.choices, default=StreamStatus.STOPPED
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True, default="")
    last_error = models.CharField(_("last error"), max_length=255, blank=True, default="")
    last_event_at = models.DateTimeField(_("last event at"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    reconnects_today = models.PositiveIntegerField(_("reconnects today"), default=0)
    # The Korea-time day that `reconnects_today` counts.
    reconnects_day = models.DateField(_("reconnects counted on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("live stream")
        verbose_name_plural = _("live streams")

    def __str__(self) -> str:
        return f"{self.credential_id} · {self.get_state_display()}"
