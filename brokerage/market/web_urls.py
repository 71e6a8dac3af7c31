"""This domain's pages."""

from django.urls import path, re_path

from brokerage.market import views

urlpatterns = [
    re_path(r"^stocks/(?P<stock_code>[0-9]{6})/$", views.stock_detail, name="stock-detail"),
    path("watchlist/", views.watchlist, name="watchlist"),
]
