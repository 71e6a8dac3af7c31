"""The operators' view of the stock master (searchable by code, name or 초성) and of users' 관심종목."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from brokerage.market.models import Stock, Watchlist, WatchlistItem
from brokerage.market.search import stock_master_changed


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "market", "warning_list", "nxt_enabled", "is_listed", "updated_at"]
    list_filter = ["market", "nxt_enabled", "is_listed"]
    # 초성 too: an operator types ㅅㅅㅈㅈ as a user would.
    search_fields = ["code", "name", "search_key"]
    ordering = ["code"]
    readonly_fields = ["search_key", "updated_at"]
    list_per_page = 100

    @admin.display(description=_("warnings"))
    def warning_list(self, stock: Stock) -> str:
        return ", ".join(stock.warning_labels)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        stock_master_changed()  # every process's search copy reloads within a second

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        stock_master_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        stock_master_changed()


class WatchlistItemInline(admin.TabularInline):
    model = WatchlistItem
    extra = 0
    fields = ["stock_code", "position", "added_at"]
    readonly_fields = ["added_at"]
    ordering = ["position", "id"]


@admin.register(Watchlist)
class WatchlistAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "position", "item_count", "created_at"]
    search_fields = ["name", "user__username", "user__email"]
    raw_id_fields = ["user"]
    inlines = [WatchlistItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").annotate(item_count=Count("items"))

    @admin.display(description=_("stocks"), ordering="item_count")
    def item_count(self, watchlist: Watchlist) -> int:
        return watchlist.item_count
