"""Realized-P&L and journal calls (issue 16), a mixin of `KiwoomClient` like `market_data`.

ka10072/ka10073 (realized P&L by stock, one day or a period), ka10074 (realized P&L by day), ka10077 (today's
realized P&L of one stock), ka10085 (account returns per holding) and ka10170 (a day's trade journal), as
PROTOCOL.md Part II M6 documents them. Amounts in this group are plain (unpadded) integers in KRW; average
prices and realized P&L may carry decimals and are `Decimal`; rates are percentages as `Decimal`; dates are
Korea-time calendar dates (`datetime.date`, sent as `YYYYMMDD`).

Mock support: PROTOCOL.md M6.0's probe found all six answered on mock. A server that does not offer a
TR in its mode answers `[2000](RC9000:모의투자에서는 해당업무가 제공되지 않습니다.)` or
`[8104:모의투자에서 지원하지 않는 API 입니다.]`; every method here then raises
`KiwoomNotSupportedInMode`, so a caller can fall back to its own ledger and say where its numbers came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ._wire import _Reader, _require_token, _stock_code

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "AccountHistoryCalls",
    "AccountReturn",
    "DailyRealizedPnl",
    "JournalEntry",
    "RealizedPnlByDay",
    "RealizedTrade",
    "TodayRealizedPnl",
    "TradeJournal",
]

_PATH_ACCOUNT = "/api/dostk/acnt"

# ka10085 `stex_tp`: 0 통합 (all venues), 1 KRX, 2 NXT.
_RETURN_EXCHANGES = {"ALL": "0", "KRX": "1", "NXT": "2"}


@dataclass(frozen=True, slots=True)
class RealizedTrade:
    """One realized sale: a row of ka10072 `dt_stk_div_rlzt_pl`, ka10073 `dt_stk_rlzt_pl` or ka10077
    `tdy_rlzt_pl_dtl`. `profit_loss` = sale amount - quantity x `average_cost` - commission - tax."""

    trade_date: date | None  # ka10073 `dt`; ka10072: the day asked for; ka10077: None (today at Kiwoom)
    stock_code: str  # stk_cd without the A prefix
    name: str  # stk_nm
    quantity: int  # cntr_qty, shares sold
    average_cost: Decimal  # buy_uv, average purchase price per share (decimals)
    sell_price: int  # cntr_pric
    profit_loss: Decimal  # tdy_sel_pl (signed, decimals)
    return_rate: Decimal  # pl_rt, percent
    commission: int  # tdy_trde_cmsn
    tax: int  # tdy_trde_tax


@dataclass(frozen=True, slots=True)
class DailyRealizedPnl:
    """One day of ka10074 `dt_rlzt_pl` (only days with realized P&L are listed)."""

    trade_date: date  # dt
    buy_amount: int  # buy_amt
    sell_amount: int  # sell_amt
    profit_loss: Decimal  # tdy_sel_pl
    commission: int  # tdy_trde_cmsn
    tax: int  # tdy_trde_tax


@dataclass(frozen=True, slots=True)
class RealizedPnlByDay:
    """ka10074 over a period: its totals and the days."""

    total_buy_amount: int  # tot_buy_amt
    total_sell_amount: int  # tot_sell_amt
    profit_loss: Decimal  # rlzt_pl
    commission: int  # trde_cmsn
    tax: int  # trde_tax
    days: tuple[DailyRealizedPnl, ...]


@dataclass(frozen=True, slots=True)
class TodayRealizedPnl:
    """ka10077: today's realized P&L of one stock and its sales."""

    profit_loss: Decimal  # tdy_rlzt_pl
    trades: tuple[RealizedTrade, ...]


@dataclass(frozen=True, slots=True)
class AccountReturn:
    """One holding of ka10085 `acnt_prft_rt`."""

    stock_code: str  # stk_cd
    name: str  # stk_nm
    current_price: int  # cur_prc, absolute value
    purchase_price: Decimal  # pur_pric, average purchase price
    purchase_amount: int  # pur_amt
    quantity: int  # rmnd_qty
    today_profit_loss: Decimal  # tdy_sel_pl, realized today
    commission: int  # tdy_trde_cmsn
    tax: int  # tdy_trde_tax
    settled_quantity: int  # setl_remn 결제잔고 (can exceed `sellable_quantity`)
    sellable_quantity: int  # clrn_alow_qty 청산가능수량


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One stock of ka10170 `tdy_trde_diary` (당일매매일지)."""

    stock_code: str  # stk_cd
    name: str  # stk_nm
    buy_quantity: int  # buy_qty
    buy_average_price: Decimal  # buy_avg_pric
    buy_amount: int  # buy_amt
    sell_quantity: int  # sell_qty
    sell_average_price: Decimal  # sel_avg_pric
    sell_amount: int  # sell_amt
    commission_and_tax: int  # cmsn_alm_tax
    profit_loss: int  # pl_amt
    return_rate: Decimal  # prft_rt, percent


@dataclass(frozen=True, slots=True)
class TradeJournal:
    """ka10170: one day's journal, its totals and one entry per stock."""

    trade_date: date | None  # the day asked for; None = today at Kiwoom
    total_buy_amount: int  # tot_buy_amt
    total_sell_amount: int  # tot_sell_amt
    total_commission_and_tax: int  # tot_cmsn_tax
    total_settlement: int  # tot_exct_amt 정산금액
    total_profit_loss: int  # tot_pl_amt
    total_return_rate: Decimal  # tot_prft_rt, percent
    entries: tuple[JournalEntry, ...]


class AccountHistoryCalls:
    """ka10072, ka10073, ka10074, ka10077, ka10085, ka10170: see PROTOCOL.md Part II, M6.

    Every method follows `cont-yn`/`next-key` to the last page, raises the `.errors` family, and
    `KiwoomNotSupportedInMode` when the server does not offer the TR in its mode (mock).
    """

    if TYPE_CHECKING:  # the transport of KiwoomClient
        _post_all: Callable[..., tuple[_Reader, list[_Reader]]]

    def get_realized_pnl_by_stock_on(
        self, token: str, *, day: date, stock_code: str | None = None
    ) -> tuple[RealizedTrade, ...]:
        """ka10072 (일자별종목별실현손익_일자): the sales realized on `day`, of every stock or one."""
        _require_token(token)
        body = {"stk_cd": _optional_code(stock_code), "strt_dt": _yyyymmdd("day", day)}
        _, rows = self._post_all(_PATH_ACCOUNT, "ka10072", body, "dt_stk_div_rlzt_pl", token=token)
        return tuple(_realized_trade(row, day) for row in rows)

    def get_realized_pnl_by_stock(
        self, token: str, *, start: date, end: date, stock_code: str | None = None
    ) -> tuple[RealizedTrade, ...]:
        """ka10073 (일자별종목별실현손익_기간): the sales realized from `start` to `end` (inclusive)."""
        _require_token(token)
        body = {
            "stk_cd": _optional_code(stock_code),
            "strt_dt": _yyyymmdd("start", start),
            "end_dt": _yyyymmdd("end", end),
        }
        _check_period(start, end)
        _, rows = self._post_all(_PATH_ACCOUNT, "ka10073", body, "dt_stk_rlzt_pl", token=token)
        return tuple(_realized_trade(row, _date(row, "dt")) for row in rows)

    def get_realized_pnl_by_day(self, token: str, *, start: date, end: date) -> RealizedPnlByDay:
        """ka10074 (일자별실현손익): totals and the days from `start` to `end` that realized P&L."""
        _require_token(token)
        body = {"strt_dt": _yyyymmdd("start", start), "end_dt": _yyyymmdd("end", end)}
        _check_period(start, end)
        first, rows = self._post_all(_PATH_ACCOUNT, "ka10074", body, "dt_rlzt_pl", token=token)
        days = tuple(
            DailyRealizedPnl(
                trade_date=_date(row, "dt"),
                buy_amount=row.integer("buy_amt"),
                sell_amount=row.integer("sell_amt"),
                profit_loss=row.rate("tdy_sel_pl"),
                commission=row.integer("tdy_trde_cmsn"),
                tax=row.integer("tdy_trde_tax"),
            )
            for row in rows
        )
        return RealizedPnlByDay(
            total_buy_amount=first.integer("tot_buy_amt"),
            total_sell_amount=first.integer("tot_sell_amt"),
            profit_loss=first.rate("rlzt_pl"),
            commission=first.integer("trde_cmsn"),
            tax=first.integer("trde_tax"),
            days=days,
        )

    def get_today_realized_pnl(self, token: str, *, stock_code: str) -> TodayRealizedPnl:
        """ka10077 (당일실현손익상세): today's realized P&L of one stock (Kiwoom requires the code)."""
        _require_token(token)
        body = {"stk_cd": _stock_code(stock_code)}
        first, rows = self._post_all(_PATH_ACCOUNT, "ka10077", body, "tdy_rlzt_pl_dtl", token=token)
        return TodayRealizedPnl(
            profit_loss=first.rate("tdy_rlzt_pl"),
            trades=tuple(_realized_trade(row, None) for row in rows),
        )

    def get_account_returns(self, token: str, *, exchange: str = "ALL") -> tuple[AccountReturn, ...]:
        """ka10085 (계좌수익률): every holding with its cost, today's realized P&L and costs.

        `exchange`: `ALL` (통합), `KRX` or `NXT` (mock knows KRX only).
        """
        _require_token(token)
        if exchange not in _RETURN_EXCHANGES:
            raise ValueError("exchange must be ALL, KRX or NXT")
        body = {"stex_tp": _RETURN_EXCHANGES[exchange]}
        _, rows = self._post_all(_PATH_ACCOUNT, "ka10085", body, "acnt_prft_rt", token=token)
        return tuple(
            AccountReturn(
                stock_code=row.code("stk_cd"),
                name=row.text("stk_nm"),
                current_price=row.price("cur_prc"),
                purchase_price=abs(row.rate("pur_pric")),
                purchase_amount=row.integer("pur_amt"),
                quantity=row.integer("rmnd_qty"),
                today_profit_loss=row.rate("tdy_sel_pl"),
                commission=row.integer("tdy_trde_cmsn"),
                tax=row.integer("tdy_trde_tax"),
                settled_quantity=row.integer("setl_remn"),
                sellable_quantity=row.integer("clrn_alow_qty"),
            )
            for row in rows
        )

    def get_trade_journal(
        self,
        token: str,
        *,
        day: date | None = None,
        same_day_buys_only: bool = False,
    ) -> TradeJournal:
        """ka10170 (당일매매일지), cash and credit: one day's buys and sells per stock (`day` None = today).

        Kiwoom keeps about the last two months. `same_day_buys_only` asks for the sales of shares bought the
        same day (`ottks_tp` 1) instead of every sale of the day (2).
        """
        _require_token(token)
        body = {
            "base_dt": "" if day is None else _yyyymmdd("day", day),
            "ottks_tp": "1" if same_day_buys_only else "2",
            "ch_crd_tp": "0",
        }
        first, rows = self._post_all(_PATH_ACCOUNT, "ka10170", body, "tdy_trde_diary", token=token)
        entries = tuple(
            JournalEntry(
                stock_code=row.code("stk_cd"),
                name=row.text("stk_nm"),
                buy_quantity=row.integer("buy_qty"),
                buy_average_price=abs(row.rate("buy_avg_pric")),
                buy_amount=row.integer("buy_amt"),
                sell_quantity=row.integer("sell_qty"),
                sell_average_price=abs(row.rate("sel_avg_pric")),
                sell_amount=row.integer("sell_amt"),
                commission_and_tax=row.integer("cmsn_alm_tax"),
                profit_loss=row.integer("pl_amt"),
                return_rate=row.rate("prft_rt"),
            )
            for row in rows
        )
        return TradeJournal(
            trade_date=day,
            total_buy_amount=first.integer("tot_buy_amt"),
            total_sell_amount=first.integer("tot_sell_amt"),
            total_commission_and_tax=first.integer("tot_cmsn_tax"),
            total_settlement=first.integer("tot_exct_amt"),
            total_profit_loss=first.integer("tot_pl_amt"),
            total_return_rate=first.rate("tot_prft_rt"),
            entries=entries,
        )


def _date(row: _Reader, field: str) -> date:
    """A `YYYYMMDD` field as a (Korea-time) date."""
    text = row.text(field)
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError(text)
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise row.bad(field, "is not a YYYYMMDD date") from None


def _realized_trade(row: _Reader, trade_date: date | None) -> RealizedTrade:
    # `rate` reads signed decimals: buy_uv ("97602.9573459") and tdy_sel_pl ("-59813.04") carry them.
    return RealizedTrade(
        trade_date=trade_date,
        stock_code=row.code("stk_cd"),
        name=row.text("stk_nm"),
        quantity=row.integer("cntr_qty"),
        average_cost=abs(row.rate("buy_uv")),
        sell_price=row.price("cntr_pric"),
        profit_loss=row.rate("tdy_sel_pl"),
        return_rate=row.rate("pl_rt"),
        commission=row.integer("tdy_trde_cmsn"),
        tax=row.integer("tdy_trde_tax"),
    )


def _yyyymmdd(name: str, value: object) -> str:
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not a datetime (pass the date in Korea time)")
    if not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date")
    return value.strftime("%Y%m%d")


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ValueError("start must not be after end")


def _optional_code(stock_code: str | None) -> str:
    return "" if stock_code is None else _stock_code(stock_code)
