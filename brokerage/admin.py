"""The operators' admin: credentials without their secrets, token actions, the read-only order ledger.

The encrypted columns (app key, secret, access token) are deferred in every admin query and are never a form
field, a list column or a search field: no admin page shows them, or decrypts them to render. Only the token
actions read them, in memory, to call Kiwoom.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from stocklab.errors import ApplicationError

from . import kiwoom, services
from .models import KiwoomCredential, Order, RefreshOutcome, TradingProfile
from .models.credentials import key_fingerprint_suffix
from .services.tokens import token_renew

SECRET_FIELDS = ("app_key", "app_secret", "access_token")

admin.site.site_header = _("StockLab operations")
admin.site.site_title = _("StockLab operations")
admin.site.index_title = _("Users, Kiwoom connections, orders and schedules")


class TokenExpiryFilter(admin.SimpleListFilter):
    title = _("token expiry")
    parameter_name = "token"

    def lookups(self, request, model_admin):
        return [
            ("expired", _("Expired or missing")),
            ("soon", _("Expires within the refresh margin")),
            ("valid", _("Valid")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        soon = now + timedelta(seconds=settings.KIWOOM_TOKEN_REFRESH_MARGIN)
        if self.value() == "expired":
            return queryset.filter(Q(token_expires_at__isnull=True) | Q(token_expires_at__lte=now))
        if self.value() == "soon":
            return queryset.filter(token_expires_at__gt=now, token_expires_at__lte=soon)
        if self.value() == "valid":
            return queryset.filter(token_expires_at__gt=soon)
        return queryset


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows that operators may look at but never add, edit or delete by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KiwoomCredential)
class KiwoomCredentialAdmin(ViewOnlyAdmin):
    """Operators see the masked key, fingerprint and token health; secrets are never shown or decrypted.

    View-only: keys are connected by their owner after Kiwoom checked them, and removed by the
    "revoke and disconnect" action, which revokes the token at Kiwoom first.
    """

    list_display = [
        "user",
        "mode",
        "masked_app_key",
        "fingerprint",
        "status",
        "token_expires_at",
        "last_refreshed_at",
        "last_refresh_outcome",
        "last_error_code",
    ]
    list_display_links = ["user", "masked_app_key"]
    list_filter = ["mode", "status", TokenExpiryFilter, "last_refresh_outcome", "last_error_code"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "app_key_suffix", "key_fingerprint"]
    ordering = ["token_expires_at"]
    fields = [
        "user",
        "mode",
        "masked_app_key",
        "key_fingerprint",
        "status",
        "token_expires_at",
        "last_refreshed_at",
        "last_refresh_attempt_at",
        "last_refresh_outcome",
        "last_error_code",
        "last_error_message",
        "last_error_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["refresh_token", "disconnect"]
    change_list_template = "admin/brokerage/kiwoomcredential/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*SECRET_FIELDS)

    def has_operate_permission(self, request):
        """Who may run the token actions: operators with the model's change permission."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")

    @admin.display(description=_("app key"))
    def masked_app_key(self, credential):
        return credential.masked_app_key

    @admin.display(description=_("fingerprint"), ordering="key_fingerprint")
    def fingerprint(self, credential):
        return f"…{key_fingerprint_suffix(credential.key_fingerprint)}"

    @admin.action(description=_("Refresh the access token now"), permissions=["operate"])
    def refresh_token(self, request, queryset):
        refreshed = 0
        for credential in queryset:
            try:
                token_renew(credential=credential)
            except ApplicationError as exc:
                self.message_user(
                    request,
                    _("%(credential)s: the token could not be refreshed: %(error)s")
                    % {"credential": credential, "error": getattr(exc, "detail", exc)},
                    messages.ERROR,
                )
                continue
            if credential.last_refresh_outcome == RefreshOutcome.SAME_TOKEN:
                self.message_user(
                    request,
                    _("%(credential)s: Kiwoom handed back the same token; it stays in use until it expires.")
                    % {"credential": credential},
                    messages.WARNING,
                )
                continue
            self.log_change(request, credential, _("Refreshed the access token."))
            refreshed += 1
        if refreshed:
            self.message_user(
                request,
                ngettext(
                    "Issued a new access token for %(count)d credential.",
                    "Issued new access tokens for %(count)d credentials.",
                    refreshed,
                )
                % {"count": refreshed},
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Revoke the token and disconnect (deletes the keys)"), permissions=["operate"]
    )
    def disconnect(self, request, queryset):
        disconnected = 0
        for credential in queryset.select_related("user"):
            try:
                services.credential_disconnect(user=credential.user, mode=credential.mode)
            except ApplicationError as exc:
                self.message_user(
                    request,
                    _("%(credential)s could not be disconnected: %(error)s")
                    % {"credential": credential, "error": getattr(exc, "detail", exc)},
                    messages.ERROR,
                )
                continue
            self.log_deletions(request, [credential])  # the entry names it by its masked key
            disconnected += 1
        if disconnected:
            self.message_user(
                request,
                ngettext(
                    "Revoked the token and deleted the keys of %(count)d credential.",
                    "Revoked the tokens and deleted the keys of %(count)d credentials.",
                    disconnected,
                )
                % {"count": disconnected},
                messages.SUCCESS,
            )


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
