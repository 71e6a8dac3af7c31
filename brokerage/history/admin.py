"""Snapshots in the admin: read-only, for operators to see what the sweeps took and missed."""

from __future__ import annotations

from django.contrib import admin

from brokerage.history.models import AccountSnapshot, HoldingSnapshot, IndexDaily


class HoldingSnapshotInline(admin.TabularInline):
    model = HoldingSnapshot
    extra = 0
    can_delete = False
    fields = ["stock_code", "stock_name", "quantity", "average_price", "close", "previous_close"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AccountSnapshot)
class AccountSnapshotAdmin(admin.ModelAdmin):
    list_display = ["user", "mode", "date", "kind", "status", "estimated_assets", "net_flow", "taken_at"]
    list_filter = ["kind", "status", "mode", "date"]
    search_fields = ["user__username", "user__email"]
    date_hierarchy = "date"
    list_select_related = ["user"]
    raw_id_fields = ["user", "credential"]
    inlines = [HoldingSnapshotInline]
    readonly_fields = [
        "user",
        "credential",
        "mode",
        "date",
        "kind",
        "status",
        "taken_at",
        "estimated_assets",
        "deposit",
        "orderable_cash",
        "settlement_deposit",
        "holdings_value",
        "cost_basis",
        "unrealized_pnl",
        "net_flow",
        "note",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IndexDaily)
class IndexDailyAdmin(admin.ModelAdmin):
    list_display = ["index_code", "date", "close", "fetched_at"]
    list_filter = ["index_code"]
    date_hierarchy = "date"
