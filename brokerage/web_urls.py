from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("balance/", views.balance, name="balance"),
    path("order/", views.order_ticket, name="order-ticket"),
    path("orders/", views.orders, name="orders"),
]
