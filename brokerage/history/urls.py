"""This domain's API routes under /api/v1/kiwoom/."""

from brokerage.history.api import HistoryViewSet
from stocklab.api.routers import SingletonRouter

router = SingletonRouter()
router.register("kiwoom/history", HistoryViewSet, basename="kiwoom-history")

urlpatterns = router.urls
