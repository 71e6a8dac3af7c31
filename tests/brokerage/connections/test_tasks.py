"""The beat sweep and the refresh task: ids only, one refresh per credential, idempotent, bounded retries."""

from datetime import timedelta
from unittest import mock

import pytest
import responses
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.utils import timezone

from brokerage.connections.errors import KiwoomRateLimited, KiwoomUnavailable
from brokerage.connections.models import SAME_TOKEN_RETRY_DELAY, KiwoomCredential
from brokerage.connections.services import credential_connect
from brokerage.connections.tasks import kiwoom_token_refresh, kiwoom_token_sweep
from tests.factories import KiwoomCredentialFactory, UserFactory

pytestmark = pytest.mark.django_db

KIWOOM_HOST = "https://mockapi.kiwoom.com"


def connect() -> KiwoomCredential:
    user = UserFactory()
    app_key = f"taskTest{user.pk:025d}"
    return credential_connect(user=user, app_key=app_key, app_secret=f"secret-{app_key}")


def expire_within(credential: KiwoomCredential, delta: timedelta) -> None:
    KiwoomCredential.objects.filter(pk=credential.pk).update(token_expires_at=timezone.now() + delta)


@pytest.fixture
def queued():
    """The refreshes the sweep queues (credential ids), instead of a broker."""
    with mock.patch.object(kiwoom_token_refresh, "delay") as delay:
        yield delay


class TestSweep:
    def test_queues_one_refresh_per_due_credential_after_commit(
        self, queued, django_capture_on_commit_callbacks
    ):
        soon = [
            KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=m)) for m in (3, 1)
        ]
        KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(hours=3))

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert kiwoom_token_sweep() == 2
        queued.assert_not_called()  # nothing leaves before the transaction commits
        for callback in callbacks:
            callback()

        assert [c.args for c in queued.call_args_list] == [(soon[1].pk,), (soon[0].pk,)]

    def test_a_second_sweep_does_not_queue_the_same_refresh_again(
        self, queued, django_capture_on_commit_callbacks
    ):
        KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=3))

        with django_capture_on_commit_callbacks(execute=True):
            assert kiwoom_token_sweep() == 1
            assert kiwoom_token_sweep() == 0

        assert queued.call_count == 1

    def test_a_renewed_token_can_be_queued_again_when_it_nears_expiry(
        self, queued, django_capture_on_commit_callbacks
    ):
        credential = KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=3))
        with django_capture_on_commit_callbacks(execute=True):
            kiwoom_token_sweep()
            # Renewed meanwhile (a request did it), and that token is near its end as well.
            expire_within(credential, timedelta(minutes=4))
            assert kiwoom_token_sweep() == 1

        assert queued.call_count == 2

    def test_is_on_the_beat_schedule_every_interval(self):
        entry = django_settings.CELERY_BEAT_SCHEDULE["kiwoom-token-sweep"]

        assert entry["task"] == kiwoom_token_sweep.name
        assert entry["schedule"] == django_settings.KIWOOM_TOKEN_SWEEP_INTERVAL


class TestRefreshTask:
    def test_renews_a_due_token(self, kiwoom):
        credential = connect()
        expire_within(credential, timedelta(minutes=5))

        result = kiwoom_token_refresh.apply(args=[credential.pk])

        assert result.get() == "refreshed"
        assert KiwoomCredential.objects.get(pk=credential.pk).token_expires_at > timezone.now() + timedelta(
            hours=23
        )

    def test_running_twice_renews_once(self, kiwoom):
        credential = connect()
        expire_within(credential, timedelta(minutes=5))
        kiwoom.control.reset_stats()

        outcomes = [kiwoom_token_refresh.apply(args=[credential.pk]).get() for _ in range(2)]

        assert outcomes == ["refreshed", ""]
        assert kiwoom.control.stats()["calls"]["au10001"] == 1

    def test_the_same_token_is_asked_for_again_after_it_expires(self, kiwoom):
        kiwoom.control.configure(reissue_mode="same", token_ttl=300)
        credential = connect()
        expires = credential.token_expires_at

        with mock.patch.object(kiwoom_token_refresh, "retry", side_effect=Retry()) as retry:
            kiwoom_token_refresh.apply(args=[credential.pk])

        retry.assert_called_once()
        assert retry.call_args.kwargs["eta"] == expires + SAME_TOKEN_RETRY_DELAY
        assert KiwoomCredential.objects.get(pk=credential.pk).last_refresh_outcome == "same_token"

    def test_the_same_token_does_not_loop(self, kiwoom):
        kiwoom.control.configure(reissue_mode="same", token_ttl=300)
        credential = connect()
        kiwoom.control.reset_stats()

        # Eagerly, a retry runs at once instead of at its eta: before the token expired it is not due.
        result = kiwoom_token_refresh.apply(args=[credential.pk])

        assert result.get() == ""
        assert kiwoom.control.stats()["calls"]["au10001"] == 1

    def test_refused_keys_stop_without_a_retry(self, kiwoom):
        credential = connect()
        KiwoomCredential.objects.filter(pk=credential.pk).update(
            app_secret="revoked-at-kiwoom", token_expires_at=timezone.now() + timedelta(minutes=5)
        )
        kiwoom.control.reset_stats()

        result = kiwoom_token_refresh.apply(args=[credential.pk])

        assert result.get() == "invalid_keys"
        assert kiwoom.control.stats()["calls"]["au10001"] == 1
        assert KiwoomCredential.objects.get(pk=credential.pk).status == "invalid"

    def test_kiwoom_unreachable_is_retried_with_backoff_until_it_answers(self, kiwoom):
        credential = connect()
        expire_within(credential, timedelta(minutes=5))
        kiwoom.control.inject_fault("http_5xx", api_id="au10001", count=2, status=502)
        kiwoom.control.reset_stats()

        result = kiwoom_token_refresh.apply(args=[credential.pk])

        assert result.get() == "refreshed"
        assert kiwoom.control.stats()["calls"]["au10001"] == 3

    def test_a_429_on_the_token_call_is_retried_with_backoff_until_it_answers(self, kiwoom):
        credential = connect()
        expire_within(credential, timedelta(minutes=5))
        kiwoom.control.inject_fault("rate_limit", api_id="au10001", count=2)
        kiwoom.control.reset_stats()

        result = kiwoom_token_refresh.apply(args=[credential.pk])

        assert result.get() == "refreshed"
        assert kiwoom.control.stats()["calls"]["au10001"] == 3

    @responses.activate
    def test_a_token_request_kiwoom_could_not_read_fails_once_and_leaves_the_credential_active(
        self, settings
    ):
        settings.KIWOOM_MOCK_BASE_URL = KIWOOM_HOST
        token_call = responses.post(
            f"{KIWOOM_HOST}/oauth2/token",
            json={"return_code": 3, "return_msg": "인증 실패[8012:grant_type의 값이 맞지 않습니다]"},
        )
        credential = KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=5))

        result = kiwoom_token_refresh.apply(args=[credential.pk])

        assert result.get() == "failed"
        assert token_call.call_count == 1
        assert KiwoomCredential.objects.get(pk=credential.pk).status == "active"

    def test_retries_for_an_unreachable_kiwoom_are_bounded(self, kiwoom):
        credential = connect()
        expire_within(credential, timedelta(minutes=5))
        kiwoom.control.inject_fault("http_5xx", api_id="au10001", count=50, status=503)
        kiwoom.control.reset_stats()

        result = kiwoom_token_refresh.apply(args=[credential.pk])

        assert result.failed()
        assert kiwoom.control.stats()["calls"]["au10001"] == 1 + kiwoom_token_refresh.max_retries
        assert KiwoomCredential.objects.get(pk=credential.pk).last_refresh_outcome == "failed"

    def test_only_failures_that_pass_are_retried(self):
        assert kiwoom_token_refresh.autoretry_for == (KiwoomUnavailable, KiwoomRateLimited)
        assert kiwoom_token_refresh.retry_backoff
        assert kiwoom_token_refresh.max_retries == 5
