"""The daily stock master sync: scheduled by beat, and the same sync as the command."""

import pytest
from django.conf import settings

from brokerage.market.models import Stock
from brokerage.market.tasks import market_stock_master_sync

pytestmark = pytest.mark.django_db


def test_beat_runs_the_sync_every_morning():
    entry = settings.CELERY_BEAT_SCHEDULE["market-stock-master-sync"]

    assert entry["task"] == "brokerage.market.tasks.market_stock_master_sync"
    assert entry["schedule"].hour == {settings.MARKET_STOCK_MASTER_SYNC_HOUR}


def test_the_task_syncs_and_says_how_many_codes_are_listed(connected_api, kiwoom):
    listed = market_stock_master_sync.apply().get()

    assert listed == Stock.objects.filter(is_listed=True).count() >= 2_500
