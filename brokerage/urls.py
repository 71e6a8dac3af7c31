"""The API under /api/v1/kiwoom/, each domain's routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("brokerage.connections.urls")),
    path("", include("brokerage.portfolio.urls")),
    path("", include("brokerage.market.urls")),
    path("", include("brokerage.orders.urls")),
    path("", include("brokerage.live.urls")),
    path("", include("brokerage.history.urls")),
]
