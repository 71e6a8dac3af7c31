from stocklab.routers import SingletonRouter

from .api import AccountViewSet, CredentialViewSet, OrderEntryViewSet

singletons = SingletonRouter()
singletons.register("kiwoom/credentials", CredentialViewSet, basename="kiwoom-credentials")
singletons.register("kiwoom/account", AccountViewSet, basename="kiwoom-account")
singletons.register("kiwoom/order", OrderEntryViewSet, basename="kiwoom-order")

urlpatterns = singletons.urls
