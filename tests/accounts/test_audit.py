"""The audit trail: what is recorded on every door, that no secret enters it, that it is append-only, and
that its owner (only) sees it."""

import pytest
from django.contrib.admin.sites import site
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
Action, Outcome = SecurityEvent.Action, SecurityEvent.Outcome


class TestNoSecretEver:
    @pytest.mark.parametrize(
        "key",
        [
            "password",
            "new_password1",
            "app_secret",
            "app_key",
            "appkey",
            "refresh_token",
            "access",
            "otp",
            "otp_code",
            "Authorization",
            "api_key",
            "session_key",
            "client_secret",
        ],
    )
    def test_a_secret_named_key_is_dropped_and_named(self, user, key):
        details = {key: "hunter2-value", "order_id": 7}
        if key == "access":
            details[key] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"

        event = security_event_record(action=Action.SIGN_IN, user=user, details=details)
        event.refresh_from_db()

        assert "hunter2-value" not in str(event.details)
        assert "eyJ" not in str(event.details)
        assert event.details["order_id"] == 7
        assert event.details["redacted_keys"] == [key]

    def test_nested_secrets_are_dropped_too_and_fingerprints_kept(self, user):
        event = security_event_record(
            action=Action.CREDENTIAL_CONNECT,
            user=user,
            details={"app_key_fingerprint": "ab12cd", "kiwoom": {"token": "t0k3n", "code": "RC0000"}},
        )

        assert event.details["app_key_fingerprint"] == "ab12cd"
        assert event.details["kiwoom"] == {"code": "RC0000"}
        assert event.details["redacted_keys"] == ["kiwoom.token"]

    def test_a_failed_web_sign_in_keeps_no_password(self, user):
        Client().post(reverse("login"), {"username": user.username, "password": "my-secret-guess"})

        event = SecurityEvent.objects.get(action=Action.SIGN_IN, outcome=Outcome.FAILURE)
        assert "my-secret-guess" not in str(event.details) + event.username
        assert (event.user, event.username, event.details["channel"]) == (user, user.username, "web")

    def test_an_unknown_action_is_refused(self, user):
        with pytest.raises(ValueError):
            security_event_record(action="account.made_up", user=user)


class TestRecorded:
    def test_web_sign_in_and_sign_out(self, user):
        client = Client(REMOTE_ADDR="203.0.113.9")
        login = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        client.post(reverse("logout"))

        sign_in, sign_out = SecurityEvent.objects.filter(user=user).order_by("id")
        assert (sign_in.action, sign_in.outcome, sign_in.ip_address) == (
            Action.SIGN_IN,
            Outcome.SUCCESS,
            "203.0.113.9",
        )
        assert sign_in.request_id == login["X-Request-ID"]
        assert sign_out.action == Action.SIGN_OUT

    def test_admin_door_and_api_token_failures_say_their_channel(self, api, user):
        Client().post("/admin/login/", {"username": user.username, "password": "wrong"})
        api.post("/api/v1/auth/token", {"username": user.username, "password": "wrong"}, format="json")
        api.post("/api/v1/auth/token", {"username": "nobody", "password": "wrong"}, format="json")

        failures = SecurityEvent.objects.filter(outcome=Outcome.FAILURE).order_by("id")
        assert [(e.details["channel"], e.username, e.user) for e in failures] == [
            ("admin", user.username, user),
            ("api", user.username, user),
            ("api", "nobody", None),
        ]

    def test_an_api_token_success(self, api, user):
        response = api.post(
            "/api/v1/auth/token",
            {"username": user.username, "password": PASSWORD},
            format="json",
            HTTP_X_REQUEST_ID="client-chosen-id-1",
        )

        event = SecurityEvent.objects.get(action=Action.SIGN_IN)
        assert (event.user, event.outcome, event.details["channel"]) == (user, Outcome.SUCCESS, "api")
        assert event.request_id == response["X-Request-ID"] == "client-chosen-id-1"

    def test_password_change(self, user):
        client = Client()
        client.force_login(user)
        response = client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "a-fresh-passphrase-99",
                "new_password2": "a-fresh-passphrase-99",
            },
        )

        assert response.status_code == 302
        assert SecurityEvent.objects.filter(user=user, action=Action.PASSWORD_CHANGE).exists()

    def test_password_reset_request(self, user):
        Client().post(reverse("password_reset"), {"email": user.email})

        event = SecurityEvent.objects.get(action=Action.PASSWORD_RESET_REQUEST)
        assert user.email not in str(event.details)


class TestAppendOnly:
    def test_an_event_cannot_be_changed_or_deleted(self, user):
        event = security_event_record(action=Action.SIGN_IN, user=user)

        for attempt in (
            event.save,
            event.delete,
            SecurityEvent.objects.all().delete,
            lambda: SecurityEvent.objects.update(outcome=Outcome.FAILURE),
        ):
            with pytest.raises(TypeError):
                attempt()
        assert SecurityEvent.objects.get().outcome == Outcome.SUCCESS

    def test_deleting_the_user_keeps_the_event_and_the_name(self, user):
        security_event_record(action=Action.SIGN_IN, user=user)
        name = user.username
        user.delete()

        event = SecurityEvent.objects.get()
        assert (event.user, event.username) == (None, name)

    def test_the_admin_shows_them_read_only(self, rf):
        request = rf.get("/")
        request.user = UserFactory(is_staff=True, is_superuser=True)
        model_admin = site._registry[SecurityEvent]

        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.has_view_permission(request)

    def test_the_admin_list_filters_by_action(self, user):
        security_event_record(action=Action.SIGN_IN, user=user)
        operator = Client()
        operator.force_login(UserFactory(is_staff=True, is_superuser=True))

        response = operator.get("/admin/accounts/securityevent/?action__exact=account.sign_in")

        assert response.status_code == 200
        assert response.context["cl"].result_count >= 1


class TestOwnEventsPage:
    def test_a_user_sees_their_own_events_newest_first_paginated(self, user):
        other = UserFactory()
        for _ in range(30):
            security_event_record(action=Action.SIGN_IN, user=user)
        security_event_record(action=Action.PASSWORD_CHANGE, user=user)
        security_event_record(action=Action.OTP_ENABLE, user=other)
        client = Client()
        client.force_login(user)  # one more sign-in event

        first = client.get(reverse("security-events"))
        second = client.get(reverse("security-events") + "?page=2")

        events = list(first.context["events"])
        assert len(events) == 25 and len(second.context["events"]) == 7
        assert events[0].action == Action.SIGN_IN and events[1].action == Action.PASSWORD_CHANGE
        assert all(event.user == user for event in events + list(second.context["events"]))


class TestEventsRecordedWithoutARequest:
    """Services have no request at hand: the request middleware hands them its id and the client's IP."""

    def test_they_carry_the_ip_and_request_id_of_the_request_being_answered(self, user, rf):
        from stocklab.middleware import RequestIdMiddleware, _forget_request_id

        def view(request):
            security_event_record(action=Action.CREDENTIAL_CONNECT, user=user)
            return HttpResponse()

        request = rf.get("/", REMOTE_ADDR="192.0.2.44", HTTP_X_REQUEST_ID="req-audit-ip-1")
        RequestIdMiddleware(view)(request)
        _forget_request_id(sender=None)  # what request_finished does once the response is closed

        event = SecurityEvent.objects.get(action=Action.CREDENTIAL_CONNECT)
        assert (event.ip_address, event.request_id) == ("192.0.2.44", "req-audit-ip-1")

    def test_outside_a_request_they_carry_neither(self, user):
        event = security_event_record(action=Action.CREDENTIAL_CONNECT, user=user)

        assert (event.ip_address, event.request_id) == (None, "")
