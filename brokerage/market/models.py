"""The stock master (every listed code, from Kiwoom's ka10099) and the users' 관심종목 groups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from brokerage import kiwoom
from brokerage.market.hangul import initials_key


class Market(models.TextChoices):
    KOSPI = "KOSPI", "KOSPI"
    KOSDAQ = "KOSDAQ", "KOSDAQ"
    ETF = "ETF", "ETF"
    ETN = "ETN", "ETN"
    KONEX = "KONEX", "KONEX"
    OTHER = "OTHER", _("Other")


class Stock(models.Model):
    """One listed code as Kiwoom's master lists it; a delisted code keeps its row, no longer listed."""

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    market = models.CharField(_("market"), max_length=8, choices=Market.choices)
    # The name's 초성 (`삼성전자` -> `ㅅㅅㅈㅈ`), kept with the name so that search never computes it.
    search_key = models.CharField(_("초성"), max_length=100, editable=False)
    listed_shares = models.BigIntegerField(_("listed shares"), default=0)
    # ka10099's lastPrice (yesterday's close): with the listed shares, the market cap ranking search.
    base_price = models.BigIntegerField(_("previous close"), default=0)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    # What matters before an order (관리종목, 투자경고, 거래정지...): `kiwoom.StockWarning` values.
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    nxt_enabled = models.BooleanField(_("tradable on NXT"), default=False)
    is_listed = models.BooleanField(_("listed"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stocks")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.search_key = initials_key(self.name)
        super().save(*args, **kwargs)

    @property
    def warning_labels(self) -> list[str]:
        return warning_labels(self.warnings)

    @property
    def market_cap(self) -> int:
        return self.listed_shares * self.base_price


def warning_labels(codes: list[str] | tuple[str, ...]) -> list[str]:
    """The Korean terms of warning codes (`managed` -> `관리종목`), unknown codes as they are."""
    labels = []
    for code in codes:
        try:
            labels.append(kiwoom.StockWarning(code).label)
        except ValueError:
            labels.append(code)
    return labels


class Watchlist(models.Model):
    """A user's named group of stocks (관심종목), in the user's order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlists", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=40)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("watchlist")
        verbose_name_plural = _("watchlists")
        ordering = ["user", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="market_watchlist_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class WatchlistItem(models.Model):
    """A stock in a watchlist, at its place; a code appears once per watchlist."""

    watchlist = models.ForeignKey(
        Watchlist, on_delete=models.CASCADE, related_name="items", verbose_name=_("watchlist")
    )
    # The code, not a key to Stock: an item outlives the master's row and needs no join to list.
    stock_code = models.CharField(_("stock code"), max_length=12)
    position = models.PositiveIntegerField(_("position"), default=0)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("watchlist item")
        verbose_name_plural = _("watchlist items")
        ordering = ["watchlist", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["watchlist", "stock_code"], name="market_watchlist_item_unique"),
        ]

    def __str__(self) -> str:
        return self.stock_code
