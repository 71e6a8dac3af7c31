"""Accounts API: sign-up, JWT pairs with rotation, logout, and who am I."""

import pytest
import time_machine
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def obtain(api, username, password=PASSWORD):
    return api.post("/api/v1/auth/token", {"username": username, "password": password}, format="json")


class TestSignup:
    def test_creates_a_user_and_answers_201_without_the_password(self, api):
        response = api.post(
            "/api/v1/auth/signup",
            {
                "username": "minji",
                "email": "minji@example.com",
                "password": "a-long-and-unusual-passphrase-42",
            },
            format="json",
        )

        assert response.status_code == 201
        assert response.json()["username"] == "minji"
        assert "password" not in response.json()
        assert User.objects.get(username="minji").check_password("a-long-and-unusual-passphrase-42")

    def test_django_password_validators_apply(self, api):
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "minji", "email": "minji@example.com", "password": "1234"},
            format="json",
        )

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid_input"
        assert body["errors"]["password"]
        assert not User.objects.filter(username="minji").exists()

    def test_a_megabyte_password_is_refused_with_a_field_error(self, api):
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "minji", "email": "minji@example.com", "password": "correct horse " * 80_000},
            format="json",
        )

        assert response.status_code == 400
        assert response.json()["errors"]["password"] == [
            "비밀번호가 너무 깁니다. 최대 128자까지 쓸 수 있습니다."
        ]
        assert not User.objects.filter(username="minji").exists()

    def test_a_taken_username_is_a_conflict(self, api, user):
        response = api.post(
            "/api/v1/auth/signup",
            {"username": user.username.upper(), "email": "other@example.com", "password": PASSWORD},
            format="json",
        )

        assert response.status_code == 409
        assert response.json()["code"] == "username_taken"

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"email": "a@example.com", "password": PASSWORD}, "username"),
            ({"username": "a", "email": "not-an-email", "password": PASSWORD}, "email"),
            ({"username": "bad name!", "email": "a@example.com", "password": PASSWORD}, "username"),
        ],
    )
    def test_bad_fields_are_named(self, api, body, field):
        response = api.post("/api/v1/auth/signup", body, format="json")

        assert response.status_code == 400
        assert field in response.json()["errors"]


class TestTokens:
    def test_a_password_buys_an_access_and_a_refresh_token(self, api, user):
        response = obtain(api, user.username)

        assert response.status_code == 200
        assert set(response.json()) == {"access", "refresh"}

    def test_a_wrong_password_is_401(self, api, user):
        response = obtain(api, user.username, "wrong")

        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"

    def test_refresh_rotates_and_the_old_refresh_token_dies(self, api, user):
        first = obtain(api, user.username).json()

        rotated = api.post("/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, format="json")
        reused = api.post("/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, format="json")

        assert rotated.status_code == 200
        assert rotated.json()["refresh"] != first["refresh"]
        assert reused.status_code == 401
        assert reused.json()["code"] == "token_not_valid"

    def test_verify_tells_a_good_token_from_a_forged_one(self, api, user):
        access = obtain(api, user.username).json()["access"]

        assert api.post("/api/v1/auth/token/verify", {"token": access}, format="json").status_code == 200
        forged = api.post("/api/v1/auth/token/verify", {"token": access[:-3] + "abc"}, format="json")
        assert forged.status_code == 401

    @pytest.mark.parametrize("kind", ["access", "refresh"])
    def test_verify_refuses_a_token_the_rest_of_the_api_refuses(self, api, user, kind):
        token = obtain(api, user.username).json()[kind]
        user.set_password("a-brand-new-passphrase-77")
        user.save()

        response = api.post("/api/v1/auth/token/verify", {"token": token}, format="json")

        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"

    @pytest.mark.parametrize(
        "path", ["/api/v1/auth/token", "/api/v1/auth/token/refresh", "/api/v1/auth/token/verify"]
    )
    def test_options_describes_what_the_endpoint_takes(self, api, path):
        response = api.options(path)

        assert response.status_code == 200
        assert response.json()["actions"]["POST"]

    def test_tokens_are_never_stored_by_a_cache(self, api, user):
        obtained = obtain(api, user.username)
        refreshed = api.post(
            "/api/v1/auth/token/refresh", {"refresh": obtained.json()["refresh"]}, format="json"
        )

        assert (obtained.status_code, refreshed.status_code) == (200, 200)
        assert "no-store" in obtained["Cache-Control"]
        assert "no-store" in refreshed["Cache-Control"]

    def test_verify_refuses_the_token_of_a_user_who_is_gone(self, api, user):
        access = obtain(api, user.username).json()["access"]
        user.delete()

        response = api.post("/api/v1/auth/token/verify", {"token": access}, format="json")

        assert response.status_code == 401


class TestLogoutAndMe:
    def test_logout_blacklists_the_refresh_token(self, api, user):
        pair = obtain(api, user.username).json()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

        logout = api.post("/api/v1/auth/logout", {"refresh": pair["refresh"]}, format="json")
        refresh = api.post("/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, format="json")

        assert logout.status_code == 204
        assert refresh.status_code == 401

    def test_logout_with_a_garbage_token_is_a_clear_400(self, user_api):
        response = user_api.post("/api/v1/auth/logout", {"refresh": "garbage"}, format="json")

        assert response.status_code == 400
        assert response.json()["code"] == "invalid_refresh_token"

    def test_logout_refuses_another_users_refresh_token_and_revokes_nothing(self, api, user, user_api):
        other = UserFactory()
        theirs = obtain(api, other.username).json()["refresh"]

        response = user_api.post("/api/v1/auth/logout", {"refresh": theirs}, format="json")

        assert response.status_code == 403
        assert response.json()["code"] == "refresh_token_not_yours"
        assert not BlacklistedToken.objects.exists()
        assert api.post("/api/v1/auth/token/refresh", {"refresh": theirs}, format="json").status_code == 200

    @pytest.mark.parametrize("path", ["/api/v1/auth/signup", "/api/v1/auth/logout", "/api/v1/auth/me"])
    def test_options_on_the_account_endpoints_answers(self, user_api, path):
        assert user_api.options(path).status_code == 200

    def test_me_is_the_caller(self, user_api, user):
        response = user_api.get("/api/v1/auth/me")

        assert response.status_code == 200
        assert response.json()["username"] == user.username

    def test_anonymous_requests_get_401_with_a_bearer_challenge(self, api):
        response = api.get("/api/v1/auth/me")

        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_an_expired_access_token_gets_401(self, api, user):
        with time_machine.travel("2026-01-01 00:00 +0000", tick=False):
            access = obtain(api, user.username).json()["access"]
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

        response = api.get("/api/v1/auth/me")

        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json() == {
            "code": "token_not_valid",
            "detail": "Given token not valid for any token type",
        }

    def test_a_password_change_ends_every_token_issued_before_it(self, api, user):
        pair = obtain(api, user.username).json()
        user.set_password("a-brand-new-passphrase-77")
        user.save()

        api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
        me = api.get("/api/v1/auth/me")
        api.credentials()
        refresh = api.post("/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, format="json")

        # In the site's default language, Korean.
        changed = {"code": "authentication_failed", "detail": "비밀번호가 바뀌었습니다. 다시 로그인하세요."}
        assert (me.status_code, me.json()) == (401, changed)
        assert (refresh.status_code, refresh.json()) == (401, changed)
        assert obtain(api, user.username, "a-brand-new-passphrase-77").status_code == 200

    def test_a_deleted_users_refresh_token_is_refused(self, api, user):
        refresh = obtain(api, user.username).json()["refresh"]
        user.delete()

        response = api.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json")

        assert (response.status_code, response.json()) == (
            401,
            {"code": "authentication_failed", "detail": "사용자를 찾을 수 없습니다."},
        )

    def test_session_authentication_works_too(self, user):
        client = Client()
        client.force_login(user)

        assert client.get("/api/v1/auth/me").json()["username"] == user.username
