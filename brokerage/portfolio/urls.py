from brokerage.portfolio.api import AccountViewSet
from stocklab.api.routers import SingletonRouter

router = SingletonRouter()
router.register("kiwoom/account", AccountViewSet, basename="kiwoom-account")

urlpatterns = router.urls
