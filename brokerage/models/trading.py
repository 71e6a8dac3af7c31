from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TradingProfile(models.Model):
    """What an operator allows one user: real trading, and order limits that override the site's defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trading_profile"
    )
    real_trading_enabled = models.BooleanField(default=False)
    max_order_quantity = models.PositiveBigIntegerField(
        null=True, blank=True, help_text=_("Shares per order; empty means the site's ORDER_MAX_QUANTITY.")
    )
    max_order_value = models.PositiveBigIntegerField(
        null=True, blank=True, help_text=_("KRW per order; empty means the site's ORDER_MAX_VALUE.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Trading profile of {self.user}"
