"""The admin site: staff sign in through the site's own two-step login, and the admin opens only to staff who
passed a second factor in this session (staff without one are sent to set it up first)."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Sections whose app has no verbose name of its own (the admin would show "OTP_TOTP").
APP_NAMES = {"otp_totp": gettext_lazy("Two-step verification")}


class StockLabAdminSite(admin.AdminSite):
    def _build_app_dict(self, request, label=None):
        apps = super()._build_app_dict(request, label)
        for app in [apps] if label else apps.values():
            if app and app["app_label"] in APP_NAMES:
                app["name"] = str(APP_NAMES[app["app_label"]])
        return apps

    def has_permission(self, request):
        verified = request.user.is_verified() or not settings.ADMIN_REQUIRES_SECOND_FACTOR
        return super().has_permission(request) and verified

    def login(self, request, extra_context=None):
        from .views import AdminLoginView

        return AdminLoginView.as_view()(request)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def second_factor_first(request, *args, **kwargs):
            user = request.user
            leaving = request.path == reverse("admin:logout", current_app=self.name)
            required = settings.ADMIN_REQUIRES_SECOND_FACTOR and not leaving
            if required and user.is_active and user.is_staff and not user.is_verified():
                return self._second_factor_redirect(request)
            return inner(request, *args, **kwargs)

        return second_factor_first

    def _second_factor_redirect(self, request):
        from .services import totp_device_confirmed

        query = "?" + urlencode({"next": request.get_full_path()})
        if totp_device_confirmed(user=request.user) is not None:
            return redirect(reverse("login-otp") + query)
        messages.warning(
            request, _("Set up two-step verification first: the admin opens only to staff who use it.")
        )
        return redirect(reverse("security") + query)
