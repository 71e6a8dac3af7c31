"""Users in the admin, and their refresh tokens (never the token itself). Brokerage adds its own columns."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from rest_framework_simplejwt.token_blacklist import admin as token_admin
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "date_joined"]


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
