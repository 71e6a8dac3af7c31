"""Token lifecycle: one au10001 however many callers, same-token answers, 8005, refused keys and devices,
and the sweep's window on a travelling clock. Real PostgreSQL, Redis and simulator throughout."""

import threading
from datetime import timedelta

import pytest
import responses
import time_machine
from django.db import connection
from django.utils import timezone

from brokerage.connections.errors import KiwoomRateLimited, KiwoomUnavailable
from brokerage.connections.models import SAME_TOKEN_RETRY_DELAY, KiwoomCredential
from brokerage.connections.services import credential_connect
from brokerage.connections.services.tokens import token_get_valid, token_refresh, token_refresh_due
from tests.conftest import bearer_client
from tests.factories import KiwoomCredentialFactory, UserFactory

URL = "/api/v1/kiwoom/account/balance"
KIWOOM_HOST = "https://mockapi.kiwoom.com"


def connect(*, app_key: str | None = None) -> KiwoomCredential:
    """A user with keys connected at the simulator (which provisions an account for unknown keys)."""
    user = UserFactory()
    app_key = app_key or f"tokenTest{user.pk:024d}"
    return credential_connect(user=user, app_key=app_key, app_secret=f"secret-{app_key}")


def expire_within(credential: KiwoomCredential, delta: timedelta) -> None:
    KiwoomCredential.objects.filter(pk=credential.pk).update(token_expires_at=timezone.now() + delta)


def au10001_count(kiwoom, credential: KiwoomCredential) -> int:
    app_key = KiwoomCredential.objects.get(pk=credential.pk).app_key
    return kiwoom.control.stats()["calls_by_app_key"].get(app_key, {}).get("au10001", 0)


def run_concurrently(count: int, target) -> list:
    """`target(i)` in `count` threads released together; each result, or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
class TestConcurrentRequests:
    """Fifty requests of one user, each in its own thread and database connection, through the API."""

    @pytest.fixture(autouse=True)
    def _uncoalesced(self, settings):
        # Every request must reach the token path itself, not share another request's balance.
        settings.KIWOOM_BALANCE_COALESCING = False

    def test_fifty_requests_as_the_token_expires_cause_one_token_issue(self, kiwoom):
        credential = connect()
        expire_within(credential, timedelta(minutes=5))
        kiwoom.control.reset_stats()
        clients = [bearer_client(credential.user) for _ in range(50)]

        statuses = run_concurrently(50, lambda i: clients[i].get(URL).status_code)

        assert statuses == [200] * 50
        assert au10001_count(kiwoom, credential) == 1
        credential.refresh_from_db()
        assert credential.token_expires_at > timezone.now() + timedelta(hours=23)
        assert credential.last_refresh_outcome == "refreshed"

    def test_fifty_requests_refused_with_8005_cause_one_token_issue(self, kiwoom):
        credential = connect()
        kiwoom.control.expire_tokens()  # revoked at Kiwoom while it looks valid here
        kiwoom.control.reset_stats()
        clients = [bearer_client(credential.user) for _ in range(50)]

        statuses = run_concurrently(50, lambda i: clients[i].get(URL).status_code)

        assert statuses == [200] * 50
        assert au10001_count(kiwoom, credential) == 1
        # Each request was refused once at most, and retried once at most.
        assert kiwoom.control.stats()["calls"]["kt00018"] <= 100


@pytest.mark.django_db
class TestSameToken:
    """Kiwoom may hand back the live token instead of a new one (LESSONS.md 3): record it, do not loop."""

    @pytest.fixture
    def short_lived(self, kiwoom):
        """A credential whose token (5 minutes left, on both clocks) is inside the refresh margin."""
        kiwoom.control.configure(reissue_mode="same", token_ttl=300)
        credential = connect()
        kiwoom.control.configure(token_ttl=86400)
        kiwoom.control.reset_stats()
        return credential

    def test_the_request_path_records_it_and_keeps_using_the_token(self, short_lived, kiwoom):
        token, expires = short_lived.access_token, short_lived.token_expires_at

        assert token_get_valid(credential=short_lived) == token

        stored = KiwoomCredential.objects.get(pk=short_lived.pk)
        assert stored.last_refresh_outcome == "same_token"
        assert stored.token_expires_at == expires
        assert stored.last_refresh_attempt_at is not None
        assert au10001_count(kiwoom, short_lived) == 1

    def test_it_is_not_asked_for_again_before_it_expires(self, short_lived, kiwoom):
        token_get_valid(credential=short_lived)
        for _ in range(3):
            token_get_valid(credential=KiwoomCredential.objects.get(pk=short_lived.pk))

        assert au10001_count(kiwoom, short_lived) == 1
        assert token_refresh_due() == []
        assert token_refresh(credential_id=short_lived.pk).outcome == ""

    def test_the_sweep_records_it_and_asks_again_just_after_expiry(self, short_lived, kiwoom):
        expires = short_lived.token_expires_at

        result = token_refresh(credential_id=short_lived.pk)

        assert result.outcome == "same_token"
        assert result.retry_at == expires + SAME_TOKEN_RETRY_DELAY
        stored = KiwoomCredential.objects.get(pk=short_lived.pk)
        assert stored.next_refresh_at == expires + SAME_TOKEN_RETRY_DELAY

    def test_after_expiry_a_new_token_is_issued(self, short_lived, kiwoom):
        expires = short_lived.token_expires_at
        token_refresh(credential_id=short_lived.pk)
        later = expires + SAME_TOKEN_RETRY_DELAY + timedelta(seconds=1)
        kiwoom.control.advance_clock((later - timezone.now()).total_seconds())

        with time_machine.travel(later):
            assert [pk for pk, _ in token_refresh_due()] == [short_lived.pk]
            result = token_refresh(credential_id=short_lived.pk)

        assert result.outcome == "refreshed"
        stored = KiwoomCredential.objects.get(pk=short_lived.pk)
        assert stored.access_token != short_lived.access_token
        assert stored.token_expires_at > expires + timedelta(hours=23)
        assert au10001_count(kiwoom, short_lived) == 2


@pytest.mark.django_db
class TestSweepWindow:
    """The sweep renews a token inside its window and not before; time travels on both clocks."""

    def test_a_token_is_renewed_inside_the_window_and_not_before(self, kiwoom, settings):
        credential = connect()
        expires = credential.token_expires_at
        kiwoom.control.reset_stats()

        with time_machine.travel(expires - timedelta(minutes=11)):
            assert token_refresh_due() == []
            assert token_refresh(credential_id=credential.pk).outcome == ""

        nine_minutes_before = expires - timedelta(minutes=9)
        kiwoom.control.advance_clock((nine_minutes_before - timezone.now()).total_seconds())
        with time_machine.travel(nine_minutes_before):
            assert token_refresh_due() == [(credential.pk, expires)]
            assert token_refresh(credential_id=credential.pk).outcome == "refreshed"
            assert token_refresh_due() == []
            assert token_refresh(credential_id=credential.pk).outcome == ""

        credential.refresh_from_db()
        assert credential.token_expires_at - expires > timedelta(hours=23)
        assert credential.last_refreshed_at < expires  # renewed before the old token died
        assert au10001_count(kiwoom, credential) == 1

    def test_an_expired_token_is_due_too(self, kiwoom):
        credential = connect()
        expire_within(credential, -timedelta(hours=1))

        assert [pk for pk, _ in token_refresh_due()] == [credential.pk]
        assert token_refresh(credential_id=credential.pk).outcome == "refreshed"

    def test_the_soonest_expiry_comes_first(self, db):
        later = KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=8))
        sooner = KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=2))
        KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(hours=2))

        assert [pk for pk, _ in token_refresh_due()] == [sooner.pk, later.pk]

    def test_invalid_and_blocked_credentials_are_not_swept(self, db):
        soon = timezone.now() + timedelta(minutes=2)
        KiwoomCredentialFactory(token_expires_at=soon, status="invalid")
        KiwoomCredentialFactory(token_expires_at=soon, status="blocked")

        assert token_refresh_due() == []

    def test_a_deleted_credential_is_nothing_to_do(self, db):
        assert token_refresh(credential_id=987_654_321).outcome == ""


@pytest.mark.django_db
class TestRefusals:
    def test_refused_keys_mark_the_credential_invalid_and_stop_its_refreshes(self, kiwoom):
        credential = connect()
        KiwoomCredential.objects.filter(pk=credential.pk).update(
            app_secret="no-longer-valid", token_expires_at=timezone.now() + timedelta(minutes=5)
        )

        result = token_refresh(credential_id=credential.pk)

        assert result.outcome == "invalid_keys"
        assert result.retry_at is None
        stored = KiwoomCredential.objects.get(pk=credential.pk)
        assert (stored.status, stored.last_error_code) == ("invalid", "8001")
        assert stored.next_refresh_at is None
        assert token_refresh_due() == []

    @responses.activate
    @pytest.mark.parametrize(
        ("code", "text"),
        [
            ("8002", "App Key와 Secret Key 검증에 실패했습니다"),
            ("8030", "투자구분(실전/모의)이 달라서 Appkey를 사용할수가 없습니다"),  # real keys on mock, say
        ],
    )
    def test_keys_refused_for_what_they_are_mark_the_credential_invalid(self, db, settings, code, text):
        settings.KIWOOM_MOCK_BASE_URL = KIWOOM_HOST
        responses.post(
            f"{KIWOOM_HOST}/oauth2/token",
            json={"return_code": 3, "return_msg": f"인증에 실패했습니다[{code}:{text}]"},
        )
        credential = KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=5))

        result = token_refresh(credential_id=credential.pk)

        assert result.outcome == "invalid_keys"
        stored = KiwoomCredential.objects.get(pk=credential.pk)
        assert (stored.status, stored.last_error_code) == ("invalid", code)
        assert token_refresh_due() == []

    @responses.activate
    def test_a_refused_ip_blocks_the_credential_and_explains_why(self, db, settings):
        settings.KIWOOM_MOCK_BASE_URL = KIWOOM_HOST
        responses.post(
            f"{KIWOOM_HOST}/oauth2/token",
            json={"return_code": 3, "return_msg": "인증에 실패했습니다[8050:지정단말기 인증에 실패했습니다]"},
        )
        credential = KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=5))

        result = token_refresh(credential_id=credential.pk)

        assert result.outcome == "device_refused"
        stored = KiwoomCredential.objects.get(pk=credential.pk)
        assert (stored.status, stored.last_error_code) == ("blocked", "8050")
        assert stored.last_refresh_outcome == "device_refused"
        assert token_refresh_due() == []

    @responses.activate
    @pytest.mark.parametrize(
        ("code", "text"),
        [
            ("8011", "입력값에 grant_type이 들어오지 않았습니다"),
            ("8012", "grant_type의 값이 맞지 않습니다"),
            ("8020", "입력파라미터로 appkey 또는 secretkey가 들어오지 않았습니다."),
        ],
    )
    def test_a_request_kiwoom_could_not_read_fails_without_calling_the_keys_refused(
        self, db, settings, code, text
    ):
        """grant_type missing or wrong, or keys missing from the request: our fault, not the keys'."""
        settings.KIWOOM_MOCK_BASE_URL = KIWOOM_HOST
        responses.post(
            f"{KIWOOM_HOST}/oauth2/token", json={"return_code": 3, "return_msg": f"인증 실패[{code}:{text}]"}
        )
        credential = KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=5))

        result = token_refresh(credential_id=credential.pk)

        assert result.outcome == "failed"
        stored = KiwoomCredential.objects.get(pk=credential.pk)
        assert (stored.status, stored.last_error_code) == ("active", code)
        assert stored.last_refresh_outcome == "failed"
        assert [pk for pk, _ in token_refresh_due()] == [credential.pk]  # the next sweep tries again

    def test_a_429_on_the_token_call_is_raised_for_a_retry(self, kiwoom):
        credential = connect()
        expire_within(credential, timedelta(minutes=5))
        kiwoom.control.inject_fault("rate_limit", api_id="au10001", count=1)

        with pytest.raises(KiwoomRateLimited):
            token_refresh(credential_id=credential.pk)

        stored = KiwoomCredential.objects.get(pk=credential.pk)
        assert (stored.status, stored.last_refresh_outcome) == ("active", "failed")
        assert token_refresh(credential_id=credential.pk).outcome == "refreshed"

    def test_kiwoom_unreachable_is_recorded_and_raised_for_a_retry(self, kiwoom):
        credential = connect()
        expire_within(credential, timedelta(minutes=5))
        kiwoom.control.inject_fault("http_5xx", api_id="au10001", count=1, status=503)

        with pytest.raises(KiwoomUnavailable):
            token_refresh(credential_id=credential.pk)

        stored = KiwoomCredential.objects.get(pk=credential.pk)
        assert (stored.status, stored.last_refresh_outcome) == ("active", "failed")
        assert [pk for pk, _ in token_refresh_due()] == [credential.pk]  # still due: the next try renews it
        assert token_refresh(credential_id=credential.pk).outcome == "refreshed"


@pytest.mark.django_db
class TestNextRefresh:
    def test_a_sweep_window_before_expiry(self, settings):
        settings.KIWOOM_TOKEN_SWEEP_WINDOW = 600
        expires = timezone.now() + timedelta(hours=5)
        credential = KiwoomCredentialFactory(token_expires_at=expires)

        assert credential.next_refresh_at == expires - timedelta(minutes=10)

    def test_an_overdue_refresh_is_now(self):
        credential = KiwoomCredentialFactory(token_expires_at=timezone.now() + timedelta(minutes=1))

        before = timezone.now()
        assert before <= credential.next_refresh_at <= timezone.now()

    def test_none_for_a_credential_that_is_not_refreshed(self):
        assert KiwoomCredentialFactory(status="invalid").next_refresh_at is None
        assert KiwoomCredentialFactory(status="blocked").next_refresh_at is None


@pytest.mark.django_db
class TestAuditTrail:
    def test_a_renewal_and_a_refusal_are_recorded_without_the_token(self, kiwoom):
        from accounts.models import SecurityEvent

        credential = connect()
        expire_within(credential, timedelta(minutes=5))
        old_token = KiwoomCredential.objects.get(pk=credential.pk).access_token

        token_refresh(credential_id=credential.pk)
        KiwoomCredential.objects.filter(pk=credential.pk).update(
            app_secret="no-longer-valid", token_expires_at=timezone.now() + timedelta(minutes=5)
        )
        token_refresh(credential_id=credential.pk)

        events = SecurityEvent.objects.filter(action=SecurityEvent.Action.TOKEN_RENEW).order_by("pk")
        assert [(e.user_id, e.outcome) for e in events] == [
            (credential.user_id, SecurityEvent.Outcome.SUCCESS),
            (credential.user_id, SecurityEvent.Outcome.REFUSED),
        ]
        assert events[1].details["kiwoom_code"] == "8001"
        new_token = KiwoomCredential.objects.get(pk=credential.pk).access_token
        stored = repr(list(SecurityEvent.objects.values()))
        assert old_token not in stored and new_token not in stored and "no-longer-valid" not in stored
