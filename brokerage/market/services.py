"""Public market data: what Kiwoom says of a stock, shared between users (fetched with the asker's keys)."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict

from django.core.cache import cache

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.connections.selectors import credential_get_connected
from brokerage.connections.services import kiwoom_call

# A quote (ka10001) is reused this long, by every user of the same mode: it is the same for all of them.
STOCK_INFO_SECONDS = 5

# Quotes this process has seen, by (mode, stock code): (when it was fetched, on `time.time`, and the quote);
# only stocks Kiwoom knows, so a few thousand at most. Every order's guardrails need one: kept here up to the
# age the shared cache allows, most orders read no cache for it (a Redis round trip). The shared cache stays,
# so that a quote is fetched once for every process.
_seen: dict[tuple[str, str], tuple[float, kiwoom.StockInfo]] = {}
_seen_guard = threading.Lock()


def stock_info_get(*, credential: KiwoomCredential, stock_code: str) -> kiwoom.StockInfo:
    """ka10001 for one stock, reused for a few seconds (the guardrails need it for every order)."""
    seen_key = (credential.mode, stock_code)
    seen = _seen.get(seen_key)
    if seen is None or not _fresh(seen[0]):
        key = f"brokerage:stock-info:v2:{credential.mode}:{stock_code}"
        cached = cache.get(key)
        if cached is not None and _fresh(cached["fetched_at"]):
            seen = (cached["fetched_at"], kiwoom.StockInfo(**cached["info"]))
        else:
            fetched_at = time.time()
            info = kiwoom_call(
                credential=credential,
                operation=lambda client, token: client.get_stock_info(token, stock_code),
            )
            cache.set(key, {"fetched_at": fetched_at, "info": asdict(info)}, STOCK_INFO_SECONDS)
            seen = (fetched_at, info)
        with _seen_guard:
            _seen[seen_key] = seen
    return seen[1]


def _fresh(fetched_at: float) -> bool:
    return 0 <= time.time() - fetched_at < STOCK_INFO_SECONDS


def stock_info_forget() -> None:
    """Forget the quotes this process has seen (the shared cache is the caller's to clear)."""
    with _seen_guard:
        _seen.clear()


def stock_quote_get(*, user: User, stock_code: str, mode: str = Mode.MOCK) -> kiwoom.StockInfo:
    """ka10001 for one stock with the user's keys (`kiwoom_not_connected` without), shared between users."""
    return stock_info_get(credential=credential_get_connected(user=user, mode=mode), stock_code=stock_code)
