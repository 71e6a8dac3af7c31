"""KOSPI and KOSDAQ closes (ka20006) for the equity chart's benchmark lines, kept in `IndexDaily`."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from brokerage.connections.services.calls import kiwoom_call
from brokerage.history.models import IndexCode, IndexDaily
from brokerage.market.services import master_credential

# How far back the first fetch reaches (the ALL range's start, in practice); later ones top up from the last.
FIRST_FETCH_DAYS = 400


def index_closes_refresh(*, until: date) -> int:
    """Fetch the closes missing up to `until` for each benchmark index, with the market-data keys (an
    operator's, or any connected, as for the stock master); how many rows were written."""
    credential = master_credential()
    written = 0
    for code in IndexCode:
        last = (
            IndexDaily.objects.filter(index_code=code.value).order_by("-date").values_list("date", flat=True)
        )
        since = (last.first() or until - timedelta(days=FIRST_FETCH_DAYS)) + timedelta(days=1)
        if since > until:
            continue
        candles = kiwoom_call(
            credential=credential,
            operation=lambda client, token, code=code, since=since: client.get_index_daily(
                token, code.value, base_date=until, since=since
            ),
            api_id="ka20006",
        )
        rows = [
            IndexDaily(index_code=code.value, date=candle.date, close=candle.close)
            for candle in candles
            if since <= candle.date <= until
        ]
        with transaction.atomic():
            IndexDaily.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["index_code", "date"], update_fields=["close"]
            )
        written += len(rows)
    return written
