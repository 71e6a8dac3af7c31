"""Connecting keys: one app key for one user on the whole site, each user's own row and nobody else's, and
the audit trail of connect, replace, disconnect and refusals (fingerprints, never a secret). Real
PostgreSQL, Redis and simulator."""

import importlib
import json

import pytest
from django.apps import apps
from django.core import serializers
from django.db import IntegrityError, transaction

from accounts.models import SecurityEvent
from brokerage.connections import coordination
from brokerage.connections.errors import KiwoomBusy, KiwoomKeysInUse
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.connections.services import credential_connect, credential_disconnect
from brokerage.connections.services import credentials as credentials_module
from brokerage.connections.services.credentials import app_key_fingerprint
from stocklab import middleware
from tests.brokerage.connections.test_fields import _forget_derived_keys
from tests.factories import KiwoomCredentialFactory, UserFactory

pytestmark = pytest.mark.django_db
Action, Outcome = SecurityEvent.Action, SecurityEvent.Outcome
KEY = "oneKeyOneUser000000000000000001"
SECRET = "oneKeyOneUserSecret000000000001"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the code under test leaves for after its commit (the test transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def au10001(kiwoom) -> int:
    return kiwoom.control.stats()["calls"].get("au10001", 0)


def events(action, user=None):
    found = SecurityEvent.objects.filter(action=action)
    return list(found.filter(user=user) if user is not None else found)


def serialized(event: SecurityEvent) -> str:
    return serializers.serialize("json", [event]) + json.dumps(event.details)


class TestOneKeyOneUser:
    def test_an_app_key_another_active_user_connected_is_refused_before_kiwoom_is_asked(self, kiwoom):
        first = credential_connect(user=UserFactory(), app_key=KEY, app_secret=SECRET)
        second = UserFactory()
        kiwoom.control.reset_stats()

        with pytest.raises(KiwoomKeysInUse) as refused:
            credential_connect(user=second, app_key=KEY, app_secret="anotherSecretForTheSameKey0001")

        assert (refused.value.code, refused.value.kind) == ("kiwoom_keys_in_use", "conflict")
        assert au10001(kiwoom) == 0  # nothing sent: the first user's token is untouched
        assert not KiwoomCredential.objects.filter(user=second).exists()
        assert KiwoomCredential.objects.get(pk=first.pk).access_token == first.access_token

    def test_whatever_the_mode(self, kiwoom, settings):
        settings.KIWOOM_ALLOW_REAL = True
        settings.KIWOOM_REAL_BASE_URL = kiwoom.base_url
        credential_connect(user=UserFactory(), app_key=KEY, app_secret=SECRET, mode=Mode.REAL)

        with pytest.raises(KiwoomKeysInUse):
            credential_connect(user=UserFactory(), app_key=KEY, app_secret=SECRET, mode=Mode.MOCK)

    def test_the_same_user_replacing_their_keys_still_works(self, kiwoom, user):
        credential_connect(user=user, app_key=KEY, app_secret=SECRET)

        again = credential_connect(user=user, app_key=KEY, app_secret=SECRET)

        assert KiwoomCredential.objects.get(user=user).pk == again.pk
        assert again.app_key_fingerprint == app_key_fingerprint(KEY)

    def test_a_deactivated_users_hold_is_released_to_the_new_owner(self, kiwoom, committed):
        old = credential_connect(user=UserFactory(), app_key=KEY, app_secret=SECRET)
        old.user.is_active = False
        old.user.save()
        new_owner = UserFactory()

        with committed():
            credential = credential_connect(user=new_owner, app_key=KEY, app_secret=SECRET)

        assert credential.user == new_owner
        assert not KiwoomCredential.objects.filter(pk=old.pk).exists()
        [released] = events(Action.CREDENTIAL_DISCONNECT, user=old.user)
        assert released.details["reason"] == "connected_by_another_user"
        assert released.details["by_user_id"] == new_owner.pk

    def test_the_database_refuses_a_second_row_for_one_app_key(self):
        KiwoomCredentialFactory(app_key_fingerprint="f" * 64)

        with pytest.raises(IntegrityError), transaction.atomic():
            KiwoomCredentialFactory(app_key_fingerprint="f" * 64)

    def test_a_race_past_the_check_ends_with_one_owner(self, kiwoom, monkeypatch):
        first = credential_connect(user=UserFactory(), app_key=KEY, app_secret=SECRET)
        # The second connect ran its check before the first one's row was written (no shared lock).
        monkeypatch.setattr(credentials_module, "named_lock", lambda *a, **k: _NoLock())
        monkeypatch.setattr(
            credentials_module.KiwoomCredential.objects, "filter", _first_check_finds_nothing(KEY)
        )
        second = UserFactory()

        with pytest.raises(KiwoomKeysInUse):
            credential_connect(user=second, app_key=KEY, app_secret=SECRET)

        monkeypatch.undo()
        assert list(KiwoomCredential.objects.filter(app_key_fingerprint=app_key_fingerprint(KEY))) == [first]


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _first_check_finds_nothing(app_key):
    original = KiwoomCredential.objects.filter
    fingerprint = app_key_fingerprint(app_key)
    calls = {"n": 0}

    def filter(*args, **kwargs):
        if kwargs.get("app_key_fingerprint") == fingerprint and calls["n"] == 0:
            calls["n"] += 1
            return KiwoomCredential.objects.none()
        return original(*args, **kwargs)

    return filter


class TestOnlyTheUsersOwnRow:
    """Each user's connect reads, locks, replaces and deletes that user's row only."""

    def test_connecting_never_overwrites_another_users_credential_of_the_mode(self, kiwoom, user):
        other = KiwoomCredentialFactory(mode=Mode.MOCK)  # the lower id: first in any unfiltered query
        theirs = KiwoomCredential.objects.get(pk=other.pk)

        credential_connect(user=user, app_key=KEY, app_secret=SECRET)

        after = KiwoomCredential.objects.get(pk=other.pk)
        assert (after.user_id, after.app_key, after.access_token) == (
            other.user_id,
            theirs.app_key,
            theirs.access_token,
        )
        assert KiwoomCredential.objects.get(user=user).app_key == KEY

    def test_unreadable_keys_are_replaced_without_touching_other_users(
        self, kiwoom, user, settings, committed
    ):
        salts = list(settings.SALT_KEY)
        _forget_derived_keys()
        settings.SALT_KEY = ["the-salt-of-another-day"]
        KiwoomCredentialFactory(user=user, mode=Mode.MOCK)  # unreadable once the salt changes back
        settings.SALT_KEY = salts
        _forget_derived_keys()
        other = KiwoomCredentialFactory(mode=Mode.MOCK)

        with committed():
            credential_connect(user=user, app_key=KEY, app_secret=SECRET)

        assert KiwoomCredential.objects.filter(pk=other.pk).exists()
        assert KiwoomCredential.objects.get(user=user).app_key == KEY
        [replaced] = events(Action.CREDENTIAL_REPLACE, user=user)
        assert replaced.details["previous_app_key_fingerprint"] is None

    def test_connecting_waits_for_no_other_users_token_lock(self, kiwoom, user, monkeypatch):
        other = KiwoomCredentialFactory(mode=Mode.MOCK)
        monkeypatch.setattr(coordination, "CREDENTIAL_LOCK_WAIT", 0.2)

        with coordination.credential_lock(other.pk):  # their token is being renewed right now
            credential = credential_connect(user=user, app_key=KEY, app_secret=SECRET)

        assert credential.user == user

    def test_but_waits_for_its_own(self, kiwoom, user, monkeypatch):
        """The check above can fail: the user's own lock is taken, and waited for."""
        mine = credential_connect(user=user, app_key=KEY, app_secret=SECRET)
        monkeypatch.setattr(coordination, "CREDENTIAL_LOCK_WAIT", 0.2)

        with coordination.credential_lock(mine.pk), pytest.raises(KiwoomBusy):
            credential_connect(user=user, app_key=KEY, app_secret=SECRET)


class TestAuditTrail:
    @pytest.fixture
    def in_a_request(self):
        """The context the request middleware sets for services: its id and the client's IP."""
        request_id = middleware._current_request_id.set("req-credentials-1")
        client_ip = middleware._current_client_ip.set("203.0.113.7")
        yield
        middleware._current_request_id.reset(request_id)
        middleware._current_client_ip.reset(client_ip)

    def assert_no_secret(self, event, *secrets):
        text = serialized(event)
        for secret in secrets:
            assert secret not in text

    def test_connect_is_recorded_with_who_what_ip_and_request_id_and_no_secret(
        self, kiwoom, user, in_a_request, committed
    ):
        with committed():
            credential = credential_connect(user=user, app_key=KEY, app_secret=SECRET)

        [event] = events(Action.CREDENTIAL_CONNECT)
        assert (event.user, event.outcome) == (user, Outcome.SUCCESS)
        assert (event.ip_address, event.request_id) == ("203.0.113.7", "req-credentials-1")
        assert event.details == {"mode": "mock", "app_key_fingerprint": app_key_fingerprint(KEY)}
        self.assert_no_secret(event, KEY, SECRET, credential.access_token)

    def test_replace_names_both_fingerprints(self, kiwoom, user, in_a_request, committed):
        first = credential_connect(user=user, app_key=KEY, app_secret=SECRET)
        new_key = "oneKeyOneUserReplacement0000001"

        with committed():
            second = credential_connect(user=user, app_key=new_key, app_secret=SECRET)

        [event] = events(Action.CREDENTIAL_REPLACE)
        assert event.details["app_key_fingerprint"] == app_key_fingerprint(new_key)
        assert event.details["previous_app_key_fingerprint"] == app_key_fingerprint(KEY)
        [revoke] = events(Action.TOKEN_REVOKE)  # the old keys' token
        assert revoke.outcome == Outcome.SUCCESS
        for recorded in (event, revoke):
            self.assert_no_secret(recorded, KEY, new_key, SECRET, first.access_token, second.access_token)

    def test_disconnect_is_recorded(self, kiwoom, user, in_a_request, committed):
        credential = credential_connect(user=user, app_key=KEY, app_secret=SECRET)

        with committed():
            credential_disconnect(user=user)

        [event] = events(Action.CREDENTIAL_DISCONNECT)
        assert (event.user, event.ip_address, event.request_id) == (user, "203.0.113.7", "req-credentials-1")
        assert event.details == {"mode": "mock", "app_key_fingerprint": app_key_fingerprint(KEY)}
        self.assert_no_secret(event, KEY, SECRET, credential.access_token)

    def test_a_refused_connect_is_recorded_with_its_code(self, kiwoom, in_a_request):
        credential_connect(user=UserFactory(), app_key=KEY, app_secret=SECRET)
        second = UserFactory()

        with pytest.raises(KiwoomKeysInUse):
            credential_connect(user=second, app_key=KEY, app_secret=SECRET)

        [event] = events(Action.CREDENTIAL_CONNECT, user=second)
        assert event.outcome == Outcome.REFUSED
        assert event.details["code"] == "kiwoom_keys_in_use"
        assert event.details["app_key_fingerprint"] == app_key_fingerprint(KEY)
        self.assert_no_secret(event, KEY, SECRET)

    def test_keys_kiwoom_refuses_are_recorded_as_refused(self, kiwoom, user):
        with pytest.raises(Exception):  # noqa: B017 - which one is the API's business
            credential_connect(user=user, app_key="demoAppKey00000000000000000000001", app_secret="wrong")

        [event] = events(Action.CREDENTIAL_CONNECT, user=user)
        assert (event.outcome, event.details["code"]) == (Outcome.REFUSED, "kiwoom_invalid_credentials")

    def test_a_rolled_back_connect_leaves_no_event(self, kiwoom, user, committed):
        with committed(), pytest.raises(RuntimeError), transaction.atomic():
            credential_connect(user=user, app_key=KEY, app_secret=SECRET)
            raise RuntimeError("the caller's transaction fails")

        assert not KiwoomCredential.objects.filter(user=user).exists()
        assert not events(Action.CREDENTIAL_CONNECT)


class TestBackfill:
    """Migration 0007 fills in the app key fingerprint of existing rows, reading each in Python."""

    migration = importlib.import_module("brokerage.migrations.0007_credential_app_key_fingerprint")

    def test_its_fingerprint_is_the_services(self):
        assert self.migration.app_key_fingerprint(KEY) == app_key_fingerprint(KEY)

    def test_each_row_gets_its_fingerprint_and_a_shared_key_stays_with_its_first_user(self):
        # Rows as they stood before 0007: no fingerprint yet.
        first = KiwoomCredentialFactory(app_key=KEY, app_key_fingerprint=None)
        later = KiwoomCredentialFactory(app_key=KEY, app_key_fingerprint=None)
        own = KiwoomCredentialFactory(app_key_fingerprint=None)

        self.migration.fingerprint_app_keys(apps, None)

        stored = dict(KiwoomCredential.objects.values_list("pk", "app_key_fingerprint"))
        assert stored[first.pk] == app_key_fingerprint(KEY)
        assert stored[later.pk] is None
        assert stored[own.pk] == app_key_fingerprint(own.app_key)
