"""Connecting Kiwoom keys: checked at Kiwoom first, stored encrypted, shown masked, revoked on the way out."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime

from brokerage.connections.coordination import credential_lock
from brokerage.connections.models import KiwoomCredential
from brokerage.kiwoom import KiwoomClient, KiwoomInvalidToken
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET, bearer_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/kiwoom/credentials"


def connect(client, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET):
    return client.post(URL, {"app_key": app_key, "app_secret": app_secret}, format="json")


class TestConnect:
    def test_good_keys_are_stored_after_kiwoom_issues_a_token(self, user_api, user, kiwoom):
        response = connect(user_api)

        assert response.status_code == 201
        body = response.json()
        assert body["connected"] is True
        assert body["mode"] == "mock"
        assert body["app_key_masked"].endswith(DEMO_APP_KEY[-4:])
        assert kiwoom.control.stats()["calls"].get("au10001") == 1
        credential = KiwoomCredential.objects.get(user=user)
        assert credential.app_key == DEMO_APP_KEY
        assert credential.token_expires_at is not None

    def test_refused_keys_store_nothing_and_carry_kiwooms_message(self, user_api, user, kiwoom):
        response = connect(user_api, app_secret="wrong-secret")

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "kiwoom_invalid_credentials"
        assert body["kiwoom_code"] == "8001"
        assert "App Key" in body["kiwoom_message"]
        assert not KiwoomCredential.objects.filter(user=user).exists()

    def test_unreachable_kiwoom_is_503_and_stores_nothing(self, user_api, user, settings):
        settings.KIWOOM_MOCK_BASE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens

        response = connect(user_api)

        assert response.status_code == 503
        assert response.json()["code"] == "kiwoom_unavailable"
        assert not KiwoomCredential.objects.filter(user=user).exists()

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"app_secret": "x"}, "app_key"),
            ({"app_key": "x"}, "app_secret"),
            ({"app_key": " ", "app_secret": "x"}, "app_key"),
        ],
    )
    def test_missing_fields_are_named_and_kiwoom_is_not_called(self, user_api, kiwoom, body, field):
        response = user_api.post(URL, body, format="json")

        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert "au10001" not in kiwoom.control.stats()["calls"]

    def test_real_mode_is_refused_unless_the_site_allows_it(self, user_api, kiwoom, settings):
        settings.KIWOOM_ALLOW_REAL = False

        response = user_api.post(
            URL, {"app_key": DEMO_APP_KEY, "app_secret": DEMO_APP_SECRET, "mode": "real"}, format="json"
        )

        assert response.status_code == 403
        assert response.json()["code"] == "real_trading_disabled"

    def test_replacing_keys_revokes_the_old_token(self, user_api, user, kiwoom):
        connect(user_api)
        old_token = KiwoomCredential.objects.get(user=user).access_token
        kiwoom.control.add_account(
            app_key="otherAppKey000000000000000000002", secret="otherSecret02", cash=5_000_000
        )

        response = connect(user_api, app_key="otherAppKey000000000000000000002", app_secret="otherSecret02")

        assert response.status_code == 201
        credential = KiwoomCredential.objects.get(user=user)
        assert credential.access_token != old_token
        assert credential.app_key_suffix == "0002"
        assert kiwoom.control.stats()["calls"].get("au10002") == 1


class TestStatus:
    def test_not_connected(self, user_api):
        body = user_api.get(f"{URL}/status").json()

        assert body["connected"] is False
        assert body["app_key_masked"] is None

    def test_connected_status_never_shows_a_secret(self, connected_api, user):
        response = connected_api.get(f"{URL}/status")

        credential = KiwoomCredential.objects.get(user=user)
        text = response.content.decode()
        assert response.status_code == 200
        assert DEMO_APP_KEY not in text
        assert DEMO_APP_SECRET not in text
        assert credential.access_token not in text
        body = response.json()
        assert body["key_fingerprint_suffix"] == credential.key_fingerprint[-8:]
        for utc in ("token_expires_at", "last_refreshed_at"):  # every time in UTC, but the Korea-time twin
            assert body[utc].endswith("Z") or body[utc].endswith("+00:00"), body[utc]
        assert body["token_expires_at_kst"].endswith("+09:00")
        assert body["last_error"] is None
        assert body["last_refresh_outcome"] is None  # null until the first renewal, as when not connected

    def test_shows_the_next_scheduled_refresh_and_the_last_outcome(self, connected_api, user, settings):
        credential = KiwoomCredential.objects.get(user=user)
        KiwoomCredential.objects.filter(user=user).update(last_refresh_outcome="refreshed")

        body = connected_api.get(f"{URL}/status").json()

        window = timedelta(seconds=settings.KIWOOM_TOKEN_SWEEP_WINDOW)
        assert parse_datetime(body["next_refresh_at"]) == credential.token_expires_at - window
        assert body["last_refresh_outcome"] == "refreshed"

    def test_the_last_error_is_explained_in_plain_words(self, connected_api, user):
        KiwoomCredential.objects.filter(user=user).update(
            last_error_code="8050", last_error_message="지정단말기 인증에 실패했습니다"
        )

        error = connected_api.get(f"{URL}/status", HTTP_ACCEPT_LANGUAGE="en").json()["last_error"]

        assert error["code"] == "8050"
        assert error["message"] == "지정단말기 인증에 실패했습니다"
        assert "IP address is not registered" in error["explanation"]


class TestDisconnect:
    def test_revokes_at_kiwoom_and_deletes_the_secrets(self, connected_api, user, kiwoom):
        token = KiwoomCredential.objects.get(user=user).access_token

        response = connected_api.delete(URL)

        assert response.status_code == 204
        assert not KiwoomCredential.objects.filter(user=user).exists()
        assert kiwoom.control.stats()["calls"].get("au10002") == 1
        with pytest.raises(KiwoomInvalidToken):
            KiwoomClient(kiwoom.base_url).get_balance(token)
        assert connected_api.get("/api/v1/kiwoom/account/balance").json()["code"] == "kiwoom_not_connected"

    def test_disconnecting_when_not_connected_is_harmless(self, user_api):
        assert user_api.delete(URL).status_code == 204

    def test_disconnect_succeeds_when_kiwoom_is_down(self, connected_api, user, settings):
        settings.KIWOOM_MOCK_BASE_URL = "http://127.0.0.1:9"

        assert connected_api.delete(URL).status_code == 204
        assert not KiwoomCredential.objects.filter(user=user).exists()


class TestIsolation:
    def test_another_user_sees_nothing_of_mine(self, connected_api, kiwoom):
        stranger = bearer_client(UserFactory())

        assert stranger.get(f"{URL}/status").json()["connected"] is False
        assert stranger.get("/api/v1/kiwoom/account/balance").status_code == 409
        assert stranger.delete(URL).status_code == 204
        assert connected_api.get(f"{URL}/status").json()["connected"] is True

    def test_anonymous_callers_get_401_with_a_bearer_challenge(self, api):
        for method, path in [("post", URL), ("get", f"{URL}/status"), ("delete", URL)]:
            response = getattr(api, method)(path)
            assert response.status_code == 401
            assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db(transaction=True)
def test_reconnecting_waits_for_a_token_renewal_in_flight(user_api, user, kiwoom):
    """A renewal holds the token lock; new keys are stored after it, so its token cannot land on them."""
    assert connect(user_api).status_code == 201
    credential = KiwoomCredential.objects.get(user=user)
    kiwoom.control.add_account(app_key="otherAppKey000000000000000000002", secret="otherSecret02", cash=1)
    answers = []

    def reconnect():
        try:
            client = bearer_client(user)
            answers.append(
                connect(client, app_key="otherAppKey000000000000000000002", app_secret="otherSecret02")
            )
        finally:
            connection.close()  # the thread's own connection, so that the test database can be dropped

    with credential_lock(credential.pk):
        thread = threading.Thread(target=reconnect)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()
        assert KiwoomCredential.objects.get(pk=credential.pk).app_key_suffix == DEMO_APP_KEY[-4:]
    thread.join(10)

    assert answers[0].status_code == 201
    assert KiwoomCredential.objects.get(pk=credential.pk).app_key_suffix == "0002"


class TestRealKeys:
    """Real keys live beside mock ones: `?mode=real` names them on status, disconnect, balance and fills."""

    @pytest.fixture
    def real_api(self, user_api, kiwoom, settings):
        settings.KIWOOM_ALLOW_REAL = True
        settings.KIWOOM_REAL_BASE_URL = kiwoom.base_url
        response = user_api.post(
            URL, {"app_key": DEMO_APP_KEY, "app_secret": DEMO_APP_SECRET, "mode": "real"}, format="json"
        )
        assert response.status_code == 201
        kiwoom.control.reset_stats()
        return user_api

    def test_status_shows_the_real_keys_when_asked(self, real_api):
        real = real_api.get(f"{URL}/status", {"mode": "real"}).json()
        mock = real_api.get(f"{URL}/status").json()

        assert (real["connected"], real["mode"]) == (True, "real")
        assert (mock["connected"], mock["mode"]) == (False, "mock")

    def test_disconnect_with_mode_real_revokes_and_deletes_the_real_keys(self, real_api, user, kiwoom):
        response = real_api.delete(f"{URL}?mode=real")

        assert response.status_code == 204
        assert not KiwoomCredential.objects.filter(user=user).exists()
        assert kiwoom.control.stats()["calls"].get("au10002") == 1

    def test_disconnect_without_a_mode_leaves_the_real_keys_alone(self, real_api, user):
        assert real_api.delete(URL).status_code == 204

        assert KiwoomCredential.objects.get(user=user).mode == "real"

    @pytest.mark.parametrize("path", ["/api/v1/kiwoom/account/balance", "/api/v1/kiwoom/account/fills"])
    def test_the_account_of_the_real_keys(self, real_api, path):
        assert real_api.get(path, {"mode": "real"}).status_code == 200
        assert real_api.get(path).json()["code"] == "kiwoom_not_connected"

    @pytest.mark.parametrize("method", ["get", "delete"])
    def test_an_unknown_mode_is_a_clear_400(self, user_api, method):
        path = f"{URL}/status?mode=paper" if method == "get" else f"{URL}?mode=paper"

        response = getattr(user_api, method)(path)

        assert response.status_code == 400
        assert response.json()["code"] == "invalid_input"
        assert "mode" in response.json()["errors"]
