from django.urls import include, path

from brokerage import views
from brokerage.orders import views as order_views
from brokerage.portfolio import views as portfolio_views

urlpatterns = [
    path("", views.home, name="home"),
    path("balance/", portfolio_views.balance, name="balance"),
    path("order/", order_views.order_ticket, name="order-ticket"),
    path("orders/", order_views.orders, name="orders"),
    path("", include("brokerage.market.web_urls")),
    path("", include("brokerage.history.web_urls")),
    path("", include("brokerage.live.web_urls")),
]
