"""Calling Kiwoom with a user's keys: a refused token renewed once and the call tried once more, and the
operations of one request sent at the same time. Real PostgreSQL, Redis and simulator throughout."""

import threading
from datetime import timedelta

import pytest
import responses

from brokerage.connections.coordination import redis_client
from brokerage.connections.credential_cache import credentials_forget
from brokerage.connections.errors import KiwoomDeviceNotAllowed, KiwoomNotConnected, KiwoomNotSupportedInMode
from brokerage.connections.models import KiwoomCredential
from brokerage.connections.ratelimit import bucket_key
from brokerage.connections.services import calls, credential_disconnect
from brokerage.connections.services.calls import kiwoom_call, kiwoom_calls
from brokerage.connections.services.tokens import token_refresh
from tests.brokerage.connections.test_tokens import KIWOOM_HOST, au10001_count, connect, expire_within
from tests.factories import KiwoomCredentialFactory


@pytest.mark.django_db
class TestRejectedMidRequest:
    def test_8005_is_answered_with_the_token_another_process_stored(self, kiwoom):
        credential = connect()
        # This process read the credential; then another process renewed the token, which killed ours.
        ours = KiwoomCredential.objects.get(pk=credential.pk)
        expire_within(credential, timedelta(minutes=5))
        assert token_refresh(credential_id=credential.pk).outcome == "refreshed"
        kiwoom.control.reset_stats()

        balance = kiwoom_call(credential=ours, operation=lambda client, token: client.get_balance(token))

        assert balance.holdings
        assert au10001_count(kiwoom, credential) == 0  # re-read, not re-issued
        assert kiwoom.control.stats()["calls"]["kt00018"] == 2
        assert ours.access_token == KiwoomCredential.objects.get(pk=credential.pk).access_token

    def test_8005_with_the_stored_token_still_the_dead_one_issues_once_and_retries_once(self, kiwoom):
        credential = connect()
        old_token = credential.access_token
        kiwoom.control.expire_tokens()
        kiwoom.control.reset_stats()

        kiwoom_call(credential=credential, operation=lambda client, token: client.get_deposit(token))

        assert au10001_count(kiwoom, credential) == 1
        assert kiwoom.control.stats()["calls"]["kt00001"] == 2
        assert KiwoomCredential.objects.get(pk=credential.pk).access_token not in ("", old_token)

    @pytest.mark.parametrize("code", [8010, 8103])
    def test_a_token_refused_for_where_it_was_issued_is_issued_anew_once(self, kiwoom, code):
        """8010 (issued from another IP) and 8103 (token or device check) refuse the token, not the keys."""
        credential = connect()
        old_token = credential.access_token
        kiwoom.control.refuse_tokens(code)
        kiwoom.control.reset_stats()

        deposit = kiwoom_call(
            credential=credential, operation=lambda client, token: client.get_deposit(token)
        )

        assert deposit.deposit > 0
        assert au10001_count(kiwoom, credential) == 1
        assert kiwoom.control.stats()["calls"]["kt00001"] == 2
        stored = KiwoomCredential.objects.get(pk=credential.pk)
        assert stored.status == "active"
        assert stored.access_token not in ("", old_token)

    def test_a_token_refused_again_once_renewed_blocks_the_credential(self, kiwoom, settings):
        credential = connect()
        settings.KIWOOM_MOCK_BASE_URL = KIWOOM_HOST
        refused = {
            "return_code": 3,
            "return_msg": "인증에 실패했습니다[8103:토큰 인증 또는 단말기인증에 실패했습니다]",
        }
        issued = {
            "return_code": 0,
            "return_msg": "",
            "token": "N" * 86,
            "token_type": "bearer",
            "expires_dt": "20991231235959",
        }

        with responses.RequestsMock() as kiwoom_host:
            deposits = kiwoom_host.post(f"{KIWOOM_HOST}/api/dostk/acnt", json=refused)
            issues = kiwoom_host.post(f"{KIWOOM_HOST}/oauth2/token", json=issued)
            with pytest.raises(KiwoomDeviceNotAllowed):
                kiwoom_call(credential=credential, operation=lambda client, token: client.get_deposit(token))

        assert (issues.call_count, deposits.call_count) == (1, 2)  # renewed once, tried once more, no loop
        assert KiwoomCredential.objects.get(pk=credential.pk).status == "blocked"

    def test_a_device_refusal_is_not_cured_by_a_new_token(self, kiwoom):
        credential = connect()
        kiwoom.control.refuse_tokens(8040)
        kiwoom.control.reset_stats()

        with pytest.raises(KiwoomDeviceNotAllowed):
            kiwoom_call(credential=credential, operation=lambda client, token: client.get_deposit(token))

        assert au10001_count(kiwoom, credential) == 0
        assert KiwoomCredential.objects.get(pk=credential.pk).status == "blocked"

    def test_8005_after_the_user_disconnected_is_not_connected(self, kiwoom):
        credential = connect()
        in_flight = KiwoomCredential.objects.get(pk=credential.pk)  # a request read it, then:
        credential_disconnect(user=credential.user)  # revokes the token and deletes the row
        kiwoom.control.reset_stats()

        with pytest.raises(KiwoomNotConnected):
            kiwoom_call(credential=in_flight, operation=lambda client, token: client.get_deposit(token))
        assert kiwoom.control.stats()["calls"].get("au10001", 0) == 0


@pytest.mark.django_db
class TestUpstreamThreads:
    def test_with_every_thread_busy_an_operation_runs_in_the_callers_thread_instead_of_queueing(
        self, monkeypatch
    ):
        monkeypatch.setattr(calls, "UPSTREAM_THREADS", 1)
        monkeypatch.setattr(calls, "_pools", {})
        credential = KiwoomCredentialFactory()  # a live token: no Kiwoom round trip before the operations
        holding, release = threading.Event(), threading.Event()

        def hold(client, token):
            holding.set()
            release.wait(timeout=30)

        # Another request holds the process's only upstream thread with a slow call.
        other = threading.Thread(
            target=kiwoom_calls, kwargs={"credential": credential, "operations": [lambda c, t: None, hold]}
        )
        other.start()
        results = []
        try:
            assert holding.wait(timeout=5)
            caller = threading.Thread(
                target=lambda: results.extend(
                    kiwoom_calls(
                        credential=credential,
                        operations=[lambda c, t: "first", lambda c, t: threading.current_thread()],
                    )
                )
            )
            caller.start()
            caller.join(timeout=5)
            assert not caller.is_alive()  # it did not queue behind the other request's call
        finally:
            release.set()
            other.join(timeout=10)

        assert results == ["first", caller]


@pytest.mark.django_db
def test_a_call_naming_its_tr_takes_its_slot_before_the_operation_runs(settings):
    settings.KIWOOM_RATE_LIMIT_MOCK = 1000
    credential = KiwoomCredentialFactory()
    bucket = bucket_key(credential.pk, "kt10000")

    def operation(client, token):
        assert redis_client().exists(bucket)  # reserved, although nothing was sent yet
        return token

    token = kiwoom_call(credential=credential, operation=operation, api_id="kt10000")

    assert token == credential.access_token


@pytest.mark.django_db
def test_a_tr_the_mode_does_not_offer_leaves_the_keys_last_error_clear(kiwoom):
    """Mock's refusal of a history TR is about that request, not about the keys' health."""
    credential = connect()
    kiwoom.control.refuse_pnl(refuse=True)

    with pytest.raises(KiwoomNotSupportedInMode):
        kiwoom_call(
            credential=credential,
            operation=lambda client, token: client.get_today_realized_pnl(token, stock_code="005930"),
        )

    assert KiwoomCredential.objects.get(pk=credential.pk).last_error_code == ""


class TestCredentialGetConnectedKept:
    def test_a_kept_credential_is_read_from_memory(self, user, django_assert_num_queries):
        credential = KiwoomCredentialFactory(user=user)
        credentials_forget()
        assert calls.credential_get_connected_kept(user=user, mode=credential.mode).pk == credential.pk

        with django_assert_num_queries(0):
            assert calls.credential_get_connected_kept(user=user, mode=credential.mode).pk == credential.pk

    def test_a_disconnected_credential_is_not_connected_however_kept(self, user):
        credential = KiwoomCredentialFactory(user=user)
        calls.credential_get_connected_kept(user=user, mode=credential.mode)

        credential_disconnect(user=user, mode=credential.mode)

        with pytest.raises(KiwoomNotConnected):
            calls.credential_get_connected_kept(user=user, mode=credential.mode)

    def test_without_keys_the_user_is_not_connected(self, user):
        with pytest.raises(KiwoomNotConnected):
            calls.credential_get_connected_kept(user=user, mode="mock")
