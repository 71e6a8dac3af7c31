"""This domain's pages."""

from django.urls import path, re_path

from brokerage import kiwoom
from brokerage.market import views

urlpatterns = [
    re_path(
        rf"^stocks/(?P<stock_code>{kiwoom.STOCK_CODE_PATTERN})/$", views.stock_detail, name="stock-detail"
    ),
    path("watchlist/", views.watchlist, name="watchlist"),
]
