from stocklab.api.routers import SingletonRouter

from .api import AuthViewSet, TokenViewSet

router = SingletonRouter()
router.register("auth/token", TokenViewSet, basename="token")
router.register("auth", AuthViewSet, basename="auth")

urlpatterns = router.urls
