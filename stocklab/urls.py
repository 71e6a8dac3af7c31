from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from stocklab.api.views import ApiRootView, FaviconView

urlpatterns = [
    path("favicon.ico", FaviconView.as_view()),
    path("admin/", admin.site.urls),
    path("api/v1/", ApiRootView.as_view(), name="api-root"),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("brokerage.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("accounts.api_auth_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # The website: server-rendered pages that call the API above with the session.
    path("accounts/", include("accounts.web_urls")),
    path("", include("brokerage.web_urls")),
]

handler400 = "stocklab.api.errors.bad_request"
handler404 = "stocklab.api.errors.page_not_found"
handler500 = "stocklab.api.errors.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
