"""Guessable doors are rate limited: passwords per client IP (the API and the login pages), Kiwoom keys per
user; and every user's API calls, reads generously, writes and orders less so (429 `throttled`)."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.response import Response
from rest_framework.test import force_authenticate
from rest_framework.views import APIView

from accounts.models import User
from stocklab.api.throttling import AuthRateThrottle, FairUseThrottle, KiwoomConnectRateThrottle
from stocklab.settings import base as base_settings
from tests.conftest import DEMO_APP_KEY, bearer_client
from tests.factories import PASSWORD, UserFactory

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


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api-auth/login/"])
def test_the_login_pages_count_against_the_same_limit_per_client_ip(path, monkeypatch):
    """Guessing one password for many usernames from one address: the lockout (per username) never trips."""
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})

    answers = [
        Client().post(path, {"username": f"someone{n}", "password": "guess"}, REMOTE_ADDR="198.51.100.7")
        for n in range(5)
    ]
    elsewhere = Client().post(path, {"username": "someone", "password": "guess"}, REMOTE_ADDR="198.51.100.8")

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert int(refused["Retry-After"]) > 0
    assert "너무 많은 로그인 시도" in refused.content.decode()  # Korean by default
    assert reverse("password_reset") in refused.content.decode()
    assert elsewhere.status_code == 200


def test_the_login_page_and_the_api_share_one_budget(api, user, monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})

    Client().post("/accounts/login/", {"username": user.username, "password": "guess"})
    Client().post("/accounts/login/", {"username": user.username, "password": "guess"})

    assert obtain(api, user.username, PASSWORD).status_code == 429


def test_showing_the_login_page_is_not_counted(monkeypatch):
    monkeypatch.setattr(AuthRateThrottle, "THROTTLE_RATES", {"auth": "1/min"})

    assert [Client().get("/accounts/login/").status_code for _ in range(3)] == [200, 200, 200]


@pytest.fixture
def low_general_rates(monkeypatch):
    rates = {"user_read": "5/min", "user_write": "2/min", "orders": "1/min"}
    monkeypatch.setattr(FairUseThrottle, "THROTTLE_RATES", rates)


def test_a_flood_of_reads_from_one_user_is_cut_off(user_api, low_general_rates):
    answers = [user_api.get("/api/v1/auth/me") for _ in range(8)]

    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    assert answers[-1].json()["code"] == "throttled"
    assert int(answers[-1]["Retry-After"]) > 0


def test_the_limit_is_per_user(user_api, low_general_rates):
    for _ in range(5):
        user_api.get("/api/v1/auth/me")

    assert user_api.get("/api/v1/auth/me").status_code == 429
    assert bearer_client(UserFactory()).get("/api/v1/auth/me").status_code == 200


def test_writes_have_their_own_stricter_budget(user, low_general_rates):
    client = bearer_client(user)
    logouts = [client.post("/api/v1/auth/logout", {"refresh": "x"}, format="json") for _ in range(3)]

    assert [a.status_code for a in logouts] == [400, 400, 429]
    assert client.get("/api/v1/auth/me").status_code == 200  # reads are counted apart


def test_order_views_have_the_strictest_budget(rf, user, low_general_rates):
    class Orders(APIView):
        throttle_scope = "orders"

        def get(self, request):
            return Response({})

        def post(self, request):
            return Response({})

    view = Orders.as_view()

    def call(method):
        request = getattr(rf, method)("/orders")
        force_authenticate(request, user=user)
        return view(request).status_code

    assert [call("post"), call("post"), call("get")] == [200, 429, 200]


def test_an_order_meets_both_its_budgets_in_one_cache_read_and_one_cache_write(rf, user, monkeypatch):
    class Orders(APIView):
        throttle_scope = "orders"

        def post(self, request):
            return Response({})

    used = []

    class RecordingCache:
        def __getattr__(self, name):
            used.append(name)
            return getattr(cache, name)

    monkeypatch.setattr(FairUseThrottle, "cache", RecordingCache())
    request = rf.post("/orders")
    force_authenticate(request, user=user)

    assert Orders.as_view()(request).status_code == 200
    assert used == ["get_many", "set_many"]
    for scope in ("user_write", "orders"):  # counted in both, as DRF's throttles one by one would
        assert len(cache.get(f"throttle_{scope}_{user.pk}")) == 1


def test_the_default_rates_hold_reads_generous_writes_stricter_and_orders_strictest():
    rates = base_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]

    def per_minute(rate):
        requests, period = rate.split("/")
        return int(requests) * {"s": 60, "m": 1, "h": 1 / 60, "d": 1 / 1440}[period[0]]

    assert per_minute(rates["user_read"]) > per_minute(rates["user_write"]) > per_minute(rates["orders"])
    assert per_minute(rates["user_read"]) < 300 * 60  # 300 requests in one second are not all answered


class UnreachableCache:
    def get_many(self, *args, **kwargs):
        raise RedisConnectionError("Connection refused")

    get = set = set_many = get_many


def test_while_the_cache_is_unreachable_the_fair_use_limits_let_requests_through(user_api, monkeypatch):
    """They keep one client from taking the site's capacity: not a reason to fail every request."""
    monkeypatch.setattr(FairUseThrottle, "cache", UnreachableCache())

    assert user_api.get("/api/v1/auth/me").status_code == 200
    assert user_api.post("/api/v1/auth/logout", {"refresh": "x"}, format="json").status_code == 400
