from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from . import signals  # noqa: F401  (connects the audit trail's receivers)


class StockLabAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that opens to staff only after their second factor (accounts.admin_site)."""

    default = False
    default_site = "accounts.admin_site.StockLabAdminSite"
