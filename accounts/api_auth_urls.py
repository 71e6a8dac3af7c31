"""The browsable API's log-in and log-out through the site's own two-step login (DRF's skips the code)."""

from django.urls import path

from . import views

app_name = "rest_framework"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
