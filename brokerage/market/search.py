"""Stock search over the master: by code, any part of the name, 초성 (`ㅅㅅㅈㅈ`) and mixed input (`삼ㅅ`).

Each process keeps the listed stocks in memory (a few thousand rows, a few hundred kilobytes), as three
newline-joined texts (codes, lower-cased names, 초성 keys) that one regular-expression scan searches in C:
about a millisecond for 4,000 names, on any database, where SQL would need a trigram index on PostgreSQL and
a full scan of `LIKE` on SQLite for a pattern with character classes. The copy is renewed when the master's
version (in the shared cache, bumped by every sync) changes, looked at no more than once a second.

Ranking: the exact code, then codes starting with the text, then names starting with it, then names containing
it; within each, common stocks first: ordinary shares, then preferred shares, then ETFs/ETNs and the rest,
each by market capitalisation (listed shares x previous close), largest first.
"""

from __future__ import annotations

import bisect
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.cache import cache

from brokerage.market.hangul import initials_key, is_initials_only, name_pattern
from brokerage.market.models import Market, Stock

VERSION_KEY = "market:stock-master:version"
# How stale a process's copy may be after a sync elsewhere: the version is looked at once per this interval.
VERSION_CHECK_SECONDS = 1.0
SEARCH_LIMIT_MAX = 50
# Answers each process keeps per copy of the master (all dropped when full; a new copy starts empty).
ANSWERS_KEPT = 4096
# A name ending so is a preferred share (삼성전자우, 현대차2우B, 대한항공우(전환)).
_PREFERRED = re.compile(r"\d?우[A-C]?(\(전환\))?$")
_CODE_TEXT = re.compile(r"[0-9A-Za-z]{1,6}")


@dataclass(frozen=True, slots=True)
class StockHit:
    stock_code: str
    name: str
    market: str
    warnings: tuple[str, ...]  # kiwoom.StockWarning values


class _Index:
    """The listed stocks, most common first, as joined texts searched in one scan each."""

    def __init__(self, version: str | None, hits: list[StockHit]) -> None:
        self.version = version
        self.loaded_at = time.monotonic()
        self.hits = hits
        self.codes = "\n".join(hit.stock_code for hit in hits)
        self.names = "\n".join(hit.name.lower() for hit in hits)
        self.keys = "\n".join(initials_key(hit.name) for hit in hits)
        self._name_starts = _line_starts(self.names)
        self._key_starts = _line_starts(self.keys)
        self._code_starts = _line_starts(self.codes)
        self._by_code = {hit.stock_code: entry for entry, hit in enumerate(hits)}
        self._answers: dict[tuple[str, int], tuple[StockHit, ...]] = {}

    def search(self, text: str, limit: int) -> list[StockHit]:
        """The hits of `text`, remembered with this copy: what people type starts alike (삼, 삼성)."""
        key = (text, limit)
        found = self._answers.get(key)
        if found is None:
            found = self._search(text, limit)
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.clear()
            self._answers[key] = found
        return list(found)

    def _search(self, text: str, limit: int) -> tuple[StockHit, ...]:
        # The texts hold the stocks most common first, so that each tier's first `limit` matches, in the
        # order a scan finds them, are its best: every scan stops there (a single 초성 matches thousands).
        picked: dict[int, None] = {}

        def take(matches: Iterator[re.Match[str]], starts: list[int]) -> bool:
            for match in matches:
                picked.setdefault(bisect.bisect_right(starts, match.start()) - 1)
                if len(picked) >= limit:
                    return True
            return False

        if _CODE_TEXT.fullmatch(text):
            code = text.upper()
            exact = self._by_code.get(code)
            if exact is not None:
                picked[exact] = None
            if take(re.finditer(f"^{re.escape(code)}", self.codes, re.MULTILINE), self._code_starts):
                return self._hits(picked)
        if is_initials_only(text):
            # The precomputed 초성 keys: a plain substring, no character classes.
            blob, starts, pattern = self.keys, self._key_starts, re.escape(text)
        else:
            blob, starts, pattern = self.names, self._name_starts, name_pattern(text).pattern
        if not take(re.finditer(f"^(?:{pattern})", blob, re.MULTILINE), starts):
            take(re.finditer(pattern, blob), starts)
        return self._hits(picked)

    def _hits(self, picked: dict[int, None]) -> tuple[StockHit, ...]:
        return tuple(self.hits[entry] for entry in picked)


def _line_starts(blob: str) -> list[int]:
    starts = [0]
    position = blob.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = blob.find("\n", position + 1)
    return starts


def _commonness(stock: dict) -> tuple:
    if stock["market"] in (Market.ETF, Market.ETN):
        kind = 2
    elif stock["market"] in (Market.KOSPI, Market.KOSDAQ):
        kind = 1 if _PREFERRED.search(stock["name"]) else 0
    else:
        kind = 3
    return (kind, -stock["listed_shares"] * stock["base_price"], stock["code"])


def _index_load(version: str | None) -> _Index:
    rows = list(
        Stock.objects.filter(is_listed=True).values(
            "code", "name", "market", "listed_shares", "base_price", "warnings"
        )
    )
    rows.sort(key=_commonness)
    return _Index(
        version,
        [
            StockHit(
                stock_code=row["code"],
                name=row["name"],
                market=row["market"],
                warnings=tuple(row["warnings"] or ()),
            )
            for row in rows
        ],
    )


_index: _Index | None = None
_checked_at = 0.0
# One thread per process looks at the version (and reloads); the others search the copy in hand meanwhile.
_check_guard = threading.Lock()
# Without the shared cache (Redis unreachable) no version can be read: the copy is then reloaded this often.
UNVERSIONED_RELOAD_SECONDS = 60.0


def _current_index() -> _Index:
    global _index, _checked_at
    index = _index
    if index is not None and time.monotonic() - _checked_at < VERSION_CHECK_SECONDS:
        return index
    if not _check_guard.acquire(blocking=index is None):
        return index
    try:
        if _index is not None and time.monotonic() - _checked_at < VERSION_CHECK_SECONDS:
            return _index
        version = cache.get(VERSION_KEY)
        if version is None:
            # A cleared or evicted version: every process starts on a new one, and reloads once.
            cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
            version = cache.get(VERSION_KEY)
        if (
            _index is None
            or (version is not None and version != _index.version)
            or (version is None and time.monotonic() - _index.loaded_at > UNVERSIONED_RELOAD_SECONDS)
        ):
            _index = _index_load(version)
        _checked_at = time.monotonic()
        return _index
    finally:
        _check_guard.release()


def stock_master_changed() -> None:
    """Tell every process that the master changed: each reloads its search copy within a second."""
    global _checked_at
    cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)
    _checked_at = 0.0  # this process at once


def stocks_search(*, text: str, limit: int = 20) -> list[StockHit]:
    """The listed stocks matching `text` (code, name part, 초성, mixed), best first, at most `limit`."""
    text = " ".join(text.split())
    if not text:
        return []
    return _current_index().search(text, max(1, min(limit, SEARCH_LIMIT_MAX)))


def stocks_search_forget() -> None:
    """Drop this process's copy (tests; the next search loads the master anew)."""
    global _index
    _index = None
