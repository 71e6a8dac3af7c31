"""Sign-up, log-in, log-out and password-reset pages (session authentication); `services.user_create` makes
accounts."""

import math

from axes.helpers import get_client_ip_address
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import FormView

from stocklab.api.throttling import AuthRateThrottle
from stocklab.errors import InvalidInput

from . import services
from .errors import UsernameTaken
from .forms import LoginForm, SignupForm


class SignupView(FormView):
    template_name = "accounts/signup.html"
    form_class = SignupForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        # The API's sign-up limit, per client IP: the page is another door to the same thing.
        throttle = AuthRateThrottle()
        if not throttle.allow_request(request, self):
            form = self.get_form()
            wait = math.ceil(throttle.wait() or 1)
            form.add_error(
                None,
                ngettext(
                    "Too many sign-ups from your network. Try again in %(seconds)d second.",
                    "Too many sign-ups from your network. Try again in %(seconds)d seconds.",
                    wait,
                )
                % {"seconds": wait},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"], email=data["email"], password=data["password1"]
            )
        except UsernameTaken as exc:
            form.add_error("username", exc.detail)
            return self.form_invalid(form)
        except InvalidInput as exc:
            form.add_service_errors(exc.extra.get("errors", {"non_field_errors": [exc.detail]}))
            return self.form_invalid(form)
        # The password was just set here: no need to check it again through every backend (axes first).
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, _("Welcome to StockLab, %(name)s.") % {"name": user.username})
        return redirect("home")

    def form_invalid(self, form):
        form.focus_first_error()
        return super().form_invalid(form)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and whoever proved they hold the account's mailbox may log in again at once: the lockout
    their wrong passwords earned from this address is lifted."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(ip=get_client_ip_address(self.request), username=form.user.get_username())
        return response


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login on a page (web or admin): how long until it may try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked.html", {"cooloff_minutes": minutes}, status=429)
