"""Operators see each credential's live stream: which process holds it, its state, last event, reconnects."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brokerage.connections.admin import SECRET_FIELDS, ViewOnlyAdmin
from brokerage.live.models import StreamState
from brokerage.orders.services.book import kst_date


@admin.register(StreamState)
class StreamStateAdmin(ViewOnlyAdmin):
    list_display = [
        "credential",
        "state",
        "owner",
        "last_event_at",
        "connected_at",
        "reconnects",
        "reason",
        "last_error",
        "updated_at",
    ]
    list_filter = ["state", "credential__mode", "owner"]
    list_select_related = ["credential__user"]
    search_fields = ["credential__user__username", "owner"]
    fields = [field.name for field in StreamState._meta.fields]
    readonly_fields = fields

    def get_queryset(self, request):
        # The credential is shown by its name only: its secret columns are never loaded, so never decrypted.
        deferred = [f"credential__{name}" for name in SECRET_FIELDS]
        return super().get_queryset(request).select_related("credential__user").defer(*deferred)

    @admin.display(description=_("reconnects today"), ordering="reconnects_today")
    def reconnects(self, state):
        # The count is of `reconnects_day`: a stream that has not reconnected since yesterday has none today.
        return state.reconnects_today if state.reconnects_day == kst_date(timezone.now()) else 0
