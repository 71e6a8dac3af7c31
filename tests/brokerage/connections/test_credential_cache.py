"""A credential kept in a process's memory is used only under the version it was read in: never another
user's or mode's, never one disconnected, replaced, refused or renewed since. Real PostgreSQL, Redis and
simulator throughout; the operations hand back the token they were given instead of calling Kiwoom."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction

from brokerage import kiwoom as kiwoom_client
from brokerage.connections.coordination import redis_client, version_read
from brokerage.connections.credential_cache import credential_keep, version_name
from brokerage.connections.errors import KiwoomNotConnected, KiwoomRateLimited
from brokerage.connections.models import CredentialStatus, KiwoomCredential, Mode
from brokerage.connections.ratelimit import bucket_key
from brokerage.connections.services import credential_connect, credential_disconnect, credential_record_error
from brokerage.connections.services.calls import kiwoom_calls_for
from brokerage.connections.services.tokens import token_refresh
from tests.brokerage.connections.test_tokens import au10001_count, connect, expire_within
from tests.factories import KiwoomCredentialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limit_out_of_the_way(settings):
    settings.KIWOOM_RATE_LIMIT_MOCK = 1000
    settings.KIWOOM_RATE_LIMIT_REAL = 1000


def token_used(user, mode: str = Mode.MOCK) -> str:
    """The token a call with the user's keys is made with."""
    return kiwoom_calls_for(
        user=user, mode=mode, operations=[lambda client, token: token], api_ids=["kt00018"]
    )[0]


def stored_token(credential: KiwoomCredential) -> str:
    return KiwoomCredential.objects.get(pk=credential.pk).access_token


class TestKept:
    def test_a_call_after_the_first_reads_no_row(self, django_assert_num_queries):
        credential = KiwoomCredentialFactory()
        assert token_used(credential.user) == credential.access_token

        with django_assert_num_queries(0):
            assert token_used(credential.user) == credential.access_token

    def test_each_user_is_served_their_own_token(self):
        first, second = KiwoomCredentialFactory(), KiwoomCredentialFactory()

        for _ in range(3):
            assert token_used(first.user) == first.access_token
            assert token_used(second.user) == second.access_token

    def test_each_mode_is_served_its_own_token(self):
        mock = KiwoomCredentialFactory()
        real = KiwoomCredentialFactory(user=mock.user, mode=Mode.REAL)

        for _ in range(2):
            assert token_used(mock.user, Mode.MOCK) == mock.access_token
            assert token_used(mock.user, Mode.REAL) == real.access_token

    def test_a_version_redis_lost_reads_the_row_again(self, django_assert_num_queries):
        credential = KiwoomCredentialFactory()
        token_used(credential.user)
        cache.clear()  # the whole Redis database, versions included

        with django_assert_num_queries(1):
            assert token_used(credential.user) == credential.access_token

    def test_a_refused_slot_sends_nothing_and_reads_no_row(self, settings, django_assert_num_queries):
        credential = KiwoomCredentialFactory()
        token_used(credential.user)
        settings.KIWOOM_RATE_LIMIT_MOCK = 0.1  # the next slot is 11 s away
        settings.KIWOOM_RATE_LIMIT_WAIT = 0.1

        with django_assert_num_queries(0), pytest.raises(KiwoomRateLimited):
            token_used(credential.user)


class TestChangedSince:
    def test_new_keys_are_used_at_once(self, kiwoom):
        credential = connect()
        old_token = token_used(credential.user)

        credential_connect(user=credential.user, app_key="cacheOther0000000000000001", app_secret="other")

        new_token = token_used(credential.user)
        assert new_token == stored_token(credential)
        assert new_token != old_token

    def test_a_disconnect_ends_the_kept_token(self, kiwoom):
        credential = connect()
        token_used(credential.user)

        credential_disconnect(user=credential.user)

        with pytest.raises(KiwoomNotConnected):
            token_used(credential.user)

    def test_keys_connected_after_a_disconnect_are_used_at_once(self, kiwoom):
        credential = connect()
        token_used(credential.user)
        credential_disconnect(user=credential.user)

        again = credential_connect(user=credential.user, app_key="cacheAgain0000000000000001", app_secret="s")

        assert again.pk != credential.pk
        assert token_used(credential.user) == again.access_token
        # Paced in the new keys' bucket, not in the old row's.
        assert redis_client().exists(bucket_key(again.pk, "kt00018"))

    def test_keys_kiwoom_refused_end_the_kept_token(self):
        credential = KiwoomCredentialFactory()
        token_used(credential.user)

        refused = kiwoom_client.KiwoomInvalidCredentials(code="8001")
        credential_record_error(credential=credential, error=refused)

        assert KiwoomCredential.objects.get(pk=credential.pk).status == CredentialStatus.INVALID
        with pytest.raises(KiwoomNotConnected):
            token_used(credential.user)

    def test_a_token_renewed_by_the_sweep_is_used_at_once_without_another_issue(self, kiwoom):
        credential = connect()
        token_used(credential.user)
        expire_within(credential, timedelta(minutes=5))
        assert token_refresh(credential_id=credential.pk).outcome == "refreshed"
        kiwoom.control.reset_stats()

        assert token_used(credential.user) == stored_token(credential)
        assert au10001_count(kiwoom, credential) == 0

    def test_a_write_from_any_process_is_seen(self):
        """Updates through the queryset change the version in Redis, which every process reads."""
        credential = KiwoomCredentialFactory()
        token_used(credential.user)

        KiwoomCredential.objects.filter(pk=credential.pk).update(access_token="token-written-elsewhere")

        assert token_used(credential.user) == "token-written-elsewhere"

    def test_a_row_read_before_a_write_commits_is_not_used_after_it(self, django_capture_on_commit_callbacks):
        """A request that reads the row while another one's write is not committed yet reads the old row,
        under the version the write made first: the commit makes another."""
        credential = KiwoomCredentialFactory()
        before = KiwoomCredential.objects.get(pk=credential.pk)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            credential.access_token = "token-after-the-commit"
            credential.save()
            # Another request, outside this transaction, reads the row as it was and keeps it.
            version = version_read(version_name(user_id=credential.user_id, mode=Mode.MOCK))
            credential_keep(before, version=version)

        assert token_used(credential.user) == "token-after-the-commit"
