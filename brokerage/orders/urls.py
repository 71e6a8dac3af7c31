from brokerage.orders.api import AccountFillsViewSet, OrderEntryViewSet, OrderViewSet
from brokerage.orders.position_api import StockPositionViewSet
from stocklab.api.routers import ApiRouter, SingletonRouter

singletons = SingletonRouter()
singletons.register("kiwoom/order", OrderEntryViewSet, basename="kiwoom-order")
# Today's fills sit beside the balance (portfolio's) under /kiwoom/account/, as the prototype calls them.
singletons.register("kiwoom/account", AccountFillsViewSet, basename="kiwoom-account")

collections = ApiRouter()
collections.register("kiwoom/orders", OrderViewSet, basename="kiwoom-orders")
# A stock page's position beside the market's stocks/{code}/... (issue 15): the market may not read orders.
collections.register("kiwoom/stocks", StockPositionViewSet, basename="kiwoom-stock-position")

urlpatterns = singletons.urls + collections.urls
