"""Site-wide views: the API's entry page, and the favicon where browsers look for it."""

from django.templatetags.static import static
from django.views.generic import RedirectView
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView


class ApiRootView(APIRootView):
    """The browsable API's front page: a link to every collection and action (anyone may look)."""

    permission_classes = [AllowAny]
    schema = None  # not an endpoint of the API itself
    api_root_dict = {
        "signup": "auth-signup",
        "token": "token",
        "token_refresh": "token-refresh",
        "token_verify": "token-verify",
        "me": "auth-me",
        "credentials": "kiwoom-credentials",
        "credentials_status": "kiwoom-credentials-status",
        "balance": "kiwoom-account-balance",
        "fills": "kiwoom-account-fills",
        "buy": "kiwoom-order-buy",
        "sell": "kiwoom-order-sell",
        "orders": "kiwoom-orders-list",
    }


class FaviconView(RedirectView):
    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("img/favicon.svg")
