"""Locks and claims: shared through Redis by every process, process-local on embedded defaults."""

import threading
import time
import uuid

import pytest

from brokerage.connections.coordination import (
    claim_many,
    named_lock,
    redis_client,
    version_bump,
    version_read,
)
from brokerage.connections.errors import KiwoomBusy, KiwoomUnavailable


@pytest.fixture(params=["redis", "local"])
def backend(request, settings):
    """Each test runs against the shared Redis and against the process-local fallback (REDIS_URL empty)."""
    if request.param == "local":
        settings.REDIS_URL = ""
    else:
        assert settings.REDIS_URL, "these tests need the machine's Redis (REDIS_URL)"
    return request.param


def unique(name: str) -> str:
    return f"test:{name}:{uuid.uuid4().hex}"


class TestNamedLock:
    def test_holders_never_overlap(self, backend):
        name = unique("overlap")
        inside, overlaps = [], []

        def hold():
            with named_lock(name):
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(1)
                time.sleep(0.005)
                inside.pop()

        threads = [threading.Thread(target=hold) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert overlaps == []

    def test_a_held_lock_times_out_for_others(self, backend):
        name = unique("held")
        entered = threading.Event()
        release = threading.Event()

        def holder():
            with named_lock(name):
                entered.set()
                release.wait(5)

        thread = threading.Thread(target=holder)
        thread.start()
        entered.wait(5)
        try:
            started = time.monotonic()
            with pytest.raises(KiwoomBusy), named_lock(name, wait=0.2):
                pass
            assert 0.15 < time.monotonic() - started < 2
        finally:
            release.set()
            thread.join()

    def test_a_released_lock_is_free_again(self, backend):
        name = unique("again")
        with named_lock(name):
            pass
        with named_lock(name, wait=0.1):
            pass

    def test_a_crashed_holder_blocks_others_only_until_its_ttl(self, settings):
        name = unique("crashed")
        # A holder that died without releasing: only its key in Redis is left.
        redis_client().set(f"stocklab:lock:{name}", b"dead-holder", px=300)

        started = time.monotonic()
        with named_lock(name, wait=3):
            waited = time.monotonic() - started

        assert 0.2 < waited < 1.5


class TestClaims:
    def test_the_first_claim_wins_and_later_ones_are_refused(self, backend):
        first, second = unique("a"), unique("b")

        assert claim_many([first, second], ttl=30) == [True, True]
        assert claim_many([first, second], ttl=30) == [False, False]
        assert claim_many([unique("c"), first], ttl=30) == [True, False]

    def test_a_claim_lapses_after_its_ttl(self, backend):
        name = unique("lapse")
        assert claim_many([name], ttl=0.2) == [True]

        time.sleep(0.3)

        assert claim_many([name], ttl=0.2) == [True]

    def test_concurrent_claimers_get_each_name_once(self, backend):
        names = [unique(str(i)) for i in range(50)]
        results = []

        def claim():
            results.append(claim_many(names, ttl=30))

        threads = [threading.Thread(target=claim) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert [sum(column) for column in zip(*results, strict=True)] == [1] * len(names)

    def test_nothing_to_claim_needs_no_round_trip(self, backend):
        assert claim_many([], ttl=1) == []


class TestVersions:
    def test_a_version_stays_until_it_is_bumped(self, backend):
        name = f"test-{uuid.uuid4().hex}"
        first = version_read(name)

        assert version_read(name) == first
        version_bump(name)
        assert version_read(name) not in ("", first)

    def test_a_lock_held_past_the_wait_is_the_domain_error_kiwoom_unavailable(self, backend):
        """Nobody outside connections catches a coordination exception: the timeout is an API error."""
        name = f"test-{uuid.uuid4().hex}"
        with named_lock(name), pytest.raises(KiwoomBusy) as busy, named_lock(name, wait=0.05):
            pass

        assert isinstance(busy.value, KiwoomUnavailable)
        assert busy.value.code == "kiwoom_unavailable"
