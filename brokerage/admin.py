from django.contrib import admin

from .models import KiwoomCredential, Order


@admin.register(KiwoomCredential)
class KiwoomCredentialAdmin(admin.ModelAdmin):
    """Operators see the masked key, fingerprint and token health; secrets are never shown or decrypted."""

    list_display = ["user", "mode", "masked_app_key", "status", "token_expires_at", "last_error_code"]
    list_filter = ["mode", "status"]
    search_fields = ["user__username", "user__email", "app_key_suffix", "key_fingerprint"]
    fields = [
        "user",
        "mode",
        "masked_app_key",
        "key_fingerprint",
        "status",
        "token_expires_at",
        "last_refreshed_at",
        "last_error_code",
        "last_error_message",
        "last_error_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # keys are connected by their owner, after Kiwoom has checked them


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "side", "stock_code", "quantity", "trade_type", "price", "status"]
    list_filter = ["status", "side", "mode", "created_at"]
    search_fields = ["user__username", "stock_code", "kiwoom_order_number"]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
