"""Secrets at rest: encrypted in the database, and never handed back as ciphertext."""

import io

import pytest
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.db import connection
from django.test import Client

from brokerage.connections.fields import DecryptionError
from brokerage.connections.models import KiwoomCredential
from brokerage.orders.tasks import order_sync_user
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import KiwoomCredentialFactory

pytestmark = pytest.mark.django_db


def raw_row(pk: int) -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app_key, app_secret, access_token FROM brokerage_kiwoomcredential WHERE id = %s", [pk]
        )
        return cursor.fetchone()


def test_the_raw_row_holds_no_plaintext_key_secret_or_token():
    credential = KiwoomCredentialFactory()

    row = raw_row(credential.pk)

    for plaintext, stored in zip(
        [credential.app_key, credential.app_secret, credential.access_token], row, strict=True
    ):
        assert plaintext not in stored
        assert stored.startswith("gAAAA")  # a Fernet token


def test_values_round_trip_through_the_database():
    credential = KiwoomCredentialFactory(app_secret="s3cr3t-value")

    assert KiwoomCredential.objects.get(pk=credential.pk).app_secret == "s3cr3t-value"


def test_a_changed_key_raises_instead_of_returning_ciphertext(settings, caplog):
    credential = KiwoomCredentialFactory()
    _forget_derived_keys()
    settings.SALT_KEY = ["a-different-salt"]

    try:
        with pytest.raises(DecryptionError) as refused:
            KiwoomCredential.objects.get(pk=credential.pk)
    finally:
        _forget_derived_keys()
    assert refused.value.code == "credential_unreadable"
    assert "FIELD_ENCRYPTION_SALTS" in caplog.text  # the operator is told what to check


class TestUnreadableKeysThroughTheApi:
    """After a botched key rotation the user gets a clear error and can still disconnect or reconnect."""

    @pytest.fixture
    def unreadable(self, connected_api, settings):
        _forget_derived_keys()
        settings.SALT_KEY = ["a-different-salt"]
        yield connected_api
        _forget_derived_keys()

    def test_the_home_page_says_so_and_offers_to_connect_again(self, unreadable, user):
        client = Client()
        client.force_login(user)

        response = client.get("/")

        assert response.status_code == 200
        assert str(DecryptionError.default_detail) in response.content.decode()

    def test_status_is_a_clear_409_asking_to_reconnect(self, unreadable):
        response = unreadable.get("/api/v1/kiwoom/credentials/status")

        assert response.status_code == 409  # a retry would not help: reconnecting does
        assert response.json()["code"] == "credential_unreadable"

    def test_the_ledger_is_shown_as_it_stands(self, connected_api, user, settings):
        order = connected_api.post(
            "/api/v1/kiwoom/order/buy",
            {"stock_code": "005930", "quantity": 1, "trade_type": "0", "price": 60_000},
            format="json",
        ).json()
        _forget_derived_keys()
        settings.SALT_KEY = ["a-different-salt"]
        try:
            ledger = connected_api.get("/api/v1/kiwoom/orders")
            entry = connected_api.get(f"/api/v1/kiwoom/orders/{order['id']}")
            order_sync_user(user.pk)  # the periodic sync passes over the user too
        finally:
            _forget_derived_keys()

        assert ledger.status_code == 200
        assert [o["id"] for o in ledger.json()["results"]] == [order["id"]]
        assert (entry.status_code, entry.json()["status"]) == (200, "accepted")

    def test_disconnect_deletes_the_keys_it_cannot_read(self, unreadable, user):
        assert unreadable.delete("/api/v1/kiwoom/credentials").status_code == 204

        assert not KiwoomCredential.objects.filter(user=user).exists()

    def test_connecting_again_replaces_them(self, unreadable, user):
        response = unreadable.post(
            "/api/v1/kiwoom/credentials",
            {"app_key": DEMO_APP_KEY, "app_secret": DEMO_APP_SECRET},
            format="json",
        )

        assert response.status_code == 201
        assert KiwoomCredential.objects.get(user=user).app_key == DEMO_APP_KEY


def test_rotation_re_encrypts_with_the_new_salt_while_the_old_one_still_decrypts(settings):
    credential = KiwoomCredentialFactory(app_secret="keep-me")
    before = raw_row(credential.pk)
    old_salts = list(settings.SALT_KEY)
    settings.SALT_KEY = ["the-new-salt", *old_salts]
    _forget_derived_keys()
    try:
        call_command("reencrypt_credentials", stdout=io.StringIO())
        after = raw_row(credential.pk)
        settings.SALT_KEY = ["the-new-salt"]
        _forget_derived_keys()

        assert after[1] != before[1]
        assert KiwoomCredential.objects.get(pk=credential.pk).app_secret == "keep-me"
    finally:
        settings.SALT_KEY = old_salts
        _forget_derived_keys()


def _forget_derived_keys() -> None:
    """The fields cache the keys they derive from the settings; drop them after the settings change."""
    for field in KiwoomCredential._meta.fields:
        for name in ("keys", "f"):
            field.__dict__.pop(name, None)


class TestDumps:
    """`dumpdata` writes the secrets encrypted, and `loaddata` restores them with the site's keys."""

    def dump(self, tmp_path) -> tuple[str, str]:
        path = tmp_path / "credentials.json"
        call_command("dumpdata", "brokerage.kiwoomcredential", output=str(path), stdout=io.StringIO())
        return str(path), path.read_text()

    def test_a_dump_holds_no_plaintext_key_secret_or_token(self, tmp_path):
        credential = KiwoomCredentialFactory()

        _path, text = self.dump(tmp_path)

        for plaintext in (credential.app_key, credential.app_secret, credential.access_token):
            assert plaintext not in text
        assert '"app_secret": "fernet:gAAAA' in text

    def test_a_dump_loads_back_to_the_same_secrets(self, tmp_path):
        credential = KiwoomCredentialFactory(access_token="")
        path, _text = self.dump(tmp_path)
        KiwoomCredential.objects.all().delete()

        call_command("loaddata", path, stdout=io.StringIO())

        loaded = KiwoomCredential.objects.get(pk=credential.pk)
        assert (loaded.app_key, loaded.app_secret, loaded.access_token) == (
            credential.app_key,
            credential.app_secret,
            "",
        )
        stored_key, _secret, _token = raw_row(credential.pk)
        assert stored_key.startswith("gAAAA")  # encrypted once at rest, not twice

    def test_a_dump_made_with_other_keys_is_refused(self, tmp_path, settings, caplog):
        KiwoomCredentialFactory()
        path, _text = self.dump(tmp_path)
        KiwoomCredential.objects.all().delete()
        _forget_derived_keys()
        settings.SALT_KEY = ["a-different-salt"]

        try:
            with pytest.raises(DeserializationError) as refused:
                call_command("loaddata", path, stdout=io.StringIO())
        finally:
            _forget_derived_keys()
        assert "credentials.json" in str(refused.value)
        assert "KiwoomCredential.app_key cannot be decrypted with the configured keys" in caplog.text
        assert not KiwoomCredential.objects.exists()
