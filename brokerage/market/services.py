"""Public market data: what Kiwoom says of a stock, shared between users (fetched with the asker's keys), the
stock master's sync, and the order ticket's limits.

Every call goes through the shared rate limiter (`connections.services.kiwoom_call[s_for]`) with the keys of
the user who asked; what is the same for everyone (quotes, 호가, candles) is then kept for a short window and
shared (`market.shared`: one call per code and TR per window, whatever the number of viewers).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.costs import costs_for
from brokerage.connections.models import CredentialStatus, KiwoomCredential, Mode
from brokerage.connections.selectors import KEY_PAIR_FIELDS, credential_get_connected
from brokerage.connections.services import credential_get_connected_kept, kiwoom_call, kiwoom_calls_for
from brokerage.market.errors import (
    MarketDataNotConnected,
    StockNotFound,
    WatchlistFull,
    WatchlistItemExists,
    WatchlistItemNotFound,
    WatchlistLimitReached,
    WatchlistNameTaken,
    WatchlistNotFound,
)
from brokerage.market.hangul import initials_key
from brokerage.market.models import Market, Stock, Watchlist, WatchlistItem
from brokerage.market.search import stock_master_changed
from brokerage.market.selectors import stocks_by_code, watchlist_get
from brokerage.market.shared import shared_fetch

T = TypeVar("T")

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


# --- Shared public market data --------------------------------------------------------------------------
# How long each figure is shared between users (seconds), per mode and code. A stock page polls its quote and
# book; a window that short is what the page shows as "live" until the stream (issue 14) pushes ticks, and
# each costs Kiwoom one call per window whatever the number of viewers. Candles change once a bar.
QUOTE_SECONDS = 2  # ka10001 quote header
ORDER_BOOK_SECONDS = 1  # ka10004 호가
BATCH_QUOTE_SECONDS = 2  # ka10095 rows of watchlists
MINUTE_CANDLES_SECONDS = 10  # ka10080
PERIOD_CANDLES_SECONDS = 60  # ka10081/82/83: today's bar moves, older ones never do


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    """A figure with the time Kiwoom gave it (shared figures are up to their window old)."""

    value: T
    as_of: datetime


def quote_get(*, user: User, stock_code: str, mode: str = Mode.MOCK) -> Fetched[kiwoom.Quote]:
    """ka10001 as a quote header, with the user's keys, shared between users for QUOTE_SECONDS."""
    credential = credential_get_connected_kept(user=user, mode=mode)
    return shared_fetch(
        key=f"quote:{mode}:{stock_code}",
        window=QUOTE_SECONDS,
        fetch=lambda: _fetched(
            _shared_call(credential, "ka10001", lambda client, token: client.get_quote(token, stock_code))
        ),
    )


def order_book_get(*, user: User, stock_code: str, mode: str = Mode.MOCK) -> Fetched[kiwoom.OrderBook]:
    """ka10004's 10 levels a side, shared between users for ORDER_BOOK_SECONDS."""
    credential = credential_get_connected_kept(user=user, mode=mode)
    return shared_fetch(
        key=f"book:{mode}:{stock_code}",
        window=ORDER_BOOK_SECONDS,
        fetch=lambda: _fetched(
            _shared_call(
                credential, "ka10004", lambda client, token: client.get_order_book(token, stock_code)
            )
        ),
    )


def _fetched(value: T) -> Fetched[T]:
    return Fetched(value=value, as_of=timezone.now())


def _shared_call(
    credential: KiwoomCredential, api_id: str, operation: Callable[[kiwoom.KiwoomClient, str], T]
) -> T:
    """A shared figure's one call, with the keys of the user who leads the fetch.

    The keys are resolved before `shared_fetch` (`kiwoom_not_connected` is the asker's own, and a user
    without keys never leads a fetch); an error of these keys is not handed to the others (`market.shared`).
    """
    return kiwoom_call(credential=credential, operation=operation, api_id=api_id)


class Interval(StrEnum):
    MINUTE = "1m"
    FIVE_MINUTES = "5m"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class ChartRange(StrEnum):
    DAY = "1D"
    WEEK = "1W"
    MONTH = "1M"
    QUARTER = "3M"
    YEAR = "1Y"
    FIVE_YEARS = "5Y"


# Trading days in each range (minute charts ask for that many sessions' bars) and calendar days (the rest).
_TRADING_DAYS = {"1D": 1, "1W": 5, "1M": 22, "3M": 64, "1Y": 250, "5Y": 1250}
_CALENDAR_DAYS = {"1D": 1, "1W": 7, "1M": 31, "3M": 92, "1Y": 366, "5Y": 1827}
_SESSION_MINUTES = 390  # 09:00-15:30
# Minute bars beyond these ranges would take Kiwoom tens of pages (a daily chart says the same): a longer
# range asked for is answered with the longest of these, which the answer's `range` says.
_MINUTE_RANGES = {Interval.MINUTE: {"1D", "1W"}, Interval.FIVE_MINUTES: {"1D", "1W", "1M"}}


@dataclass(frozen=True, slots=True)
class Candles:
    stock_code: str
    interval: str
    range: str
    candles: tuple[kiwoom.Candle, ...]  # oldest first, split-adjusted


def candles_get(
    *, user: User, stock_code: str, interval: str, chart_range: str, mode: str = Mode.MOCK
) -> Candles:
    """Bars of `interval` over `chart_range` (minute bars: at most `_MINUTE_RANGES`), oldest first and
    split-adjusted, shared between users."""
    interval, chart_range = Interval(interval), ChartRange(chart_range)
    if interval in _MINUTE_RANGES and chart_range not in _MINUTE_RANGES[interval]:
        # Minute bars over a longer range would take Kiwoom tens of pages: the longest offered instead.
        chart_range = max(_MINUTE_RANGES[interval], key=_TRADING_DAYS.__getitem__)

    def fetch(client: kiwoom.KiwoomClient, token: str) -> tuple[kiwoom.Candle, ...]:
        if interval in _MINUTE_RANGES:
            minutes = 1 if interval == Interval.MINUTE else 5
            limit = _TRADING_DAYS[chart_range] * _SESSION_MINUTES // minutes
            return client.get_minute_candles(token, stock_code, interval=minutes, limit=limit)
        since = timezone.localdate() - timedelta(days=_CALENDAR_DAYS[chart_range])
        read = {
            Interval.DAY: client.get_daily_candles,
            Interval.WEEK: client.get_weekly_candles,
            Interval.MONTH: client.get_monthly_candles,
        }[interval]
        return read(token, stock_code, since=since)

    api_id = {
        Interval.MINUTE: "ka10080",
        Interval.FIVE_MINUTES: "ka10080",
        Interval.DAY: "ka10081",
        Interval.WEEK: "ka10082",
        Interval.MONTH: "ka10083",
    }[interval]
    credential = credential_get_connected_kept(user=user, mode=mode)
    bars = shared_fetch(
        key=f"candles:{mode}:{stock_code}:{interval}:{chart_range}",
        window=MINUTE_CANDLES_SECONDS if interval in _MINUTE_RANGES else PERIOD_CANDLES_SECONDS,
        fetch=lambda: _shared_call(credential, api_id, fetch),
    )
    return Candles(stock_code=stock_code, interval=interval, range=chart_range, candles=bars)


def quotes_get(
    *, user: User, stock_codes: Sequence[str], mode: str = Mode.MOCK
) -> dict[str, kiwoom.BatchQuote]:
    """ka10095 rows by code, each shared between users for BATCH_QUOTE_SECONDS.

    Codes whose row is cached are not asked again; the others are asked together (100 a call), by one
    request for every request that misses the same codes at once. Codes Kiwoom does not know are absent.
    """
    codes = list(dict.fromkeys(stock_codes))
    keys = {code: f"market:batch-quote:v1:{mode}:{code}" for code in codes}
    found = cache.get_many(list(keys.values()))
    now = time.time()
    rows: dict[str, kiwoom.BatchQuote] = {}
    for code in codes:
        kept = found.get(keys[code])
        if kept is not None and 0 <= now - kept[0] <= BATCH_QUOTE_SECONDS:
            rows[code] = kept[1]
    missing = [code for code in codes if code not in rows]
    if missing:
        credential = credential_get_connected_kept(user=user, mode=mode)

        def fetch() -> dict[str, kiwoom.BatchQuote]:
            fetched = _shared_call(
                credential, "ka10095", lambda client, token: client.get_quotes(token, missing)
            )
            fresh = {quote.stock_code: quote for quote in fetched if quote.venue == "KRX"}
            stored_at = time.time()
            cache.set_many(
                {keys[code]: (stored_at, quote) for code, quote in fresh.items() if code in keys},
                timeout=BATCH_QUOTE_SECONDS + 1,
            )
            return fresh

        digest = hashlib.sha1("|".join(sorted(missing)).encode()).hexdigest()[:16]
        rows.update(shared_fetch(key=f"batch:{mode}:{digest}", window=BATCH_QUOTE_SECONDS, fetch=fetch))
    return {code: rows[code] for code in codes if code in rows}


# --- The order ticket's limits (the user's own figures: not shared) ---------------------------------------


@dataclass(frozen=True, slots=True)
class Orderable:
    """What the ticket may offer: the most shares the user can buy (or sell) at `price`, and the costs."""

    stock_code: str
    side: str
    price: int | None
    max_quantity: int
    orderable_cash: int | None  # buy: cash available for orders (kt00011 ord_alowa)
    sellable_quantity: int | None  # sell: shares held that can be sold now (kt00018 trde_able_qty)
    commission_rate: Decimal
    tax_rate: Decimal  # on sales only
    source: str  # the TR the figures come from: "kt00011" or "kt00018"
    # The rounding rule (connections.costs): commission floored to `commission_unit` won, at least
    # `commission_minimum`; tax floored to `tax_unit` won.
    commission_unit: int
    commission_minimum: int
    tax_unit: int


def orderable_get(
    *, user: User, stock_code: str, side: str, price: int | None = None, mode: str = Mode.MOCK
) -> Orderable:
    """Buy: kt00011's cash-only orderable quantity at `price` (None: Kiwoom's reference price). Sell: the
    holding's sellable quantity (kt00018)."""
    costs = _costs(mode)
    if side == "buy":
        figures = _call(
            user,
            mode,
            "kt00011",
            lambda client, token: client.get_orderable_quantity(token, stock_code, price=price),
        )
        return Orderable(
            stock_code=stock_code,
            side=side,
            price=price,
            max_quantity=figures.cash_orderable_quantity,
            orderable_cash=figures.orderable_cash,
            sellable_quantity=None,
            source="kt00011",
            **costs,
        )
    balance = _call(user, mode, "kt00018", lambda client, token: client.get_balance(token))
    sellable = sum(h.tradable_quantity for h in balance.holdings if h.stock_code == stock_code)
    return Orderable(
        stock_code=stock_code,
        side=side,
        price=price,
        max_quantity=sellable,
        orderable_cash=None,
        sellable_quantity=sellable,
        source="kt00018",
        **costs,
    )


def _costs(mode: str) -> dict[str, Decimal | int]:
    # The rule the history domain computes P&L with (connections.costs), so that the ticket's estimate and
    # the journal agree; Kiwoom's 모의투자 charges far more than its real online accounts.
    costs = costs_for(mode)
    return {
        "commission_rate": costs.commission_rate,
        "tax_rate": costs.sell_tax_rate,
        "commission_unit": costs.commission_unit,
        "commission_minimum": costs.commission_minimum,
        "tax_unit": costs.tax_unit,
    }


def _call(user: User, mode: str, api_id: str, operation: Callable[[kiwoom.KiwoomClient, str], T]) -> T:
    """One call with the user's keys through the shared rate limiter (`kiwoom_not_connected` without)."""
    return kiwoom_calls_for(user=user, mode=mode, operations=[operation], api_ids=[api_id])[0]


# --- The stock master (ka10099) -----------------------------------------------------------------------------

# The markets a trader orders on, asked in this order; a code listed in more than one keeps the last market
# (ka10099's KOSPI list may hold the ETFs too, the ETF list names them as such).
MASTER_MARKETS = (
    (kiwoom.ListingMarket.KOSPI, Market.KOSPI),
    (kiwoom.ListingMarket.KOSDAQ, Market.KOSDAQ),
    (kiwoom.ListingMarket.ETF, Market.ETF),
)
# A sync that finds fewer codes than this share of those listed is taken for Kiwoom's hiccup: nothing is
# delisted then (the rest is still updated).
DELIST_GUARD_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class MasterSyncResult:
    created: int
    updated: int
    delisted: int
    listed: int


def stock_master_sync(
    *,
    credential: KiwoomCredential | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> MasterSyncResult:
    """Read every KOSPI, KOSDAQ and ETF code from Kiwoom (ka10099, every page) into `Stock`.

    `credential` defaults to `master_credential()`. `progress(step, done, total)` is called after each market
    and after the write. The calls come first, the write after, in one transaction: no transaction is open
    while Kiwoom is asked. Codes gone from Kiwoom's lists stay, no longer listed (watchlists name them).
    """
    credential = credential or master_credential()
    total = len(MASTER_MARKETS) + 1
    listings: dict[str, tuple[kiwoom.StockListing, str]] = {}
    for done, (listing_market, market) in enumerate(MASTER_MARKETS, start=1):
        rows = kiwoom_call(
            credential=credential,
            operation=lambda client, token, which=listing_market: client.list_stocks(token, which),
            api_id="ka10099",
        )
        for row in rows:
            listings[row.stock_code] = (row, market)
        if progress is not None:
            progress(market, done, total)
    result = _master_write(listings)
    stock_master_changed()
    if progress is not None:
        progress("write", total, total)
    return result


def _master_write(listings: dict[str, tuple[kiwoom.StockListing, str]]) -> MasterSyncResult:
    fields = ["name", "market", "search_key", "listed_shares", "base_price", "sector", "warnings"]
    fields += ["nxt_enabled", "is_listed", "updated_at"]
    now = timezone.now()
    with transaction.atomic():
        existing = {stock.code: stock for stock in Stock.objects.select_for_update()}
        created, changed = [], []
        for code, (row, market) in listings.items():
            values = {
                "name": row.name,
                "market": market,
                "search_key": initials_key(row.name),
                "listed_shares": row.listed_shares or 0,
                "base_price": row.previous_close,
                "sector": row.sector[:100],
                "warnings": [str(warning) for warning in row.warnings],
                "nxt_enabled": row.nxt_enabled,
                "is_listed": True,
                "updated_at": now,
            }
            stock = existing.get(code)
            if stock is None:
                created.append(Stock(code=code, **values))
            elif any(getattr(stock, name) != value for name, value in values.items() if name != "updated_at"):
                for name, value in values.items():
                    setattr(stock, name, value)
                changed.append(stock)
        gone = [stock for code, stock in existing.items() if code not in listings and stock.is_listed]
        listed_before = sum(stock.is_listed for stock in existing.values())
        if gone and len(listings) >= listed_before * DELIST_GUARD_SHARE:
            for stock in gone:
                stock.is_listed, stock.updated_at = False, now
            changed.extend(gone)
        else:
            gone = []
        Stock.objects.bulk_create(created, batch_size=500)
        Stock.objects.bulk_update(changed, fields, batch_size=500)
    return MasterSyncResult(
        created=len(created), updated=len(changed) - len(gone), delisted=len(gone), listed=len(listings)
    )


def master_credential(*, username: str | None = None, mode: str | None = None) -> KiwoomCredential:
    """The keys the stock master is read with: `username`'s (`mode`'s, if given) when named, else these.

    MARKET_DATA_CREDENTIAL_USER names an operator's account: the sync (a few calls a day) then spends that
    account's rate limit, never a customer's, and an operator knows whose keys are used. Unset, any
    connected credential does, real before mock (the master is the same for everyone; only real's says
    which codes trade on NXT), the most recently refreshed first, so that a fresh install syncs as soon as
    anyone connects. Set but without usable keys, the sync refuses rather than spend someone else's.
    """
    credentials = KiwoomCredential.objects.defer(*KEY_PAIR_FIELDS).exclude(status=CredentialStatus.INVALID)
    username = username or settings.MARKET_DATA_CREDENTIAL_USER
    if username:
        credentials = credentials.filter(user__username=username)
    if mode:
        credentials = credentials.filter(mode=mode)
    credential = credentials.order_by("-mode", F("last_refreshed_at").desc(nulls_last=True), "pk").first()
    if credential is None:
        raise MarketDataNotConnected()
    return credential


# --- 관심종목 -----------------------------------------------------------------------------------------------

# Groups per user, and codes per group: a group's quotes are one ka10095 call (100 codes at most).
WATCHLISTS_MAX = 20
WATCHLIST_ITEMS_MAX = kiwoom.QUOTE_BATCH_SIZE


def watchlists_ensure_default(*, user: User) -> None:
    """Give a user without any group one, so that "add to 관심종목" always has a place to go."""
    if not Watchlist.objects.filter(user=user).exists():
        try:
            with transaction.atomic():
                Watchlist.objects.create(user=user, name=_("관심종목"), position=0)
        except IntegrityError:
            pass  # a concurrent request made it


def watchlist_create(*, user: User, name: str) -> Watchlist:
    try:
        with transaction.atomic():
            # The user's groups are locked so that two concurrent creations cannot pass the limit together.
            positions = list(
                Watchlist.objects.select_for_update().filter(user=user).values_list("position", flat=True)
            )
            if len(positions) >= WATCHLISTS_MAX:
                raise WatchlistLimitReached()
            if Watchlist.objects.filter(user=user, name=name).exists():
                raise WatchlistNameTaken()
            return Watchlist.objects.create(user=user, name=name, position=max(positions, default=-1) + 1)
    except IntegrityError:
        # A user without groups locks no row: a concurrent creation of the same name can pass the check.
        raise WatchlistNameTaken() from None


def watchlist_rename(*, user: User, watchlist_id: int, name: str) -> Watchlist:
    watchlist = watchlist_get(user=user, watchlist_id=watchlist_id)
    if Watchlist.objects.filter(user=user, name=name).exclude(pk=watchlist.pk).exists():
        raise WatchlistNameTaken()
    watchlist.name = name
    try:
        with transaction.atomic():
            watchlist.save(update_fields=["name"])
    except IntegrityError:
        raise WatchlistNameTaken() from None
    return watchlist


def watchlist_delete(*, user: User, watchlist_id: int) -> None:
    watchlist_get(user=user, watchlist_id=watchlist_id).delete()


def watchlist_item_add(*, user: User, watchlist_id: int, stock_code: str) -> WatchlistItem:
    """Append a listed stock to the group (`stock_not_found` for a code the master does not list)."""
    if not Stock.objects.filter(code=stock_code, is_listed=True).exists():
        raise StockNotFound()
    with transaction.atomic():
        watchlist = _watchlist_locked(user=user, watchlist_id=watchlist_id)
        items = list(watchlist.items.values_list("stock_code", "position"))
        if any(code == stock_code for code, _position in items):
            raise WatchlistItemExists()
        if len(items) >= WATCHLIST_ITEMS_MAX:
            raise WatchlistFull()
        position = max((position for _code, position in items), default=-1) + 1
        return WatchlistItem.objects.create(watchlist=watchlist, stock_code=stock_code, position=position)


def watchlist_item_remove(*, user: User, watchlist_id: int, stock_code: str) -> None:
    deleted, _kinds = WatchlistItem.objects.filter(
        watchlist=watchlist_get(user=user, watchlist_id=watchlist_id), stock_code=stock_code
    ).delete()
    if not deleted:
        raise WatchlistItemNotFound()


def watchlist_items_reorder(*, user: User, watchlist_id: int, codes: Sequence[str]) -> Watchlist:
    """Put the group's codes in the order of `codes`; codes it does not name keep their order after them, and
    codes not in the group are passed over (another tab may have removed one meanwhile)."""
    with transaction.atomic():
        watchlist = _watchlist_locked(user=user, watchlist_id=watchlist_id)
        items = {item.stock_code: item for item in watchlist.items.order_by("position", "id")}
        for position, code in enumerate(_reordered(list(items), codes)):
            items[code].position = position
        WatchlistItem.objects.bulk_update(items.values(), ["position"])
    return watchlist


def watchlists_reorder(*, user: User, ids: Sequence[int]) -> None:
    """Put the user's groups in the order of `ids`, as `watchlist_items_reorder` does a group's codes."""
    with transaction.atomic():
        watchlists = {w.pk: w for w in Watchlist.objects.select_for_update().filter(user=user)}
        for position, pk in enumerate(_reordered(list(watchlists), ids)):
            watchlists[pk].position = position
        Watchlist.objects.bulk_update(watchlists.values(), ["position"])


def _reordered(current: list, wanted: Sequence) -> list:
    """`wanted`'s members of `current` first, in `wanted`'s order, then the rest in their current order."""
    first = [key for key in dict.fromkeys(wanted) if key in set(current)]
    return first + [key for key in current if key not in set(first)]


def _watchlist_locked(*, user: User, watchlist_id: int) -> Watchlist:
    watchlist = Watchlist.objects.select_for_update().filter(user=user, pk=watchlist_id).first()
    if watchlist is None:
        raise WatchlistNotFound()
    return watchlist


@dataclass(frozen=True, slots=True)
class WatchlistRow:
    stock_code: str
    name: str
    market: str
    warnings: list[str]
    quote: kiwoom.BatchQuote | None  # None: Kiwoom gave no row for the code (delisted, suspended)


def watchlist_quotes(*, user: User, watchlist_id: int, mode: str = Mode.MOCK) -> list[WatchlistRow]:
    """The group's stocks in order, each with its ka10095 row (one call for the group, rows shared)."""
    watchlist = watchlist_get(user=user, watchlist_id=watchlist_id)
    codes = list(watchlist.items.values_list("stock_code", flat=True))
    stocks = stocks_by_code(codes=codes)
    quotes = quotes_get(user=user, stock_codes=codes, mode=mode) if codes else {}
    rows = []
    for code in codes:
        stock, quote = stocks.get(code), quotes.get(code)
        rows.append(
            WatchlistRow(
                stock_code=code,
                name=stock.name if stock else (quote.name if quote else ""),
                market=stock.market if stock else "",
                warnings=stock.warnings if stock else [],
                quote=quote,
            )
        )
    return rows
