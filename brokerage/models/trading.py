from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TradingProfile(models.Model):
    """What an operator allows one user: real trading, and order limits that override the site's defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="trading_profile",
        verbose_name=_("user"),
    )
    real_trading_enabled = models.BooleanField(_("real trading allowed"), default=False)
    max_order_quantity = models.PositiveBigIntegerField(
        _("most shares per order"),
        null=True,
        blank=True,
        help_text=_("Shares per order; empty means the site's ORDER_MAX_QUANTITY."),
    )
    max_order_value = models.PositiveBigIntegerField(
        _("largest order value (KRW)"),
        null=True,
        blank=True,
        help_text=_("KRW per order; empty means the site's ORDER_MAX_VALUE."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("trading profile")
        verbose_name_plural = _("trading profiles")

    def __str__(self) -> str:
        return gettext("Trading profile of %(user)s") % {"user": self.user}
