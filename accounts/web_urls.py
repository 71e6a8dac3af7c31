from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.LoginOtpView.as_view(), name="login-otp"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    # Two-step verification, and the user's own security events.
    path("security/", views.SecurityView.as_view(), name="security"),
    path("security/qr.svg", views.TotpQrCodeView.as_view(), name="security-totp-qr"),
    path("security/events/", views.SecurityEventListView.as_view(), name="security-events"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    # Password reset by e-mail: Django's views, with the templates in templates/registration/.
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
