"""Users in the admin, with their Kiwoom connection and what operators allow them (TradingProfile)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_simplejwt.token_blacklist import admin as token_admin
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from brokerage import services
from brokerage.admin import SiteLimitsInHelpText
from brokerage.coordination import LockTimeout
from brokerage.models import CredentialStatus, KiwoomCredential, Mode, TradingProfile
from stocklab.errors import ApplicationError

from .models import User


class ConnectionFilter(admin.SimpleListFilter):
    title = _("Kiwoom connection")
    parameter_name = "kiwoom"

    def lookups(self, request, model_admin):
        return [("none", _("Not connected")), *CredentialStatus.choices]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(kiwoom_status__isnull=True)
        if self.value() in CredentialStatus.values:
            return queryset.filter(kiwoom_status=self.value())
        return queryset


class TradingProfileInline(SiteLimitsInHelpText, admin.StackedInline):
    model = TradingProfile
    can_delete = False
    max_num = 1
    fields = ["real_trading_enabled", "max_order_quantity", "max_order_value"]
    verbose_name = _("trading permissions and limits")
    verbose_name_plural = _("trading permissions and limits")


class KiwoomCredentialInline(admin.TabularInline):
    """The user's connections, view-only and without any secret (the columns are deferred)."""

    model = KiwoomCredential
    fields = ["mode", "masked_app_key", "status", "token_expires_at", "last_error_code"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("Kiwoom connection")
    verbose_name_plural = _("Kiwoom connections")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("app_key", "app_secret", "access_token")

    @admin.display(description=_("app key"))
    def masked_app_key(self, credential):
        return credential.masked_app_key

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "kiwoom_connection",
        "real_trading",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = [ConnectionFilter, "trading_profile__real_trading_enabled", *DjangoUserAdmin.list_filter]
    inlines = [TradingProfileInline, KiwoomCredentialInline]
    actions = ["enable_real_trading", "disable_real_trading", "disconnect_kiwoom"]

    def get_queryset(self, request):
        mock = KiwoomCredential.objects.filter(user=OuterRef("pk"), mode=Mode.MOCK)
        return (
            super()
            .get_queryset(request)
            .select_related("trading_profile")
            .annotate(kiwoom_status=Subquery(mock.values("status")[:1]))
        )

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(description=_("Kiwoom (mock)"), ordering="kiwoom_status")
    def kiwoom_connection(self, user):
        if user.kiwoom_status is None:
            return _("Not connected")
        return CredentialStatus(user.kiwoom_status).label

    @admin.display(description=_("real trading"), boolean=True)
    def real_trading(self, user):
        profile = getattr(user, "trading_profile", None)
        return bool(profile and profile.real_trading_enabled)

    def _set_real_trading(self, request, queryset, *, enabled: bool) -> int:
        # The same write the inline makes; permissions and limits are plain operator settings.
        for user in queryset:
            TradingProfile.objects.update_or_create(user=user, defaults={"real_trading_enabled": enabled})
            self.log_change(
                request,
                user,
                _("Enabled real trading.") if enabled else _("Disabled real trading."),
            )
        return len(queryset)

    @admin.action(description=_("Enable real trading"), permissions=["change"])
    def enable_real_trading(self, request, queryset):
        count = self._set_real_trading(request, queryset, enabled=True)
        self.message_user(
            request,
            ngettext(
                "Real trading enabled for %(count)d user.", "Real trading enabled for %(count)d users.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Disable real trading"), permissions=["change"])
    def disable_real_trading(self, request, queryset):
        count = self._set_real_trading(request, queryset, enabled=False)
        self.message_user(
            request,
            ngettext(
                "Real trading disabled for %(count)d user.",
                "Real trading disabled for %(count)d users.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke Kiwoom tokens and disconnect"), permissions=["change"])
    def disconnect_kiwoom(self, request, queryset):
        disconnected = 0
        for user in queryset:
            for mode in KiwoomCredential.objects.filter(user=user).values_list("mode", flat=True):
                try:
                    services.credential_disconnect(user=user, mode=mode)
                except (ApplicationError, LockTimeout) as exc:
                    self.message_user(request, f"{user}: {getattr(exc, 'detail', exc)}", messages.ERROR)
                    continue
                self.log_change(request, user, _("Revoked the Kiwoom token and deleted the keys."))
                disconnected += 1
        self.message_user(
            request,
            ngettext(
                "Disconnected %(count)d Kiwoom credential.",
                "Disconnected %(count)d Kiwoom credentials.",
                disconnected,
            )
            % {"count": disconnected},
            messages.SUCCESS,
        )


admin.site.unregister(OutstandingToken)


@admin.register(OutstandingToken)
class OutstandingTokenAdmin(token_admin.OutstandingTokenAdmin):
    """StockLab's refresh tokens: whose and until when, never the token itself (its reader could log in)."""

    exclude = ["token"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("token")

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "token"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)
