"""History fixtures: days to travel through, and a connected account whose keys predate them."""

from datetime import date, datetime, time

import pytest

from brokerage.connections.models import KiwoomCredential
from brokerage.kiwoom.parsing import KST


def kst(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KST)


@pytest.fixture
def connected(connected_api, user, settings):
    """The user connected to the simulator since well before the travelled days; sweeps in one thread."""
    settings.HISTORY_SWEEP_THREADS = 1
    KiwoomCredential.objects.filter(user=user).update(created_at=kst(date(2026, 12, 22), 8))
    return connected_api
