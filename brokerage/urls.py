from stocklab.routers import ApiRouter, SingletonRouter

from .api import AccountViewSet, CredentialViewSet, OrderEntryViewSet, OrderViewSet

singletons = SingletonRouter()
singletons.register("kiwoom/credentials", CredentialViewSet, basename="kiwoom-credentials")
singletons.register("kiwoom/account", AccountViewSet, basename="kiwoom-account")
singletons.register("kiwoom/order", OrderEntryViewSet, basename="kiwoom-order")

collections = ApiRouter()
collections.register("kiwoom/orders", OrderViewSet, basename="kiwoom-orders")

urlpatterns = singletons.urls + collections.urls
