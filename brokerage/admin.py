"""The operators' side of brokerage: each domain's admin, and the users' list with their Kiwoom columns.

`accounts` knows nothing of brokers; its user admin is extended here, where both domains are in view.
"""

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import admin as accounts_admin
from accounts.models import SecurityEvent, User
from brokerage.connections.admin import ConnectionFilter, KiwoomCredentialInline, admin_action_record
from brokerage.connections.models import CredentialStatus, KiwoomCredential, Mode
from brokerage.connections.services import credential_disconnect
from brokerage.history import admin as history_admin  # noqa: F401  (registers the snapshots' admin)
from brokerage.live import admin as live_admin  # noqa: F401  (registers the streams' admin)
from brokerage.market import admin as market_admin  # noqa: F401  (registers the stock master's admin)
from brokerage.orders.admin import TradingProfileInline
from brokerage.orders.models import TradingProfile
from stocklab.errors import ApplicationError

admin.site.site_header = _("StockLab operations")
admin.site.site_title = _("StockLab operations")
admin.site.index_title = _("Users, Kiwoom connections, orders and schedules")

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(accounts_admin.UserAdmin):
    list_display = [
        "username",
        "email",
        "kiwoom_connection",
        "real_trading",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = [
        ConnectionFilter,
        "trading_profile__real_trading_enabled",
        *accounts_admin.UserAdmin.list_filter,
    ]
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

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for profile_form in formset.forms:
            profile = profile_form.instance
            if isinstance(profile, TradingProfile) and "real_trading_enabled" in profile_form.changed_data:
                admin_action_record(
                    request,
                    operation="enable_real_trading"
                    if profile.real_trading_enabled
                    else "disable_real_trading",
                    target_user_id=profile.user_id,
                )

    def _set_real_trading(self, request, queryset, *, enabled: bool) -> int:
        # The same write the inline makes; permissions and limits are plain operator settings.
        for user in queryset:
            TradingProfile.objects.update_or_create(user=user, defaults={"real_trading_enabled": enabled})
            admin_action_record(
                request,
                operation="enable_real_trading" if enabled else "disable_real_trading",
                target_user_id=user.pk,
            )
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
                about = {"target_user_id": user.pk, "mode": mode}
                try:
                    credential_disconnect(user=user, mode=mode)
                except ApplicationError as exc:
                    admin_action_record(
                        request,
                        operation="disconnect",
                        outcome=SecurityEvent.Outcome.FAILURE,
                        code=exc.code,
                        **about,
                    )
                    self.message_user(request, f"{user}: {getattr(exc, 'detail', exc)}", messages.ERROR)
                    continue
                admin_action_record(request, operation="disconnect", **about)
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
