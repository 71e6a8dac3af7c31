"""Which codes the user's open pages watch: shared through Redis, lapsing unless refreshed."""

import pytest

from brokerage.kiwoom import STOCK_CODE_RE
from brokerage.live import interest
from brokerage.live.interest import interest_add, interest_codes, interest_codes_many, interest_remove


@pytest.fixture(params=["redis", "local"])
def backend(request, settings):
    """Each test runs against the real Redis and against the one-process fallback."""
    if request.param == "local":
        settings.REDIS_URL = ""
    interest.interest_forget_local()
    yield request.param
    interest.interest_forget_local()


def test_the_union_of_a_users_connections(backend):
    interest_add(user_id=1, connection_id="a", codes=["005930", "000660"])
    interest_add(user_id=1, connection_id="b", codes=["005930", "035420"])
    interest_add(user_id=2, connection_id="c", codes=["373220"])
    assert interest_codes(user_id=1) == {"005930", "000660", "035420"}
    assert interest_codes_many(user_ids=[1, 2, 3]) == {
        1: {"005930", "000660", "035420"},
        2: {"373220"},
        3: frozenset(),
    }


def test_removing_codes_or_a_whole_connection(backend):
    interest_add(user_id=1, connection_id="a", codes=["005930", "000660"])
    interest_add(user_id=1, connection_id="b", codes=["005930"])
    interest_remove(user_id=1, connection_id="a", codes=["000660"])
    assert interest_codes(user_id=1) == {"005930"}
    interest_remove(user_id=1, connection_id="b")
    assert interest_codes(user_id=1) == {"005930"}  # connection a still watches it
    interest_remove(user_id=1, connection_id="a")
    assert interest_codes(user_id=1) == frozenset()


def test_entries_lapse_unless_refreshed(backend, settings, time_machine):
    settings.LIVE_INTEREST_TTL = 30
    time_machine.move_to("2026-12-01 10:00:00+09:00", tick=False)
    interest_add(user_id=1, connection_id="dead-process", codes=["005930"])
    interest_add(user_id=1, connection_id="live", codes=["000660"])
    time_machine.move_to("2026-12-01 10:00:20+09:00", tick=False)
    interest_add(user_id=1, connection_id="live", codes=["000660"])  # the consumer's refresh
    time_machine.move_to("2026-12-01 10:00:40+09:00", tick=False)
    assert interest_codes(user_id=1) == {"000660"}


def test_malformed_codes_are_ignored_and_a_connection_is_capped(backend):
    interest_add(user_id=1, connection_id="a", codes=["005930", "5930", "ABC", "", None, "005930; DROP"])
    assert interest_codes(user_id=1) == {"005930"}
    interest_add(user_id=1, connection_id="b", codes=[f"{n:06d}" for n in range(500)])
    assert len(interest_codes(user_id=1)) == interest.MAX_CODES_PER_CONNECTION + 1


def test_codes_follow_the_one_rule_of_the_client_library(backend):
    # One rule for a stock code (brokerage.kiwoom), letters included (ETNs such as 0000J0).
    assert interest.CODE_SHAPE is STOCK_CODE_RE
    interest_add(user_id=1, connection_id="a", codes=["0000J0", "0000j0"])
    assert interest_codes(user_id=1) == {"0000J0"}
