"""Guessable doors are rate limited: passwords per client IP, Kiwoom keys per user (429 `throttled`)."""

import pytest
from django.test import Client

from accounts.models import User
from stocklab.api.throttling import AuthRateThrottle, KiwoomConnectRateThrottle
from tests.conftest import DEMO_APP_KEY, bearer_client
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def obtain(api, username, password):
    return api.post("/api/v1/auth/token", {"username": username, "password": password}, format="json")


def test_password_guessing_is_stopped_and_told_when_to_retry(api, user, monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})

    guesses = [obtain(api, user.username, f"guess-{n}").status_code for n in range(3)]
    refused = obtain(api, user.username, PASSWORD)

    assert guesses == [401, 401, 401]
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0


def test_a_forged_x_forwarded_for_does_not_get_around_it(api, user, monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})

    answers = [
        api.post(
            "/api/v1/auth/token",
            {"username": user.username, "password": f"guess-{n}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(5)
    ]

    assert answers == [401, 401, 401, 429, 429]


def test_sign_ups_count_against_the_same_limit(api, monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})
    body = {"username": "minji", "email": "minji@example.com", "password": "a-long-and-unusual-passphrase-42"}

    assert api.post("/api/v1/auth/signup", body, format="json").status_code == 201
    assert api.post("/api/v1/auth/signup", {**body, "username": "jisoo"}, format="json").status_code == 429


def test_key_guessing_is_stopped_before_kiwoom_is_asked(user_api, kiwoom, monkeypatch):
    monkeypatch.setattr(KiwoomConnectRateThrottle, "THROTTLE_RATES", {"kiwoom_connect": "2/min"})
    url = "/api/v1/kiwoom/credentials"

    tries = [
        user_api.post(url, {"app_key": DEMO_APP_KEY, "app_secret": f"wrong-{n}"}, format="json").status_code
        for n in range(3)
    ]

    assert tries[:2] == [400, 400]
    assert tries[2] == 429
    assert kiwoom.control.stats()["calls"]["au10001"] == 2
    assert user_api.get(f"{url}/status").status_code == 200  # the rest of the API is not throttled


def test_a_signed_in_client_counts_against_the_same_limit(api, user, monkeypatch):
    """A JWT of one account must not lift the limit on making more."""
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})
    signed_in = bearer_client(user)
    body = {"username": "minji", "email": "minji@example.com", "password": "a-long-and-unusual-passphrase-42"}

    assert signed_in.post("/api/v1/auth/signup", body, format="json").status_code == 201
    refused = signed_in.post("/api/v1/auth/signup", {**body, "username": "jisoo"}, format="json")

    assert refused.status_code == 429


def test_the_sign_up_page_counts_against_the_same_limit(monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})
    form = {"username": "minji", "email": "minji@example.com"}
    form |= {"password1": "a-long-and-unusual-passphrase-42", "password2": "a-long-and-unusual-passphrase-42"}

    first = Client().post("/accounts/signup/", form)
    second = Client().post("/accounts/signup/", {**form, "username": "jisoo"})

    assert first.status_code == 302
    assert second.status_code == 429
    assert "jisoo" in second.content.decode()  # the form comes back filled in, with the reason
    [reason] = second.context["form"].non_field_errors()
    assert reason in second.content.decode()
    assert int(second["Retry-After"]) > 0
    assert not User.objects.filter(username="jisoo").exists()
