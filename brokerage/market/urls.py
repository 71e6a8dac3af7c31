from brokerage.market.api import MarketViewSet, StockViewSet, WatchlistViewSet
from stocklab.api.routers import ApiRouter, SingletonRouter

singletons = SingletonRouter()
singletons.register("kiwoom/market", MarketViewSet, basename="kiwoom-market")

collections = ApiRouter()
collections.register("kiwoom/stocks", StockViewSet, basename="kiwoom-stocks")
collections.register("kiwoom/watchlists", WatchlistViewSet, basename="kiwoom-watchlists")

urlpatterns = singletons.urls + collections.urls
