"""Market-data calls (issue 15): stock master, quotes, order book, charts, batch quotes, orderable quantity.

A mixin of `KiwoomClient`: the methods use the client's one request chokepoint (`self._post`) and read
responses with `._wire`'s `_Reader`; results are the frozen dataclasses below. Prices are absolute values
(Kiwoom's sign on a price is its direction against the previous close); changes (`change`) and rates keep
their true sign. Chart TRs page newest first; the methods here return candles **oldest first** and stop
paging once `since` or `limit` is satisfied, so a five-year chart never walks Kiwoom's whole history.

PROTOCOL.md Part II: M1 (ka10099), M2.2 (ka10001), M3 (ka10004), M4 (ka10080-ka10083), M5 (ka10095),
M6.7 (kt00011), M7.1 (ka20006).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ._wire import _QUOTE_CODE, _best_effort, _Reader, _require_token, _Response, _stock_code
from .errors import KiwoomUnavailable
from .parsing import KST, parse_price, parse_rate

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "KOSDAQ_INDEX",
    "KOSPI_INDEX",
    "QUOTE_BATCH_SIZE",
    "BatchQuote",
    "BookLevel",
    "Candle",
    "IndexCandle",
    "ListingMarket",
    "MarketDataCalls",
    "OrderBook",
    "OrderableQuantity",
    "Quote",
    "StockListing",
    "StockWarning",
]

_PATH_STOCK_INFO = "/api/dostk/stkinfo"
_PATH_MARKET_CONDITION = "/api/dostk/mrkcond"
_PATH_CHART = "/api/dostk/chart"
_PATH_ACCOUNT = "/api/dostk/acnt"

KOSPI_INDEX = "001"  # 종합(KOSPI), ka20006 inds_cd
KOSDAQ_INDEX = "101"  # 종합(KOSDAQ)
QUOTE_BATCH_SIZE = 100  # ka10095 answers 100 codes; 110 is refused with [1634] (PROTOCOL.md M5)
MINUTE_INTERVALS = (1, 3, 5, 10, 15, 30, 45, 60)  # ka10080 tic_scope
BOOK_DEPTH = 10

_INDEX_CODE = re.compile(r"\d{3}")
_DATE = re.compile(r"\d{8}")
_HHMMSS = re.compile(r"\d{6}")


class ListingMarket(StrEnum):
    """ka10099 `mrkt_tp` (its own numbering, unlike other TRs'); the value is the code sent on the wire."""

    KOSPI = "0"
    KOSDAQ = "10"
    ETF = "8"
    ETN = "60"
    KONEX = "50"
    ELW = "3"
    K_OTC = "30"
    REIT = "6"
    MUTUAL_FUND = "4"
    INFRA_FUND = "2"
    HIGH_YIELD_FUND = "9"


class StockWarning(StrEnum):
    """What matters before an order, read from ka10099's `state`, `auditInfo` and `orderWarning`."""

    MANAGED = "managed"  # 관리종목
    CAUTION = "caution"  # 투자주의 (incl. 투자주의환기종목)
    WARNING = "warning"  # 투자경고
    DANGER = "danger"  # 투자위험
    HALTED = "halted"  # 거래정지
    LIQUIDATION = "liquidation"  # 정리매매
    OVERHEATED = "overheated"  # 단기과열
    ETF_CAUTION = "etf_caution"  # ETF 투자주의요망

    @property
    def label(self) -> str:
        """The Korean term a Korean investor knows, e.g. `관리종목`."""
        return _WARNING_LABELS[self]


_WARNING_LABELS = {
    StockWarning.MANAGED: "관리종목",
    StockWarning.CAUTION: "투자주의",
    StockWarning.WARNING: "투자경고",
    StockWarning.DANGER: "투자위험",
    StockWarning.HALTED: "거래정지",
    StockWarning.LIQUIDATION: "정리매매",
    StockWarning.OVERHEATED: "단기과열",
    StockWarning.ETF_CAUTION: "ETF투자주의",
}
# orderWarning digits (PROTOCOL.md M1; "5" is printed 투자경과 in the guide, read as 투자경고).
_ORDER_WARNINGS = {
    "1": StockWarning.ETF_CAUTION,
    "2": StockWarning.LIQUIDATION,
    "3": StockWarning.OVERHEATED,
    "4": StockWarning.DANGER,
    "5": StockWarning.WARNING,
}
# Words in `state` or `auditInfo` that carry a warning.
_WARNING_WORDS = (
    ("관리종목", StockWarning.MANAGED),
    ("거래정지", StockWarning.HALTED),
    ("투자위험", StockWarning.DANGER),
    ("투자경고", StockWarning.WARNING),
    ("투자주의", StockWarning.CAUTION),
    ("정리매매", StockWarning.LIQUIDATION),
    ("단기과열", StockWarning.OVERHEATED),
)


# --- Results ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StockListing:
    """One row of ka10099 (종목정보 리스트): an instrument of the stock master."""

    stock_code: str  # code, plain (a leading A is removed)
    name: str
    market: ListingMarket  # the market that was asked for (the row's own marketCode is unreliable)
    market_code: str  # marketCode as sent ("0" 거래소, "10" 코스닥, ...)
    market_name: str  # marketName, e.g. 거래소
    listed_shares: int | None  # listCount; None when empty
    previous_close: int  # lastPrice
    listed_on: date | None  # regDay
    audit_info: str  # auditInfo 감리구분, e.g. 정상, 투자주의환기종목
    state: tuple[str, ...]  # state flags, e.g. ("증거금20%", "담보대출", "신용가능")
    order_warning: str  # orderWarning digit ("0" none)
    warnings: tuple[StockWarning, ...]  # what the three fields above say, without duplicates
    nxt_enabled: bool  # nxtEnable == "Y" (not meaningful on mock)
    sector: str  # upName
    size_class: str  # upSizeName: 대형주/중형주/소형주/""
    company_class: str  # companyClassName (KOSDAQ), e.g. 외국기업


@dataclass(frozen=True, slots=True)
class Quote:
    """ka10001 (주식기본정보) read as a quote header."""

    stock_code: str  # as asked, venue suffix removed
    name: str
    current_price: int  # cur_prc
    change: int  # pred_pre, signed
    change_rate: Decimal  # flu_rt, percent, signed
    change_sign: str  # pre_sig: 1 상한, 2 상승, 3 보합, 4 하한, 5 하락 ("" when absent)
    volume: int  # trde_qty, shares
    open_price: int
    high_price: int
    low_price: int
    base_price: int  # base_pric (previous close)
    upper_limit: int  # upl_pric
    lower_limit: int  # lst_pric
    high_250: int | None = None  # 250hgst (None when absent or unreadable)
    low_250: int | None = None  # 250lwst
    market_cap: int | None = None  # mac, 억원 (100 million KRW)


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One price level of the order book."""

    price: int
    quantity: int  # remaining quantity (잔량), shares
    quantity_change: int = 0  # vs Kiwoom's previous snapshot, signed


@dataclass(frozen=True, slots=True)
class OrderBook:
    """ka10004 (주식호가): up to 10 levels a side, **best first** on both sides; empty levels left out."""

    stock_code: str
    asks: tuple[BookLevel, ...]  # 매도호가, lowest price first
    bids: tuple[BookLevel, ...]  # 매수호가, highest price first
    total_ask_quantity: int  # tot_sel_req
    total_bid_quantity: int  # tot_buy_req
    after_hours_ask_quantity: int  # ovt_sel_req
    after_hours_bid_quantity: int  # ovt_buy_req
    time: time | None  # bid_req_base_tm (HHmmss, Korea time); None when absent


@dataclass(frozen=True, slots=True)
class Candle:
    """One bar of a stock chart: a `date` for day/week/month bars (the period's first trading day), an aware
    `datetime` in Korea time for minute bars (the bar's start)."""

    time: date | datetime
    open: int
    high: int
    low: int
    close: int
    volume: int  # shares


@dataclass(frozen=True, slots=True)
class IndexCandle:
    """One day of an index (ka20006); Kiwoom sends levels x100, these are the real levels (2521.27)."""

    date: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int  # trde_qty as sent (undocumented unit; thousand shares by inference)
    trading_value: int  # trde_prica as sent (million KRW by inference)


@dataclass(frozen=True, slots=True)
class BatchQuote:
    """One row of ka10095 (관심종목정보)."""

    stock_code: str  # plain code (a venue suffix is in `venue`)
    venue: str  # "KRX", "NXT" (_NX) or "SOR" (_AL)
    name: str
    current_price: int
    base_price: int
    change: int  # signed
    change_rate: Decimal  # signed percent
    volume: int
    open_price: int
    high_price: int
    low_price: int
    upper_limit: int
    lower_limit: int
    best_ask: int  # sel_bid
    best_bid: int  # buy_bid
    time: time | None  # cntr_tm (last trade, Korea time)


@dataclass(frozen=True, slots=True)
class OrderableQuantity:
    """kt00011 (증거금율별주문가능수량): what can be bought, cash only and at the applied margin rate."""

    stock_code: str
    price: int | None  # the price asked about (uv); None = Kiwoom's own reference price
    stock_margin_rate: Decimal  # stk_profa_rt, percent
    account_margin_rate: Decimal  # profa_rt
    applied_margin_rate: Decimal  # aplc_rt
    cash_orderable_amount: int  # min_ord_alow_amt (미수불가)
    cash_orderable_quantity: int  # min_ord_alowq: what a cash-only account can buy
    margin_orderable_amount: int | None  # profa_{applied}ord_alow_amt; None when Kiwoom left it empty
    margin_orderable_quantity: int | None  # profa_{applied}ord_alowq
    deposit: int  # entr
    orderable_cash: int  # ord_alowa
    substitute_amount: int  # repl_amt
    unpaid_amount: int  # uncla


# --- The calls --------------------------------------------------------------------------------------------


class MarketDataCalls:
    """ka10099, ka10001 quote, ka10004, ka10080-ka10083, ka10095, ka20006, kt00011: PROTOCOL.md Part II."""

    if TYPE_CHECKING:
        max_pages: int

        def _post(
            self,
            path: str,
            api_id: str,
            body: Mapping[str, str | int],
            *,
            token: str | None = None,
            cont_key: str | None = None,
            secrets: Iterable[str] = (),
        ) -> _Response: ...

    def list_stocks(self, token: str, market: ListingMarket | str) -> tuple[StockListing, ...]:
        """ka10099: every instrument of one market (`ListingMarket.KOSPI`, `"0"`, ...), every page."""
        _require_token(token)
        try:
            which = ListingMarket(market)
        except ValueError:
            raise ValueError(f"market must be a ListingMarket code, not {market!r}") from None
        listings = []
        for reader in self._pages(_PATH_STOCK_INFO, "ka10099", {"mrkt_tp": which.value}, token=token):
            listings.extend(_listing(row, which) for row in reader.rows("list"))
        return tuple(listings)

    def get_quote(self, token: str, stock_code: str) -> Quote:
        """ka10001 as a quote header: price, change, volume, open/high/low, limits. (`get_stock_info` reads
        the same TR for the order path's few fields.)"""
        _require_token(token)
        code = _quote_code(stock_code)
        reader = _Reader(self._post(_PATH_STOCK_INFO, "ka10001", {"stk_cd": code}, token=token), "ka10001")
        return Quote(
            stock_code=_plain(_best_effort(reader.text, "stk_cd") or code),
            name=reader.text("stk_nm"),
            current_price=reader.price("cur_prc"),
            change=reader.integer("pred_pre"),
            change_rate=reader.rate("flu_rt"),
            change_sign=_best_effort(reader.text, "pre_sig") or "",
            volume=reader.integer("trde_qty"),
            open_price=reader.price("open_pric"),
            high_price=reader.price("high_pric"),
            low_price=reader.price("low_pric"),
            base_price=reader.price("base_pric"),
            upper_limit=reader.price("upl_pric"),
            lower_limit=reader.price("lst_pric"),
            high_250=_best_effort(reader.price, "250hgst"),
            low_250=_best_effort(reader.price, "250lwst"),
            market_cap=_best_effort(reader.integer, "mac"),
        )

    def get_order_book(self, token: str, stock_code: str) -> OrderBook:
        """ka10004: the 10-level book (호가), both sides best first, with totals and Kiwoom's time."""
        _require_token(token)
        code = _quote_code(stock_code)
        reader = _Reader(
            self._post(_PATH_MARKET_CONDITION, "ka10004", {"stk_cd": code}, token=token), "ka10004"
        )
        asks, bids = [], []
        for level in range(1, BOOK_DEPTH + 1):
            for side, levels in (("sel", asks), ("buy", bids)):
                prefix = f"{side}_fpr" if level == 1 else f"{side}_{level}th_pre"
                price = reader.price(f"{prefix}_bid")
                if price == 0:
                    continue
                levels.append(
                    BookLevel(
                        price=price,
                        quantity=reader.integer(f"{prefix}_req"),
                        quantity_change=_best_effort(reader.integer, f"{side}_{level}th_pre_req_pre") or 0,
                    )
                )
        return OrderBook(
            stock_code=_plain(code),
            asks=tuple(asks),
            bids=tuple(bids),
            total_ask_quantity=reader.integer("tot_sel_req"),
            total_bid_quantity=reader.integer("tot_buy_req"),
            after_hours_ask_quantity=_best_effort(reader.integer, "ovt_sel_req") or 0,
            after_hours_bid_quantity=_best_effort(reader.integer, "ovt_buy_req") or 0,
            time=_best_effort(lambda field: _hhmmss(reader.text(field)), "bid_req_base_tm"),
        )

    def get_minute_candles(
        self,
        token: str,
        stock_code: str,
        *,
        interval: int = 1,
        adjusted: bool = True,
        base_date: date | str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> tuple[Candle, ...]:
        """ka10080: minute bars (`interval` 1, 3, 5, 10, 15, 30, 45 or 60), oldest first.

        Pages (900 bars each on real) are fetched until a bar starts before `since` (an aware datetime) or
        `limit` bars are in hand; without either, every page Kiwoom offers (up to `max_pages`).
        """
        _require_token(token)
        if interval not in MINUTE_INTERVALS:
            raise ValueError(f"interval must be one of {MINUTE_INTERVALS} minutes")
        if since is not None and (not isinstance(since, datetime) or since.tzinfo is None):
            raise ValueError("since must be an aware datetime")
        body = {
            "stk_cd": _quote_code(stock_code),
            "tic_scope": str(interval),
            "upd_stkpc_tp": _flag(adjusted),
        }
        if base_date is not None:
            body["base_dt"] = _yyyymmdd("base_date", base_date)
        return self._candles(
            "ka10080", "stk_min_pole_chart_qry", body, token, _minute_candle, since=since, limit=limit
        )

    def get_daily_candles(
        self,
        token: str,
        stock_code: str,
        *,
        adjusted: bool = True,
        base_date: date | str | None = None,
        since: date | None = None,
        limit: int | None = None,
    ) -> tuple[Candle, ...]:
        """ka10081: daily bars up to `base_date` (default today in Korea), oldest first, back to `since`
        or `limit` bars. `adjusted` (upd_stkpc_tp 1) gives split-adjusted prices as of `base_date`."""
        return self._period_candles(
            "ka10081", "stk_dt_pole_chart_qry", token, stock_code, adjusted, base_date, since, limit
        )

    def get_weekly_candles(
        self,
        token: str,
        stock_code: str,
        *,
        adjusted: bool = True,
        base_date: date | str | None = None,
        since: date | None = None,
        limit: int | None = None,
    ) -> tuple[Candle, ...]:
        """ka10082: weekly bars dated by each week's first trading day; otherwise as `get_daily_candles`."""
        return self._period_candles(
            "ka10082", "stk_stk_pole_chart_qry", token, stock_code, adjusted, base_date, since, limit
        )

    def get_monthly_candles(
        self,
        token: str,
        stock_code: str,
        *,
        adjusted: bool = True,
        base_date: date | str | None = None,
        since: date | None = None,
        limit: int | None = None,
    ) -> tuple[Candle, ...]:
        """ka10083: monthly bars dated by each month's first trading day; otherwise as `get_daily_candles`."""
        return self._period_candles(
            "ka10083", "stk_mth_pole_chart_qry", token, stock_code, adjusted, base_date, since, limit
        )

    def get_index_daily(
        self,
        token: str,
        index_code: str = KOSPI_INDEX,
        *,
        base_date: date | str | None = None,
        since: date | None = None,
        limit: int | None = None,
    ) -> tuple[IndexCandle, ...]:
        """ka20006: an index's daily bars (`KOSPI_INDEX` 001, `KOSDAQ_INDEX` 101, ...), oldest first."""
        _require_token(token)
        if not isinstance(index_code, str) or not _INDEX_CODE.fullmatch(index_code):
            raise ValueError("index_code must be three digits such as 001 (KOSPI) or 101 (KOSDAQ)")
        _check_limit(limit)
        body = {"inds_cd": index_code, "base_dt": _yyyymmdd("base_date", base_date or _today())}
        rows: list[IndexCandle] = []
        for reader in self._pages(_PATH_CHART, "ka20006", body, token=token):
            page = [_index_candle(row) for row in reader.rows("inds_dt_pole_qry")]
            rows.extend(page)
            if _enough(page, rows, since, limit, key=lambda candle: candle.date):
                break
        return _oldest_first(rows, since, limit, key=lambda candle: candle.date)

    def get_quotes(self, token: str, stock_codes: Iterable[str]) -> tuple[BatchQuote, ...]:
        """ka10095: quotes of many codes, `QUOTE_BATCH_SIZE` (100) per call, in the order Kiwoom answers
        (calls in the order of `stock_codes`; duplicates asked once). Unknown codes are simply absent."""
        _require_token(token)
        if isinstance(stock_codes, str):
            raise TypeError("stock_codes must be an iterable of codes, not one string")
        codes = list(dict.fromkeys(_quote_code(code) for code in stock_codes))
        quotes: list[BatchQuote] = []
        for start in range(0, len(codes), QUOTE_BATCH_SIZE):
            chunk = "|".join(codes[start : start + QUOTE_BATCH_SIZE])
            reader = _Reader(
                self._post(_PATH_STOCK_INFO, "ka10095", {"stk_cd": chunk}, token=token), "ka10095"
            )
            quotes.extend(_batch_quote(row) for row in reader.rows("atn_stk_infr"))
        return tuple(quotes)

    def get_orderable_quantity(
        self, token: str, stock_code: str, *, price: int | None = None
    ) -> OrderableQuantity:
        """kt00011: the maximum buyable quantity at `price` (or Kiwoom's reference price when None).

        A cash-only account should size buys from `cash_orderable_quantity` (min_ord_alowq).
        """
        _require_token(token)
        code = _stock_code(stock_code)
        if price is not None and (isinstance(price, bool) or not isinstance(price, int)):
            raise TypeError("price must be an int (KRW) or None")
        if price is not None and price <= 0:
            raise ValueError("price must be positive")
        body = {"stk_cd": code, "uv": "" if price is None else str(price)}
        reader = _Reader(self._post(_PATH_ACCOUNT, "kt00011", body, token=token), "kt00011")
        applied = reader._parsed("aplc_rt", _percent)
        tier = _margin_tier(applied)
        return OrderableQuantity(
            stock_code=code,
            price=price,
            stock_margin_rate=reader._parsed("stk_profa_rt", _percent),
            account_margin_rate=reader._parsed("profa_rt", _percent),
            applied_margin_rate=applied,
            cash_orderable_amount=reader.integer("min_ord_alow_amt"),
            cash_orderable_quantity=reader.integer("min_ord_alowq"),
            margin_orderable_amount=_optional_int(reader, f"profa_{tier}ord_alow_amt") if tier else None,
            margin_orderable_quantity=_optional_int(reader, f"profa_{tier}ord_alowq") if tier else None,
            deposit=reader.integer("entr"),
            orderable_cash=reader.integer("ord_alowa"),
            substitute_amount=_best_effort(reader.integer, "repl_amt") or 0,
            unpaid_amount=_best_effort(reader.integer, "uncla") or 0,
        )

    # --- Paging -------------------------------------------------------------------------------------------

    def _pages(self, path: str, api_id: str, body: Mapping[str, str], *, token: str) -> Iterator[_Reader]:
        """Each page of a paged query; the caller may stop early (no further request is then sent)."""
        cont_key: str | None = None
        for _ in range(self.max_pages):
            page = self._post(path, api_id, body, token=token, cont_key=cont_key)
            yield _Reader(page, api_id)
            if not page.cont_yn:
                return
            cont_key = page.next_key
        raise KiwoomUnavailable(
            f"Kiwoom announced more than {self.max_pages} pages; giving up", request_sent=True, api_id=api_id
        )

    def _period_candles(
        self,
        api_id: str,
        list_field: str,
        token: str,
        stock_code: str,
        adjusted: bool,
        base_date: date | str | None,
        since: date | None,
        limit: int | None,
    ) -> tuple[Candle, ...]:
        _require_token(token)
        if since is not None and (isinstance(since, datetime) or not isinstance(since, date)):
            raise ValueError("since must be a date")
        body = {
            "stk_cd": _quote_code(stock_code),
            "base_dt": _yyyymmdd("base_date", base_date or _today()),
            "upd_stkpc_tp": _flag(adjusted),
        }
        return self._candles(api_id, list_field, body, token, _day_candle, since=since, limit=limit)

    def _candles(
        self,
        api_id: str,
        list_field: str,
        body: Mapping[str, str],
        token: str,
        read: Callable[[_Reader], Candle],
        *,
        since: date | datetime | None,
        limit: int | None,
    ) -> tuple[Candle, ...]:
        _check_limit(limit)
        rows: list[Candle] = []
        for reader in self._pages(_PATH_CHART, api_id, body, token=token):
            page = [read(row) for row in reader.rows(list_field)]
            rows.extend(page)
            if _enough(page, rows, since, limit, key=lambda candle: candle.time):
                break
        return _oldest_first(rows, since, limit, key=lambda candle: candle.time)


# --- Reading ----------------------------------------------------------------------------------------------


def _listing(row: _Reader, market: ListingMarket) -> StockListing:
    state = tuple(flag.strip() for flag in row.text("state").split("|") if flag.strip())
    audit = row.text("auditInfo")
    order_warning = _best_effort(row.text, "orderWarning") or "0"
    found: list[StockWarning] = [
        w for word, w in _WARNING_WORDS if any(word in flag for flag in (*state, audit))
    ]
    if order_warning in _ORDER_WARNINGS:
        found.append(_ORDER_WARNINGS[order_warning])
    listed_shares = row.text("listCount")
    listed_on = _best_effort(row.text, "regDay") or ""
    return StockListing(
        stock_code=row.code("code"),
        name=row.text("name"),
        market=market,
        market_code=_best_effort(row.text, "marketCode") or "",
        market_name=_best_effort(row.text, "marketName") or "",
        listed_shares=row.integer("listCount") if listed_shares else None,
        previous_close=row.price("lastPrice"),
        listed_on=_date_or_none(listed_on),
        audit_info=audit,
        state=state,
        order_warning=order_warning,
        warnings=tuple(dict.fromkeys(found)),
        nxt_enabled=(_best_effort(row.text, "nxtEnable") or "").upper() == "Y",
        sector=_best_effort(row.text, "upName") or "",
        size_class=_best_effort(row.text, "upSizeName") or "",
        company_class=_best_effort(row.text, "companyClassName") or "",
    )


def _day_candle(row: _Reader) -> Candle:
    return Candle(
        time=row._parsed("dt", _date),
        open=row.price("open_pric"),
        high=row.price("high_pric"),
        low=row.price("low_pric"),
        close=row.price("cur_prc"),
        volume=row.integer("trde_qty"),
    )


def _minute_candle(row: _Reader) -> Candle:
    return Candle(
        time=row._parsed("cntr_tm", _kst_minute),
        open=row.price("open_pric"),
        high=row.price("high_pric"),
        low=row.price("low_pric"),
        close=row.price("cur_prc"),
        volume=row.integer("trde_qty"),
    )


def _index_candle(row: _Reader) -> IndexCandle:
    return IndexCandle(
        date=row._parsed("dt", _date),
        open=row._parsed("open_pric", _index_level),
        high=row._parsed("high_pric", _index_level),
        low=row._parsed("low_pric", _index_level),
        close=row._parsed("cur_prc", _index_level),
        volume=row.integer("trde_qty"),
        trading_value=_best_effort(row.integer, "trde_prica") or 0,
    )


def _batch_quote(row: _Reader) -> BatchQuote:
    raw_code = row.code("stk_cd")
    return BatchQuote(
        stock_code=_plain(raw_code),
        venue=_venue(raw_code),
        name=row.text("stk_nm"),
        current_price=row.price("cur_prc"),
        base_price=row.price("base_pric"),
        change=row.integer("pred_pre"),
        change_rate=row.rate("flu_rt"),
        volume=row.integer("trde_qty"),
        open_price=_best_effort(row.price, "open_pric") or 0,
        high_price=_best_effort(row.price, "high_pric") or 0,
        low_price=_best_effort(row.price, "low_pric") or 0,
        upper_limit=_best_effort(row.price, "upl_pric") or 0,
        lower_limit=_best_effort(row.price, "lst_pric") or 0,
        best_ask=_best_effort(row.price, "sel_bid") or 0,
        best_bid=_best_effort(row.price, "buy_bid") or 0,
        time=_best_effort(lambda field: _hhmmss(row.text(field)), "cntr_tm"),
    )


def _optional_int(reader: _Reader, field: str) -> int | None:
    text = _best_effort(reader.text, field)
    return reader.integer(field) if text else None


# --- Small parsers and checks -----------------------------------------------------------------------------


def _quote_code(value: object) -> str:
    if not isinstance(value, str) or not _QUOTE_CODE.fullmatch(value):
        raise ValueError("stock_code must be six characters such as 005930 (optionally _NX or _AL)")
    return value


def _plain(code: str) -> str:
    return code.split("_", 1)[0]


def _venue(code: str) -> str:
    if code.endswith("_NX"):
        return "NXT"
    if code.endswith("_AL"):
        return "SOR"
    return "KRX"


def _flag(value: bool) -> str:
    if not isinstance(value, bool):
        raise TypeError("adjusted must be True or False")
    return "1" if value else "0"


def _today() -> date:
    return datetime.now(KST).date()


def _yyyymmdd(name: str, value: object) -> str:
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not a datetime (pass the date in Korea time)")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value
    raise ValueError(f"{name} must be a date or YYYYMMDD")


def _check_limit(limit: object) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError("limit must be a positive int or None")


def _enough(
    page: list[Any], rows: list[Any], since: Any, limit: int | None, *, key: Callable[[Any], Any]
) -> bool:
    """Whether paging may stop: `limit` rows in hand, or this page (newest first) went back past `since`."""
    if limit is not None and len(rows) >= limit:
        return True
    return since is not None and bool(page) and key(page[-1]) < since


def _oldest_first(
    rows: list[Any], since: Any, limit: int | None, *, key: Callable[[Any], Any]
) -> tuple[Any, ...]:
    kept = [row for row in rows if since is None or key(row) >= since]
    kept.sort(key=key)
    return tuple(kept[-limit:] if limit is not None else kept)


def _date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        raise ValueError(f"not a YYYYMMDD date: {value!r}")
    return datetime.strptime(value.strip(), "%Y%m%d").date()


def _date_or_none(value: str) -> date | None:
    try:
        return _date(value)
    except ValueError:
        return None


def _kst_minute(value: Any) -> datetime:
    """`"20260922151900"` (Korea time) -> an aware datetime in Korea time."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{14}", value.strip()):
        raise ValueError(f"not a YYYYMMDDHHMMSS time: {value!r}")
    return datetime.strptime(value.strip(), "%Y%m%d%H%M%S").replace(tzinfo=KST)


def _hhmmss(value: str) -> time | None:
    if not _HHMMSS.fullmatch(value):
        return None
    return time(int(value[:2]), int(value[2:4]), int(value[4:]))


def _index_level(value: Any) -> Decimal:
    """Index levels come x100 without the point: `"252127"` -> `Decimal("2521.27")` (a sign is direction)."""
    return Decimal(parse_price(value)).scaleb(-2)


def _percent(value: Any) -> Decimal:
    """`"20%"` -> `Decimal("20")`; `""` -> 0."""
    if not isinstance(value, str):
        raise TypeError(f"expected a percentage, got {value!r}")
    return parse_rate(value.strip().removesuffix("%"))


def _margin_tier(applied: Decimal) -> int | None:
    """The kt00011 tier field that the applied rate fills (20, 30, 40, 50, 60, 100), if any."""
    tier = int(applied) if applied == applied.to_integral_value() else None
    return tier if tier in (20, 30, 40, 50, 60, 100) else None
