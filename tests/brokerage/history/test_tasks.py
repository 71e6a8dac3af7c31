"""The beat tasks: the daily sweep fans out in chunks and skips closing days; index closes for the chart."""

from datetime import date

import pytest
import time_machine

from brokerage.history.models import AccountSnapshot, IndexCode, IndexDaily, SnapshotKind
from brokerage.history.services.indices import index_closes_refresh
from brokerage.history.tasks import history_snapshots_daily, history_snapshots_intraday
from kiwoom_sim.handlers import TR_REGISTRY
from tests.brokerage.history.conftest import kst

pytestmark = pytest.mark.django_db

WED, SAT = date(2026, 12, 23), date(2026, 12, 26)


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.HISTORY_SWEEP_CHUNK = 1


def test_the_daily_task_takes_every_account_in_chunks(
    connected, user, eager, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(kst(WED, 15, 40), tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        queued = history_snapshots_daily()

    assert queued == 1 and len(callbacks) >= 1
    assert AccountSnapshot.objects.filter(user=user, kind=SnapshotKind.DAILY, date=WED).count() == 1


def test_on_a_weekend_the_tasks_take_nothing_new(connected, user, eager, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(kst(SAT, 15, 40), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        history_snapshots_intraday()
        history_snapshots_daily()

    dated_saturday = AccountSnapshot.objects.filter(user=user, date=SAT)
    assert not dated_saturday.exists()


@pytest.mark.skipif(
    "ka20006" not in TR_REGISTRY, reason="the simulator's ka20006 (handlers/chart.py) has not landed yet"
)
def test_index_closes_are_kept_for_the_benchmark_lines(connected, kiwoom):
    written = index_closes_refresh(until=date.today())

    assert written > 0
    kospi = IndexDaily.objects.filter(index_code=IndexCode.KOSPI)
    assert kospi.exists() and all(row.close > 0 for row in kospi)
    # A second run only tops up: nothing older is fetched again.
    assert index_closes_refresh(until=date.today()) == 0
