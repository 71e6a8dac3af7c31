"""Leases of credentials between stream processes: one owner at a time, renewed or lapsing, fenced."""

import time

import pytest

from brokerage.live import leases
from brokerage.live.leases import lease_owners, lease_release, leases_acquire, leases_renew


@pytest.fixture(params=["redis", "local"])
def backend(request, settings):
    if request.param == "local":
        settings.REDIS_URL = ""
    leases.leases_forget_local()
    yield request.param
    leases.leases_forget_local()


def test_a_credential_has_one_owner_at_a_time(backend):
    [first] = leases_acquire(credential_ids=[1], owner="A", ttl=5)
    assert leases_acquire(credential_ids=[1, 2], owner="B", ttl=5)[0].credential_id == 2
    assert lease_owners(credential_ids=[1, 2, 3]) == {1: "A", 2: "B"}
    assert first.remaining() > 4


def test_an_unrenewed_lease_lapses_and_the_next_owner_gets_a_higher_fence(backend):
    [first] = leases_acquire(credential_ids=[1], owner="A", ttl=0.2)
    time.sleep(0.3)
    [second] = leases_acquire(credential_ids=[1], owner="B", ttl=5)
    assert second.fence > first.fence
    assert leases_renew(leases=[first], ttl=5) == [None]  # A lost it: its renewal must not steal it back
    assert lease_owners(credential_ids=[1]) == {1: "B"}


def test_renewal_keeps_the_lease(backend):
    [lease] = leases_acquire(credential_ids=[1], owner="A", ttl=0.3)
    for _ in range(3):
        time.sleep(0.15)
        [lease] = leases_renew(leases=[lease], ttl=0.3)
        assert lease is not None
    assert leases_acquire(credential_ids=[1], owner="B", ttl=5) == []


def test_release_frees_it_at_once_but_only_for_its_holder(backend):
    [first] = leases_acquire(credential_ids=[1], owner="A", ttl=0.2)
    time.sleep(0.3)
    [second] = leases_acquire(credential_ids=[1], owner="B", ttl=5)
    lease_release(lease=first)  # A's stale release leaves B's lease alone
    assert lease_owners(credential_ids=[1]) == {1: "B"}
    lease_release(lease=second)
    assert lease_owners(credential_ids=[1]) == {}
    assert leases_acquire(credential_ids=[1], owner="C", ttl=5)[0].owner == "C"
