"""Sign-up, log-in, log-out and password-reset pages (session authentication); `services.user_create` makes
accounts."""

import base64
import math
import time

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, ListView

from stocklab.api.throttling import AuthRateThrottle
from stocklab.errors import InvalidInput

from . import services
from .errors import OtpAlreadyEnabled, OtpInvalid, OtpNotEnabled, OtpThrottled, UsernameTaken
from .forms import LoginForm, OtpForm, SignupForm
from .models import SecurityEvent

# The password step of a two-step login, waiting in the session for the code: whose, and until when.
PENDING_LOGIN_SESSION_KEY = "accounts_pending_login"
PENDING_LOGIN_SECONDS = 300


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
    """Django's login; for a user with two-step verification on, the password only opens the code step."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if services.totp_device_confirmed(user=user) is None:
            return super().form_valid(form)
        self.request.session[PENDING_LOGIN_SESSION_KEY] = {
            "user_id": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "until": time.time() + PENDING_LOGIN_SECONDS,
        }
        return redirect("login-otp")


class AdminLoginView(LoginView):
    """The admin's login door is the site's, leading back to the admin."""

    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("admin:index")


def _safe_next(request, candidate: str | None, default: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if candidate and allowed else default


class LoginOtpView(FormView):
    """The second step: the code from the authenticator app, after the password (or, for someone signed in
    before, to verify this session, as the admin asks of staff)."""

    template_name = "accounts/login_otp.html"
    form_class = OtpForm

    def dispatch(self, request, *args, **kwargs):
        self.user, self.next_url, self.pending = self._whose()
        if self.user is None:
            messages.info(request, _("Log in again: the code step waits five minutes at most."))
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def _whose(self):
        request = self.request
        default = reverse(settings.LOGIN_REDIRECT_URL)
        pending = request.session.get(PENDING_LOGIN_SESSION_KEY)
        if pending and pending["until"] > time.time():
            user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
            return user, _safe_next(request, pending["next"], default), pending
        user = request.user
        if user.is_authenticated and not user.is_verified() and services.totp_device_confirmed(user=user):
            return user, _safe_next(request, request.GET.get("next"), default), None
        return None, default, None

    def form_valid(self, form):
        request = self.request
        credentials = {"username": self.user.get_username()}
        if AxesProxyHandler.is_locked(request, credentials):
            return login_locked_out(request)
        try:
            device = services.otp_verify(user=self.user, token=form.cleaned_data["code"], request=request)
        except OtpInvalid as exc:
            form.add_error("code", exc.detail)
            return self.form_invalid(form)
        except OtpThrottled as exc:
            form.add_error("code", exc.detail)
            response = self.form_invalid(form)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except OtpNotEnabled:
            # The device was removed between the password and the code: log in again, without a code step.
            request.session.pop(PENDING_LOGIN_SESSION_KEY, None)
            messages.info(request, _("Two-step verification is off for this account now. Log in again."))
            return redirect("login")
        if self.pending is not None:
            del request.session[PENDING_LOGIN_SESSION_KEY]
            self.user.otp_device = device  # django-otp marks the session verified when login() sees it
            login(request, self.user, backend=self.pending["backend"])
        else:
            django_otp.login(request, device)
        return redirect(self.next_url)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        # Who asked is not known (the address may match no account): the event names no user and no address.
        services.security_event_record(
            action=SecurityEvent.Action.PASSWORD_RESET_REQUEST, request=self.request, username="?"
        )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and whoever proved they hold the account's mailbox may log in again at once: the lockout
    their wrong passwords earned from this address is lifted."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(ip=get_client_ip_address(self.request), username=form.user.get_username())
        services.security_event_record(
            action=SecurityEvent.Action.PASSWORD_RESET, user=form.user, request=self.request
        )
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        services.security_event_record(
            action=SecurityEvent.Action.PASSWORD_CHANGE, user=form.user, request=self.request
        )
        return response


class SecurityView(LoginRequiredMixin, View):
    """Two-step verification: set it up (QR code or the secret typed, then a code), or off (with a code)."""

    template_name = "accounts/security.html"

    def get(self, request, form=None, status=200):
        device = services.totp_device_confirmed(user=request.user)
        context = {
            "enabled": device is not None,
            "form": form or OtpForm(),
            "next": _safe_next(request, request.POST.get("next") or request.GET.get("next"), ""),
            "recent_events": SecurityEvent.objects.filter(user=request.user)[:5],
        }
        if device is None:
            setup = services.totp_device_start(user=request.user)
            secret = base64.b32encode(setup.bin_key).decode()
            context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        response = render(request, self.template_name, context, status=status)
        add_never_cache_headers(response)  # the page shows the secret while setting up
        return response

    def post(self, request):
        form = OtpForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        code = form.cleaned_data["code"]
        enabling = request.POST.get("intent") == "enable"
        try:
            if enabling:
                device = services.totp_device_confirm(user=request.user, token=code, request=request)
                django_otp.login(request, device)  # this session has just proved it holds the device
            else:
                services.totp_device_remove(user=request.user, token=code, request=request)
        except (OtpInvalid, OtpThrottled) as exc:
            form.add_error("code", exc.detail)
            return self.get(request, form=form, status=400)
        except (OtpAlreadyEnabled, OtpNotEnabled) as exc:
            # A second submit (another tab, a double click) of what the first did: show where it stands.
            messages.info(request, exc.detail)
            return redirect("security")
        if enabling:
            messages.success(request, _("Two-step verification is on. Logging in now asks for a code."))
            next_url = _safe_next(request, request.POST.get("next"), "")
            if next_url:
                return redirect(next_url)
        else:
            messages.success(request, _("Two-step verification is off."))
        return redirect("security")


class TotpQrCodeView(LoginRequiredMixin, View):
    """The QR code of the device being set up, drawn here (SVG): the secret never leaves for another site."""

    def get(self, request):
        try:
            device = services.totp_device_start(user=request.user)
        except OtpAlreadyEnabled:
            raise Http404 from None
        svg = segno.make(device.config_url, error="m").svg_inline(
            scale=5, border=2, dark="#111", light="#fff"
        )
        response = HttpResponse(svg, content_type="image/svg+xml")
        add_never_cache_headers(response)
        return response


class SecurityEventListView(LoginRequiredMixin, ListView):
    """The signed-in user's own security events, newest first."""

    template_name = "accounts/security_events.html"
    context_object_name = "events"
    paginate_by = 25

    def get_queryset(self):
        return SecurityEvent.objects.filter(user=self.request.user).order_by("-created_at", "-id")


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login on a page (web or admin): how long until it may try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked.html", {"cooloff_minutes": minutes}, status=429)
