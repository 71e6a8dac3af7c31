"""The shared rate limiter: one GCRA bucket per credential and TR, kept in Redis for every process.

Callers wait briefly for a slot instead of failing; past KIWOOM_RATE_LIMIT_WAIT the API answers 429 with
Retry-After and Kiwoom receives nothing; an upstream 429 slows the bucket down.
"""

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from itertools import pairwise

import pytest

from brokerage.connections import gateway, ratelimit
from brokerage.connections.models import KiwoomCredential
from brokerage.connections.ratelimit import SPACING_MARGIN, SlotUnavailable
from tests.conftest import DEMO_APP_KEY

pytestmark = pytest.mark.django_db

URL = "/api/v1/kiwoom/account/balance"
PAIR = ["kt00018", "kt00001"]


@pytest.fixture
def credential_id():
    """Buckets of their own for each test (Redis outlives the test database)."""
    return uuid.uuid4().int % 10**12


@pytest.fixture(params=["redis", "local"])
def backend(request, settings):
    if request.param == "local":
        settings.REDIS_URL = ""
    return request.param


class Reservations:
    """How many reservations the buckets handed out: orders a test's callers without guessing at sleeps."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def add(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_for(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count >= count, timeout=5)


@pytest.fixture
def reservations(monkeypatch):
    counted = Reservations()
    for buckets in (ratelimit._RedisBuckets, ratelimit._LocalBuckets):

        def reserve(self, *args, _original=buckets.reserve):
            result = _original(self, *args)
            counted.add()
            return result

        monkeypatch.setattr(buckets, "reserve", reserve)
    return counted


def acquire_in_thread(credential_id: int, *, rate: float, max_wait: float) -> tuple[threading.Thread, dict]:
    """`acquire` in a thread of its own; the dict gets `left` (when it returned) or `refused` (the error)."""
    outcome: dict = {}

    def run():
        try:
            ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=rate, max_wait=max_wait)
            outcome["left"] = time.monotonic()
        except SlotUnavailable as exc:
            outcome["refused"] = exc
            outcome["refused_at"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


class TestBuckets:
    def test_the_first_call_goes_at_once_and_the_next_waits_for_its_slot(self, backend, credential_id):
        rate = 10.0

        first = ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=rate, max_wait=2)
        started = time.monotonic()
        second = ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=rate, max_wait=2)
        elapsed = time.monotonic() - started

        interval = (1 + SPACING_MARGIN) / rate
        assert first == 0
        assert interval * 0.8 < second <= interval
        assert elapsed == pytest.approx(second, abs=0.03)

    def test_calls_are_spaced_a_little_wider_than_the_limit(self, backend, credential_id):
        stamps = []
        for _ in range(6):
            ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=20, max_wait=2)
            stamps.append(time.monotonic())

        gaps = [b - a for a, b in pairwise(stamps)]
        assert min(gaps) >= (1 + SPACING_MARGIN) / 20 * 0.9
        # Kiwoom counts a sliding second: never 20 calls in one second, with room for jitter.
        assert stamps[-1] - stamps[0] >= 5 * (1 + SPACING_MARGIN) / 20 * 0.95

    def test_a_caller_that_wakes_late_pushes_the_next_one_back(self, backend, credential_id):
        rate = 5.0
        interval = (1 + SPACING_MARGIN) / rate
        key = ratelimit.bucket_key(credential_id, "kt00018")
        ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=rate, max_wait=2)
        # A second caller gets the next slot, a third the one after it (waiting in its own thread).
        granted, _sent, [slot_in], _version = ratelimit._backend().reserve([key], interval, 2, None)
        third_left = []

        def third_caller():
            ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=rate, max_wait=2)
            third_left.append(time.monotonic())

        third = threading.Thread(target=third_caller)
        third.start()
        # The second caller's process only gets to run 0.1 s after its slot.
        time.sleep(slot_in + 0.1)
        assert ratelimit._backend().confirm([key], interval)[0]  # sent
        second_left = time.monotonic()
        third.join()

        assert granted
        assert third_left[0] - second_left >= interval * 0.95

    def test_past_the_allowed_wait_nothing_is_reserved_and_the_retry_time_is_given(
        self, backend, credential_id
    ):
        ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=1, max_wait=0)

        started = time.monotonic()
        for _ in range(2):  # a refusal reserves nothing: the second one is told the same
            with pytest.raises(SlotUnavailable) as refused:
                ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=1, max_wait=0.5)
            # The next slot is 1.1 s ahead; a caller who may wait 0.5 s is served from 0.6 s on.
            assert refused.value.retry_after == pytest.approx(1 + SPACING_MARGIN - 0.5, abs=0.05)

        assert time.monotonic() - started < 0.1  # refused without waiting

    def test_buckets_are_per_credential_and_per_tr(self, backend, credential_id):
        ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=1, max_wait=0)

        assert ratelimit.acquire(credential_id=credential_id, api_id="kt00001", rate=1, max_wait=0) == 0
        assert ratelimit.acquire(credential_id=credential_id + 1, api_id="kt00018", rate=1, max_wait=0) == 0
        with pytest.raises(SlotUnavailable):
            ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=1, max_wait=0)

    def test_slots_of_several_trs_are_reserved_all_or_none(self, backend, credential_id):
        ratelimit.acquire(credential_id=credential_id, api_id="kt00001", rate=1, max_wait=0)

        with pytest.raises(SlotUnavailable) as refused:
            ratelimit.reserve(credential_id=credential_id, api_ids=PAIR, rate=1, max_wait=0.5)

        # kt00001's next slot is 1.1 s ahead: the pair is served from 0.6 s on, and kt00018 kept its slot.
        assert refused.value.retry_after == pytest.approx(1 + SPACING_MARGIN - 0.5, abs=0.05)
        assert ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=1, max_wait=0) == 0

    def test_slots_reserved_together_are_taken_together_when_the_last_comes(self, backend, credential_id):
        interval = (1 + SPACING_MARGIN) / 2
        ratelimit.acquire(credential_id=credential_id, api_id="kt00001", rate=2, max_wait=0)

        reservation = ratelimit.reserve(credential_id=credential_id, api_ids=PAIR, rate=2, max_wait=1)

        for api_id in PAIR:  # both slots are reserved
            with pytest.raises(SlotUnavailable):
                ratelimit.acquire(credential_id=credential_id, api_id=api_id, rate=2, max_wait=0)
        assert ratelimit.wait_for(reservation) == pytest.approx(interval, abs=0.05)
        # kt00018's call left with kt00001's, not at its own earlier slot: its next is a whole interval on.
        with pytest.raises(SlotUnavailable) as refused:
            ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=2, max_wait=0)
        assert refused.value.retry_after == pytest.approx(interval, abs=0.05)

    def test_a_group_books_its_less_busy_bucket_from_when_the_group_leaves(self, backend, credential_id):
        """Not from that bucket's own earlier slot: a caller behind would be given a slot that the group's
        late send then pushes out of reach, and would wait only to be refused."""
        interval = 1 + SPACING_MARGIN
        ratelimit.acquire(credential_id=credential_id, api_id="kt00001", rate=1, max_wait=0)
        group = ratelimit.reserve(credential_id=credential_id, api_ids=PAIR, rate=1, max_wait=2)

        with pytest.raises(SlotUnavailable) as refused:  # kt00018's next slot is after the group's send
            ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=1, max_wait=interval + 0.05)

        assert group.wait == pytest.approx(interval, abs=0.05)
        assert refused.value.retry_after == pytest.approx(interval, abs=0.1)

    def test_a_call_on_a_slot_taken_together_counts_from_when_it_really_leaves(
        self, backend, credential_id, settings
    ):
        """The pair's sends are recorded when the slots are taken; a call that leaves later (a pool thread
        slow to start, or every thread busy) pushes its bucket's next slot back to a whole interval after."""
        settings.KIWOOM_RATE_LIMIT_MOCK = 1
        interval = 1 + SPACING_MARGIN
        key = ratelimit.bucket_key(credential_id, "kt00001")
        with gateway.calls_for(credential_id=credential_id, mode="mock"):
            gateway.slots_take(PAIR)
            time.sleep(0.3)
            gateway._throttle("kt00001", "token")

        sent, wait, _free = ratelimit._backend().confirm([key], interval)
        assert not sent
        assert wait == pytest.approx(interval, abs=0.05)  # from the real departure, not 0.3 s earlier

    def test_slots_reserved_together_that_move_out_of_reach_are_all_given_up(self, backend, credential_id):
        ratelimit.acquire(credential_id=credential_id, api_id="kt00001", rate=2, max_wait=0)
        reservation = ratelimit.reserve(credential_id=credential_id, api_ids=PAIR, rate=2, max_wait=1)
        ratelimit.penalize(credential_id=credential_id, api_id="kt00001", seconds=2)

        with pytest.raises(SlotUnavailable):
            ratelimit.wait_for(reservation)

        # kt00018 recorded no send either: the bucket still remembers only its reserved slot.
        sent, wait, _free = ratelimit._backend().confirm([ratelimit.bucket_key(credential_id, "kt00018")], 1)
        assert (sent, wait) == (True, 0)

    def test_an_upstream_429_closes_the_bucket_for_a_whole_window(self, backend, credential_id):
        ratelimit.penalize(credential_id=credential_id, api_id="kt00018")

        with pytest.raises(SlotUnavailable) as refused:
            ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=100, max_wait=0.5)
        assert refused.value.retry_after == pytest.approx(ratelimit.PENALTY_SECONDS - 0.5, abs=0.1)
        waited = ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=100, max_wait=2)
        assert waited == pytest.approx(ratelimit.PENALTY_SECONDS, abs=0.1)

    def test_a_slot_reserved_before_an_upstream_429_waits_for_the_penalty_to_end(
        self, backend, reservations, credential_id
    ):
        ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=10, max_wait=2)
        # The next caller holds the slot 0.11 s ahead and sleeps toward it when Kiwoom answers 429.
        caller, outcome = acquire_in_thread(credential_id, rate=10, max_wait=2)
        assert reservations.wait_for(2)
        ratelimit.penalize(credential_id=credential_id, api_id="kt00018")
        penalized_at = time.monotonic()
        caller.join(timeout=10)

        assert "refused" not in outcome
        assert outcome["left"] - penalized_at >= ratelimit.PENALTY_SECONDS * 0.95

    def test_a_slot_that_an_upstream_429_pushes_past_the_allowed_wait_is_given_up(
        self, backend, reservations, credential_id
    ):
        ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=10, max_wait=2)
        started = time.monotonic()
        caller, outcome = acquire_in_thread(credential_id, rate=10, max_wait=0.5)
        assert reservations.wait_for(2)
        ratelimit.penalize(credential_id=credential_id, api_id="kt00018")
        caller.join(timeout=10)

        assert "left" not in outcome  # nothing sent inside the penalty
        assert outcome["refused_at"] - started <= 0.5 + 0.2  # never waited longer than allowed
        # A retry after the time given is served within its allowed wait.
        time.sleep(outcome["refused"].retry_after)
        assert ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=10, max_wait=0.5) <= 0.5

    @staticmethod
    def caller_ahead_sends_late(credential_id, reservations, *, rate, third_wait, lateness):
        """A first call goes; a second caller holds the next slot and sends `lateness` s after it; a third,
        allowed `third_wait`, holds the slot after that. (started, when the second left, third's outcome)."""
        interval = (1 + SPACING_MARGIN) / rate
        key = ratelimit.bucket_key(credential_id, "kt00018")
        ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=rate, max_wait=0)
        started = time.monotonic()
        granted, _sent, [slot_in], _version = ratelimit._backend().reserve([key], interval, 2, None)
        third, outcome = acquire_in_thread(credential_id, rate=rate, max_wait=third_wait)
        assert granted
        assert reservations.wait_for(3)
        time.sleep(max(0.0, started + slot_in + lateness - time.monotonic()))
        assert ratelimit._backend().confirm([key], interval)[0]  # sent
        second_left = time.monotonic()
        third.join(timeout=10)
        return started, second_left, outcome

    def test_a_caller_ahead_that_sends_late_never_stretches_the_wait_past_the_allowed_one(
        self, backend, reservations, credential_id
    ):
        # Slots 0.55 s apart; the third's (1.1 s ahead) is allowed 1.2 s. The second sends 0.45 s late: the
        # third's turn is then 0.55 s after that, past what it may wait.
        started, _second_left, outcome = self.caller_ahead_sends_late(
            credential_id, reservations, rate=2.0, third_wait=1.2, lateness=0.45
        )

        assert "left" not in outcome
        assert outcome["refused_at"] - started <= 1.2 + 0.2

    def test_a_caller_ahead_that_sends_a_little_late_does_not_cost_the_next_one_its_slot(
        self, backend, reservations, credential_id
    ):
        # Slots 1.1 s apart; the third's is at the edge of its wait. The second sends 0.05 s late, less than
        # the spacing margin (0.11 s).
        interval = 1 + SPACING_MARGIN
        _started, second_left, outcome = self.caller_ahead_sends_late(
            credential_id, reservations, rate=1.0, third_wait=2 * interval + 0.01, lateness=0.05
        )

        assert "refused" not in outcome
        assert outcome["left"] - second_left >= interval * 0.95

    def test_a_penalty_never_shortens_a_longer_queue(self, backend, credential_id):
        ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=0.25, max_wait=0)

        ratelimit.penalize(credential_id=credential_id, api_id="kt00018")

        with pytest.raises(SlotUnavailable) as refused:
            ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=0.25, max_wait=0)
        assert refused.value.retry_after == pytest.approx((1 + SPACING_MARGIN) / 0.25, abs=0.1)


CHILD = textwrap.dedent(
    """
    import json, sys, time
    from brokerage.connections import ratelimit

    credential_id, start_at = int(sys.argv[1]), float(sys.argv[2])
    time.sleep(max(0.0, start_at - time.time()))
    stamps = []
    for _ in range(5):
        ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=10, max_wait=5)
        stamps.append(time.time())
    print(json.dumps(stamps))
    """
)


def test_processes_share_one_bucket(settings, credential_id):
    """Two processes with their own Redis clients, starting together, get their slots from one bucket."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "stocklab.settings.test",
        "REDIS_URL": settings.REDIS_URL,
    }
    start_at = time.time() + 2.0
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(credential_id), str(start_at)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=30)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]

    stamps = sorted(stamp for output in outputs for stamp in json.loads(output))
    interval = (1 + SPACING_MARGIN) / 10
    assert min(b - a for a, b in pairwise(stamps)) > interval * 0.7
    assert stamps[-1] - stamps[0] >= 9 * interval * 0.95


class TestThroughTheApi:
    """Mock's real limit (1/s per TR) on both sides: ours and the simulator's."""

    @pytest.fixture
    def paced(self, connected_api, kiwoom, settings):
        settings.KIWOOM_RATE_LIMIT_MOCK = 1
        settings.KIWOOM_BALANCE_COALESCING = False
        kiwoom.control.configure(rate_limit=1)
        kiwoom.control.reset_stats()
        return connected_api

    def test_a_caller_waits_for_a_slot_and_then_succeeds(self, paced, kiwoom):
        first = paced.get(URL)
        started = time.monotonic()
        second = paced.get(URL)
        elapsed = time.monotonic() - started

        assert (first.status_code, second.status_code) == (200, 200)
        assert elapsed >= 0.9  # waited for kt00018's next slot instead of failing
        calls = kiwoom.control.stats()["calls_by_app_key"][DEMO_APP_KEY]
        assert calls["kt00018"] == 2  # nothing refused upstream, nothing resent

    def test_past_the_allowed_wait_the_answer_is_429_with_retry_after_and_kiwoom_sees_nothing(
        self, paced, kiwoom, settings
    ):
        settings.KIWOOM_RATE_LIMIT_WAIT = 0.5
        assert paced.get(URL).status_code == 200

        response = paced.get(URL)

        assert response.status_code == 429
        assert response.json()["code"] == "kiwoom_rate_limited"
        assert response["Retry-After"] == "1"
        assert kiwoom.control.stats()["calls_by_app_key"][DEMO_APP_KEY]["kt00018"] == 1

    def test_a_balance_refused_one_of_its_two_slots_takes_neither(self, paced, kiwoom, settings):
        settings.KIWOOM_RATE_LIMIT_WAIT = 0.5
        credential_id = KiwoomCredential.objects.get().pk
        # Another caller has just used kt00001's slot; kt00018's is free.
        ratelimit.acquire(credential_id=credential_id, api_id="kt00001", rate=1, max_wait=0)

        response = paced.get(URL)

        assert response.status_code == 429
        assert response.json()["code"] == "kiwoom_rate_limited"
        assert kiwoom.control.stats()["calls_by_app_key"].get(DEMO_APP_KEY, {}) == {}
        # kt00018's slot was not wasted on a request that could not be served.
        assert ratelimit.acquire(credential_id=credential_id, api_id="kt00018", rate=1, max_wait=0) == 0

    def test_an_upstream_429_slows_the_bucket_and_the_call_is_tried_once_more(self, paced, kiwoom):
        kiwoom.control.inject_fault("rate_limit", api_id="kt00018", count=1)

        started = time.monotonic()
        response = paced.get(URL)

        assert response.status_code == 200
        assert time.monotonic() - started >= ratelimit.PENALTY_SECONDS * 0.9
        assert kiwoom.control.stats()["calls"]["kt00018"] == 2

    def test_a_second_upstream_429_reaches_the_caller_with_kiwoom_code(self, paced, kiwoom):
        kiwoom.control.inject_fault("rate_limit", api_id="kt00018", count=2)

        response = paced.get(URL)

        assert response.status_code == 429
        assert response.json()["code"] == "kiwoom_rate_limited"
        assert response.json()["kiwoom_code"] == "1700"
        assert "Retry-After" in response
        assert kiwoom.control.stats()["calls"]["kt00018"] == 2
