"""Kiwoom credentials in the admin: masked keys, token health, refresh and disconnect."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from brokerage.connections.models import (
    CredentialStatus,
    KiwoomCredential,
    RefreshOutcome,
    key_fingerprint_suffix,
)
from brokerage.connections.services import credential_disconnect
from brokerage.connections.services.tokens import token_renew
from stocklab.errors import ApplicationError

SECRET_FIELDS = ("app_key", "app_secret", "access_token")


def admin_action_record(
    request: HttpRequest,
    *,
    operation: str,
    outcome: SecurityEvent.Outcome = SecurityEvent.Outcome.SUCCESS,
    **details: Any,
) -> None:
    """An operator's action in the audit trail, once its writes are committed: the signed-in operator, the
    action's name (`operation`) and what it was done to (ids, never a secret)."""
    transaction.on_commit(
        partial(
            security_event_record,
            action=SecurityEvent.Action.ADMIN_ACTION,
            request=request,
            outcome=outcome,
            details={"operation": operation, **details},
        )
    )


def _about(credential: KiwoomCredential) -> dict[str, Any]:
    return {"credential_id": credential.pk, "target_user_id": credential.user_id, "mode": credential.mode}


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
                admin_action_record(
                    request,
                    operation="refresh_token",
                    outcome=SecurityEvent.Outcome.FAILURE,
                    code=exc.code,
                    **_about(credential),
                )
                self.message_user(
                    request,
                    _("%(credential)s: the token could not be refreshed: %(error)s")
                    % {"credential": credential, "error": getattr(exc, "detail", exc)},
                    messages.ERROR,
                )
                continue
            admin_action_record(
                request,
                operation="refresh_token",
                refresh_outcome=credential.last_refresh_outcome,
                **_about(credential),
            )
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
                credential_disconnect(user=credential.user, mode=credential.mode)
            except ApplicationError as exc:
                admin_action_record(
                    request,
                    operation="disconnect",
                    outcome=SecurityEvent.Outcome.FAILURE,
                    code=exc.code,
                    **_about(credential),
                )
                self.message_user(
                    request,
                    _("%(credential)s could not be disconnected: %(error)s")
                    % {"credential": credential, "error": getattr(exc, "detail", exc)},
                    messages.ERROR,
                )
                continue
            admin_action_record(request, operation="disconnect", **_about(credential))
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
