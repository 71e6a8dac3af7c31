from brokerage.connections.api import CredentialViewSet
from stocklab.api.routers import SingletonRouter

router = SingletonRouter()
router.register("kiwoom/credentials", CredentialViewSet, basename="kiwoom-credentials")

urlpatterns = router.urls
