"""Users in the admin, and their refresh tokens (never the token itself). Brokerage adds its own columns."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from rest_framework_simplejwt.token_blacklist import admin as token_admin
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from .models import SecurityEvent, User
from .services import security_event_record


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "date_joined"]

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            security_event_record(
                action=SecurityEvent.Action.PASSWORD_CHANGE,
                user=self.get_object(request, id),
                request=request,
                details={"by": "operator", "operator_id": request.user.pk},
            )
        return response


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


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only: nobody adds, changes or deletes an event, not even a superuser."""

    list_display = ["created_at", "action", "outcome", "username", "ip_address", "request_id"]
    list_filter = ["action", "outcome", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["username", "ip_address", "request_id"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [field.name for field in SecurityEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
