"""Renewal on the request path when Kiwoom misbehaves: a live token stays in use, refused keys and a
handed-back token are not asked for again and again."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from brokerage.connections.models import KiwoomCredential, RefreshOutcome
from tests.conftest import bearer_client

BALANCE = "/api/v1/kiwoom/account/balance"


def au10001_calls(kiwoom) -> int:
    return kiwoom.control.stats()["calls"].get("au10001", 0)


@pytest.mark.django_db
def test_a_failed_renewal_keeps_the_live_token_in_use_and_is_not_retried_at_once(connected_api, user, kiwoom):
    KiwoomCredential.objects.filter(user=user).update(token_expires_at=timezone.now() + timedelta(minutes=5))
    kiwoom.control.inject_fault("http_5xx", api_id="au10001", count=10, status=503)
    kiwoom.control.reset_stats()

    first = connected_api.get(BALANCE)
    second = connected_api.get(BALANCE)

    assert first.status_code == 200
    assert second.status_code == 200
    assert au10001_calls(kiwoom) == 1
    assert KiwoomCredential.objects.get(user=user).last_refresh_outcome == RefreshOutcome.FAILED


@pytest.mark.django_db
def test_a_token_kiwoom_just_handed_back_is_used_even_at_its_expiry(connected_api, user, kiwoom):
    now = timezone.now()
    KiwoomCredential.objects.filter(user=user).update(
        token_expires_at=now - timedelta(seconds=1),
        last_refresh_outcome=RefreshOutcome.SAME_TOKEN,
        last_refresh_attempt_at=now,
    )
    kiwoom.control.reset_stats()

    response = connected_api.get(BALANCE)

    assert response.status_code == 200
    assert au10001_calls(kiwoom) == 0


@pytest.mark.django_db(transaction=True)
def test_requests_waiting_on_a_renewal_that_kiwoom_refused_do_not_try_the_keys_again(
    connected_api, user, kiwoom
):
    KiwoomCredential.objects.filter(user=user).update(
        app_secret="no-longer-valid", token_expires_at=timezone.now()
    )
    kiwoom.control.inject_fault("latency", api_id="au10001", count=1, latency_ms=300)
    kiwoom.control.reset_stats()
    statuses = []

    def poll():
        try:
            statuses.append(bearer_client(user).get(BALANCE).status_code)
        finally:
            connection.close()  # the thread's own connection, so that the test database can be dropped

    threads = [threading.Thread(target=poll) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert au10001_calls(kiwoom) == 1
    assert sorted(set(statuses)) <= [400, 409]
    assert 400 in statuses
