"""The order ledger (read-only) and trading profiles in the admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from brokerage import kiwoom
from brokerage.connections.admin import SECRET_FIELDS, ViewOnlyAdmin, admin_action_record
from brokerage.orders.models import Order, TradingProfile


@admin.register(Order)
class OrderAdmin(ViewOnlyAdmin):
    """The ledger, read-only: what each user ordered and what became of it."""

    list_display = [
        "created_at",
        "user",
        "kind",
        "side",
        "stock_code",
        "stock_name",
        "quantity",
        "trade_type_label",
        "price",
        "filled_quantity",
        "status",
        "kiwoom_order_number",
        "mode",
    ]
    list_filter = [
        "status",
        "side",
        "kind",
        "mode",
        ("user", admin.RelatedOnlyFieldListFilter),
        "stock_code",
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    search_fields = ["user__username", "stock_code", "stock_name", "kiwoom_order_number", "request_id"]
    # Every column, with the trade type by its name rather than Kiwoom's code.
    fields = [
        "trade_type_label" if field.name == "trade_type" else field.name for field in Order._meta.fields
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The credential is shown by its name only: its secret columns are never loaded, so never decrypted.
        deferred = [f"credential__{name}" for name in SECRET_FIELDS]
        return super().get_queryset(request).select_related("user", "credential").defer(*deferred)

    @admin.display(description=_("trade type"), ordering="trade_type")
    def trade_type_label(self, order):
        try:
            return kiwoom.TradeType(order.trade_type).label
        except ValueError:
            return order.trade_type


class SiteLimitsInHelpText:
    """The limit fields say what empty means on this site: its own limit as a number, not a setting's name."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        texts = {
            "max_order_quantity": (
                _("Shares per order; empty means the site's limit, %(limit)s."),
                settings.ORDER_MAX_QUANTITY,
            ),
            "max_order_value": (
                _("KRW per order; empty means the site's limit, %(limit)s KRW."),
                settings.ORDER_MAX_VALUE,
            ),
        }
        if field is not None and db_field.name in texts:
            text, limit = texts[db_field.name]
            field.help_text = text % {"limit": f"{limit:,}"}
        return field


@admin.register(TradingProfile)
class TradingProfileAdmin(SiteLimitsInHelpText, admin.ModelAdmin):
    """Per-user permissions and limits (also inline on each user's page)."""

    list_display = ["user", "real_trading_enabled", "max_order_quantity", "max_order_value", "updated_at"]
    list_filter = ["real_trading_enabled"]
    list_editable = ["real_trading_enabled", "max_order_quantity", "max_order_value"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "real_trading_enabled" in form.changed_data:  # the list's checkbox or the profile's page
            admin_action_record(
                request,
                operation="enable_real_trading" if obj.real_trading_enabled else "disable_real_trading",
                target_user_id=obj.user_id,
            )


class TradingProfileInline(SiteLimitsInHelpText, admin.StackedInline):
    model = TradingProfile
    can_delete = False
    max_num = 1
    fields = ["real_trading_enabled", "max_order_quantity", "max_order_value"]
    verbose_name = _("trading permissions and limits")
    verbose_name_plural = _("trading permissions and limits")
