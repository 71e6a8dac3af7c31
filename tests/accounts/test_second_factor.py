"""Two-step verification (TOTP): turned on and off from the security page, asked after the password on the
web and by the API's token endpoint, required of staff before the admin opens, and wrong codes refused and
counted toward the lockout."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import SecurityEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset_steps * device.step
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"


@pytest.fixture
def device(user):
    device = services.totp_device_start(user=user)
    device.confirmed = True
    device.save()
    return device


@pytest.fixture
def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def web_login(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


class TestSecurityPage:
    def test_turning_it_on_takes_a_code_from_the_key_shown(self, signed_in, user):
        page = signed_in.get(reverse("security"))
        qr = signed_in.get(reverse("security-totp-qr"))
        secret = page.context["secret"].replace(" ", "")
        pending = TOTPDevice.objects.get(user=user, confirmed=False)

        response = signed_in.post(reverse("security"), {"intent": "enable", "code": code_for(pending)})

        assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<svg")
        assert "no-store" in qr["Cache-Control"] and "no-store" in page["Cache-Control"]
        assert len(secret) == 32  # the 20-byte key in base32, for typing instead of scanning
        assert response.status_code == 302
        assert services.totp_device_confirmed(user=user) == pending
        assert SecurityEvent.objects.filter(user=user, action=SecurityEvent.Action.OTP_ENABLE).exists()

    def test_a_wrong_code_leaves_it_off(self, signed_in, user):
        signed_in.get(reverse("security"))
        pending = TOTPDevice.objects.get(user=user, confirmed=False)

        response = signed_in.post(reverse("security"), {"intent": "enable", "code": wrong_code(pending)})

        assert response.status_code == 400
        assert services.totp_device_confirmed(user=user) is None
        assert SecurityEvent.objects.filter(
            user=user, action=SecurityEvent.Action.OTP_ENABLE, outcome=SecurityEvent.Outcome.FAILURE
        ).exists()

    def test_turning_it_off_takes_a_current_code(self, signed_in, user, device):
        refused = signed_in.post(reverse("security"), {"intent": "disable", "code": wrong_code(device)})
        with time_machine.travel(timezone.now() + timezone.timedelta(seconds=5)):
            accepted = signed_in.post(reverse("security"), {"intent": "disable", "code": code_for(device)})

        assert refused.status_code == 400
        assert accepted.status_code == 302
        assert not TOTPDevice.objects.filter(user=user).exists()
        assert SecurityEvent.objects.filter(user=user, action=SecurityEvent.Action.OTP_DISABLE).count() == 2

    def test_a_second_submit_of_either_says_where_it_stands(self, signed_in, user, device):
        enable_again = signed_in.post(reverse("security"), {"intent": "enable", "code": code_for(device)})
        TOTPDevice.objects.filter(user=user).delete()
        disable_again = signed_in.post(reverse("security"), {"intent": "disable", "code": "123456"})

        assert (enable_again.status_code, enable_again["Location"]) == (302, reverse("security"))
        assert (disable_again.status_code, disable_again["Location"]) == (302, reverse("security"))

    def test_the_admin_never_shows_a_device_s_secret(self, user, device):
        operator = UserFactory(is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(operator)

        pages = [
            client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/"),
            client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/"),
        ]

        assert pages[0].status_code == 200
        for page in pages:
            assert device.key not in page.content.decode()

    def test_the_pages_need_a_signed_in_user(self):
        assert Client().get(reverse("security")).status_code == 302
        assert Client().get(reverse("security-totp-qr")).status_code == 302


class TestWebLogin:
    def test_the_password_alone_does_not_log_in_a_user_with_a_device(self, user, device):
        client = Client()

        response = web_login(client, user.username)

        assert response.status_code == 302 and response.url == reverse("login-otp")
        assert "_auth_user_id" not in client.session
        assert client.get(reverse("security")).status_code == 302  # still signed out

    def test_the_code_after_the_password_logs_in(self, user, device):
        client = Client()
        web_login(client, user.username)

        response = client.post(reverse("login-otp"), {"code": code_for(device)})

        assert response.status_code == 302 and response.url == reverse("home")
        assert client.session["_auth_user_id"] == str(user.pk)
        event = SecurityEvent.objects.get(user=user, action=SecurityEvent.Action.SIGN_IN)
        assert event.details == {"channel": "web", "second_factor": True}

    def test_a_wrong_code_is_refused_and_recorded(self, user, device):
        client = Client()
        web_login(client, user.username)

        response = client.post(reverse("login-otp"), {"code": wrong_code(device)})

        assert response.status_code == 200
        assert response.context["form"].errors["code"]
        assert "_auth_user_id" not in client.session
        assert SecurityEvent.objects.filter(
            user=user, action=SecurityEvent.Action.OTP_VERIFY, outcome=SecurityEvent.Outcome.FAILURE
        ).exists()

    def test_a_code_cannot_be_used_twice(self, user, device):
        code = code_for(device)
        first, second = Client(), Client()
        web_login(first, user.username)
        web_login(second, user.username)

        assert first.post(reverse("login-otp"), {"code": code}).status_code == 302
        with time_machine.travel(timezone.now() + timezone.timedelta(seconds=2)):
            assert second.post(reverse("login-otp"), {"code": code}).status_code == 200

    def test_a_device_removed_between_the_two_steps_sends_back_to_login(self, user, device):
        client = Client()
        web_login(client, user.username)
        TOTPDevice.objects.filter(user=user).delete()

        response = client.post(reverse("login-otp"), {"code": "123456"})

        assert (response.status_code, response["Location"]) == (302, reverse("login"))

    def test_the_code_step_without_a_password_first_goes_back_to_login(self):
        assert Client().post(reverse("login-otp"), {"code": "123456"}).url == reverse("login")

    def test_a_user_without_a_device_logs_in_with_the_password(self, user):
        client = Client()
        assert web_login(client, user.username).url == reverse("home")


class TestLockout:
    """Wrong codes count twice: the device's own doubling delay, and django-axes' failed logins."""

    def test_wrong_codes_lock_the_username_out_like_wrong_passwords(self, user, device, settings):
        settings.AXES_FAILURE_LIMIT = 3
        settings.OTP_TOTP_THROTTLE_FACTOR = 0  # only the lockout is under test here
        client = Client()
        web_login(client, user.username)
        answers = [
            client.post(reverse("login-otp"), {"code": wrong_code(device)}).status_code for _ in range(3)
        ]

        right = client.post(reverse("login-otp"), {"code": code_for(device)})

        assert answers == [200, 200, 429]
        assert right.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_after_a_wrong_code_the_device_waits_before_the_next(self, user, device):
        client = Client()
        web_login(client, user.username)
        client.post(reverse("login-otp"), {"code": wrong_code(device)})

        too_soon = client.post(reverse("login-otp"), {"code": code_for(device)})
        with time_machine.travel(timezone.now() + timezone.timedelta(seconds=2)):
            later = client.post(reverse("login-otp"), {"code": code_for(device)})

        assert too_soon.status_code == 200 and int(too_soon["Retry-After"]) >= 1
        assert later.status_code == 302


class TestAdmin:
    @pytest.fixture(autouse=True)
    def required(self, settings):
        settings.ADMIN_REQUIRES_SECOND_FACTOR = True

    def test_staff_without_a_device_are_sent_to_set_one_up(self):
        staff = UserFactory(is_staff=True, is_superuser=True)
        client = Client()
        web_login(client, staff.username)

        response = client.get("/admin/")

        assert response.status_code == 302
        assert response.url == reverse("security") + "?next=%2Fadmin%2F"

    def test_setting_it_up_in_the_browser_opens_the_admin(self):
        staff = UserFactory(is_staff=True, is_superuser=True)
        client = Client()
        web_login(client, staff.username)
        client.get(reverse("security") + "?next=/admin/")
        pending = TOTPDevice.objects.get(user=staff)

        enabled = client.post(
            reverse("security"), {"intent": "enable", "code": code_for(pending), "next": "/admin/"}
        )

        assert enabled.url == "/admin/"
        assert client.get("/admin/").status_code == 200

    def test_staff_with_a_device_log_in_through_the_admin_door_with_the_code(self):
        staff = UserFactory(is_staff=True, is_superuser=True)
        staff_device = services.totp_device_start(user=staff)
        staff_device.confirmed = True
        staff_device.save()
        client = Client()

        password_step = client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
        code_step = client.post(reverse("login-otp"), {"code": code_for(staff_device)})

        assert password_step.url == reverse("login-otp")
        assert code_step.url == "/admin/"
        assert client.get("/admin/").status_code == 200

    def test_a_session_signed_in_without_the_code_is_asked_for_it(self):
        staff = UserFactory(is_staff=True, is_superuser=True)
        staff_device = services.totp_device_start(user=staff)
        staff_device.confirmed = True
        staff_device.save()
        client = Client()
        client.force_login(staff)

        asked = client.get("/admin/accounts/user/")
        verified = client.post(asked.url, {"code": code_for(staff_device)})

        assert asked.url.startswith(reverse("login-otp"))
        assert verified.url == "/admin/accounts/user/"
        assert client.get("/admin/accounts/user/").status_code == 200

    def test_the_browsable_apis_login_asks_for_the_code_too(self, user, device):
        client = Client()
        response = client.post("/api-auth/login/", {"username": user.username, "password": PASSWORD})

        assert response.url == reverse("login-otp")
        assert "_auth_user_id" not in client.session


class TestApiToken:
    def obtain(self, api, user, **extra):
        return api.post(
            "/api/v1/auth/token", {"username": user.username, "password": PASSWORD, **extra}, format="json"
        )

    def test_without_the_code_it_is_otp_required_and_no_token(self, api, user, device):
        response = self.obtain(api, user)

        assert response.status_code == 401
        assert response.json()["code"] == "otp_required"
        assert "access" not in response.json()

    def test_a_wrong_code_is_otp_invalid(self, api, user, device):
        response = self.obtain(api, user, otp=wrong_code(device))

        assert response.status_code == 401
        assert response.json()["code"] == "otp_invalid"
        assert SecurityEvent.objects.filter(
            user=user, action=SecurityEvent.Action.OTP_VERIFY, outcome=SecurityEvent.Outcome.FAILURE
        ).exists()

    def test_the_right_code_buys_the_pair(self, api, user, device):
        response = self.obtain(api, user, otp=code_for(device))

        assert response.status_code == 200
        assert set(response.json()) == {"access", "refresh"}
        event = SecurityEvent.objects.get(user=user, action=SecurityEvent.Action.SIGN_IN)
        assert event.details == {"channel": "api", "second_factor": True}

    def test_a_wrong_password_with_a_right_code_is_still_refused(self, api, user, device):
        response = api.post(
            "/api/v1/auth/token",
            {"username": user.username, "password": "wrong", "otp": code_for(device)},
            format="json",
        )

        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"

    def test_wrong_codes_reach_the_lockout(self, api, user, device, settings):
        settings.AXES_FAILURE_LIMIT = 2
        settings.OTP_TOTP_THROTTLE_FACTOR = 0
        answers = [self.obtain(api, user, otp=wrong_code(device)).json()["code"] for _ in range(3)]

        assert answers == ["otp_invalid", "login_locked_out", "login_locked_out"]

    def test_the_device_throttle_answers_429_with_retry_after(self, api, user, device):
        self.obtain(api, user, otp=wrong_code(device))

        response = self.obtain(api, user, otp=code_for(device))

        assert response.status_code == 429
        assert response.json()["code"] == "otp_throttled"
        wait = int(response["Retry-After"])
        assert wait >= 1
        assert f"{wait}" in response.json()["detail"]  # the person is told how long, not only a script

    def test_the_schema_documents_the_otp_field_and_codes(self, api):
        schema = api.get("/api/schema/?format=json").json()
        operation = schema["paths"]["/api/v1/auth/token"]["post"]

        request_schema = schema["components"]["schemas"]["TokenObtainPairRequest"]
        assert "otp" in request_schema["properties"]
        assert "otp" not in request_schema.get("required", [])
        assert re.search("otp_required.*otp_invalid", operation["responses"]["401"]["description"])
        assert "otp_throttled" in operation["responses"]["429"]["description"]
