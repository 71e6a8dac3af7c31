from brokerage.connections.api import CredentialViewSet
from stocklab.routers import SingletonRouter

router = SingletonRouter()
router.register("kiwoom/credentials", CredentialViewSet, basename="kiwoom-credentials")

urlpatterns = router.urls
