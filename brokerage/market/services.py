"""Public market data: what Kiwoom says of a stock, shared between users (fetched with the asker's token)."""

from __future__ import annotations

from dataclasses import asdict

from django.core.cache import cache

from brokerage import kiwoom
from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import kiwoom_call

# A quote (ka10001) is reused this long, by every user of the same mode: it is the same for all of them.
STOCK_INFO_SECONDS = 5


def stock_info_get(*, credential: KiwoomCredential, stock_code: str) -> kiwoom.StockInfo:
    """ka10001 for one stock, reused for a few seconds (the guardrails need it for every order)."""
    key = f"brokerage:stock-info:{credential.mode}:{stock_code}"
    cached = cache.get(key)
    if cached is not None:
        return kiwoom.StockInfo(**cached)
    info = kiwoom_call(
        credential=credential, operation=lambda client, token: client.get_stock_info(token, stock_code)
    )
    cache.set(key, asdict(info), STOCK_INFO_SECONDS)
    return info
