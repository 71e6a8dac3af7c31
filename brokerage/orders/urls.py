from brokerage.orders.api import AccountFillsViewSet, OrderEntryViewSet, OrderViewSet
from stocklab.api.routers import ApiRouter, SingletonRouter

singletons = SingletonRouter()
singletons.register("kiwoom/order", OrderEntryViewSet, basename="kiwoom-order")
# Today's fills sit beside the balance (portfolio's) under /kiwoom/account/, as the prototype calls them.
singletons.register("kiwoom/account", AccountFillsViewSet, basename="kiwoom-account")

collections = ApiRouter()
collections.register("kiwoom/orders", OrderViewSet, basename="kiwoom-orders")

urlpatterns = singletons.urls + collections.urls
