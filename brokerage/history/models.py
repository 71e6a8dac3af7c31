"""The account over time: snapshots of each connected account, their holdings, and the index closes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brokerage.connections.models import KiwoomCredential, Mode


class SnapshotKind(models.TextChoices):
    DAILY = "daily", _("Daily (after the close)")
    INTRADAY = "intraday", _("Intraday")


class SnapshotStatus(models.TextChoices):
    OK = "ok", _("Taken")
    # A trading day whose snapshot Kiwoom could not give, recorded so that charts show the hole.
    GAP = "gap", _("Missing")


class AccountSnapshot(models.Model):
    """One account's state at a moment: after a trading day's close (daily), or every few minutes (intraday).

    Amounts in KRW. `net_flow` is money that came in (+) or went out (−) since the previous daily snapshot
    and is not the fruit of trading (`services.snapshots`): it is kept out of the returns.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="account_snapshots",
        verbose_name=_("user"),
    )
    # The history outlives a disconnected credential, as the order ledger does.
    credential = models.ForeignKey(
        KiwoomCredential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="snapshots",
        verbose_name=_("Kiwoom credential"),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.MOCK)
    date = models.DateField(_("trading day"), help_text=_("Korea-time trading day."))
    kind = models.CharField(_("kind"), max_length=8, choices=SnapshotKind.choices, default=SnapshotKind.DAILY)
    status = models.CharField(
        _("status"), max_length=4, choices=SnapshotStatus.choices, default=SnapshotStatus.OK
    )
    # Intraday points are keyed by their slot (the start of the 10-minute window), daily ones by their day.
    taken_at = models.DateTimeField(_("taken at"))
    estimated_assets = models.BigIntegerField(_("estimated assets"), default=0)
    deposit = models.BigIntegerField(_("deposit"), default=0)
    orderable_cash = models.BigIntegerField(_("orderable cash"), default=0)
    holdings_value = models.BigIntegerField(_("holdings value"), default=0)
    cost_basis = models.BigIntegerField(_("cost basis"), default=0)
    unrealized_pnl = models.BigIntegerField(_("unrealized P&L"), default=0)
    # The D+2 estimated deposit (kt00001 d2_entra): trades move it at once, unlike the settled deposit.
    settlement_deposit = models.BigIntegerField(_("D+2 deposit"), default=0)
    net_flow = models.BigIntegerField(_("deposits and withdrawals"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account snapshot")
        verbose_name_plural = _("account snapshots")
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "mode", "date"],
                condition=Q(kind="daily"),
                name="one_daily_snapshot_per_day",
            ),
            models.UniqueConstraint(
                fields=["user", "mode", "taken_at"],
                condition=Q(kind="intraday"),
                name="one_intraday_snapshot_per_slot",
            ),
        ]
        indexes = [models.Index(fields=["user", "mode", "kind", "date"], name="snapshot_user_day")]

    def __str__(self) -> str:
        return gettext("%(user)s · %(day)s (%(kind)s)") % {
            "user": self.user,
            "day": self.date,
            "kind": self.get_kind_display(),
        }


class HoldingSnapshot(models.Model):
    """One holding of a daily snapshot, at that day's close."""

    snapshot = models.ForeignKey(
        AccountSnapshot, on_delete=models.CASCADE, related_name="holdings", verbose_name=_("snapshot")
    )
    stock_code = models.CharField(_("stock code"), max_length=12)
    stock_name = models.CharField(_("stock name"), max_length=64, blank=True, default="")
    quantity = models.BigIntegerField(_("quantity"))
    average_price = models.BigIntegerField(_("average price"))
    close = models.BigIntegerField(_("close"))
    previous_close = models.BigIntegerField(_("previous close"), default=0)

    class Meta:
        verbose_name = _("holding snapshot")
        verbose_name_plural = _("holding snapshots")
        ordering = ["snapshot", "stock_code"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "stock_code"], name="one_holding_per_snapshot_code")
        ]

    def __str__(self) -> str:
        return f"{self.stock_code} × {self.quantity}"


class IndexCode(models.TextChoices):
    """ka20006 업종코드 of the benchmark indices (PROTOCOL.md M7.1)."""

    KOSPI = "001", "KOSPI"
    KOSDAQ = "101", "KOSDAQ"


class IndexDaily(models.Model):
    """A benchmark index's close on a trading day (ka20006, ×100 integers on the wire, decimals here)."""

    index_code = models.CharField(_("index"), max_length=3, choices=IndexCode.choices)
    date = models.DateField(_("trading day"))
    close = models.DecimalField(_("close"), max_digits=12, decimal_places=2)
    fetched_at = models.DateTimeField(_("fetched at"), auto_now=True)

    class Meta:
        verbose_name = _("index close")
        verbose_name_plural = _("index closes")
        ordering = ["index_code", "date"]
        constraints = [models.UniqueConstraint(fields=["index_code", "date"], name="one_index_close_per_day")]

    def __str__(self) -> str:
        return f"{self.get_index_code_display()} {self.date} {self.close}"
