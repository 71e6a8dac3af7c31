"""Realized P&L and journal TRs on /api/dostk/acnt (PROTOCOL.md Part II, M6), from the accounts' trades.

ka10072/ka10073 realized P&L by stock for a day or a period, ka10074 by day, ka10077 today's per fill,
ka10085 returns per holding, ka10170 a day's journal. Mock answers all six (M6.0's probe); `/_sim/pnl/refuse`
makes them answer RC9000 instead, as a server that does not offer them would.

Realized P&L follows the book (`book.Trade`): a sale realizes its amount minus the moving-average cost of the
shares sold (their purchase amount and buy commissions) minus its commission and tax. Rows show the average
purchase price before fees (`buy_uv`) and, as commission, the sale's plus the sold shares' share of the buy
commissions: `tdy_sel_pl` = amount - qty x `buy_uv` - `tdy_trde_cmsn` - `tdy_trde_tax` (M6.4's example holds
so). Amounts are plain integers, average prices carry decimals, rates are percentages with a sign on gains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from ..book import BUY, SELL, Account, Trade
from ..protocol import (
    MSG_QUERY_OK_SPACED,
    Field,
    bad_format,
    not_on_mock,
    signed_price,
    signed_rate,
    validate_body,
)
from ..state import SimState
from .common import Call, TrResult, TrSpec, page

PATH = "/api/dostk/acnt"


def _refuse_on_request(state: SimState) -> None:
    if state.pnl_refused:
        raise not_on_mock()


def _ok(body: dict) -> dict:
    body["return_code"] = 0
    body["return_msg"] = MSG_QUERY_OK_SPACED
    return body


def _day(values: dict[str, str], name: str) -> date:
    try:
        return datetime.strptime(values[name], "%Y%m%d").date()
    except ValueError:
        raise bad_format(name, "날짜 형식이 아닙니다(YYYYMMDD)") from None


def _period(values: dict[str, str]) -> tuple[date, date]:
    start, end = _day(values, "strt_dt"), _day(values, "end_dt")
    if start > end:
        raise bad_format("end_dt", "종료일이 시작일보다 앞섭니다")
    return start, end


def _decimal(value: Decimal, places: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _average(amount: int, qty: int, places: int) -> str:
    return _decimal(Decimal(amount) / qty, places) if qty else "0"


@dataclass
class _Sales:
    """Sales of one stock (on one day): what a realized-P&L row sums up.

    `cost` is the shares' purchase amount (`buy_uv` = cost / qty, before fees); `fee` the sales' commission
    plus the sold shares' share of the buy commissions, so that P&L = amount - cost - fee - tax.
    """

    code: str
    name: str
    qty: int = 0
    amount: int = 0
    cost: int = 0
    fee: int = 0
    tax: int = 0

    def add(self, trade: Trade) -> None:
        self.qty += trade.qty
        self.amount += trade.amount
        self.cost += trade.pur_cost
        self.fee += trade.fee + trade.cost - trade.pur_cost
        self.tax += trade.tax

    @property
    def profit(self) -> int:
        return self.amount - self.cost - self.fee - self.tax

    def row(self, places: int = 2) -> dict[str, str]:
        profit = str(self.profit)
        return {
            "stk_nm": self.name,
            "cntr_qty": str(self.qty),
            "buy_uv": _average(self.cost, self.qty, places),
            "cntr_pric": str(self.amount // self.qty if self.qty else 0),
            "tdy_sel_pl": profit,
            "pl_rt": signed_rate(self.profit, self.cost),
            "stk_cd": "A" + self.code,
            "tdy_trde_cmsn": str(self.fee),
            "tdy_trde_tax": str(self.tax),
        }


def _sales_by_day_and_stock(trades: Iterable[Trade], code: str) -> dict[tuple[date, str], _Sales]:
    sales: dict[tuple[date, str], _Sales] = {}
    for trade in trades:
        if trade.side == SELL and (not code or trade.code == code):
            key = (trade.at.date(), trade.code)
            sales.setdefault(key, _Sales(trade.code, trade.name)).add(trade)
    return sales


def _credit_fields(row: dict[str, str]) -> dict[str, str]:
    """The cash-account values of ka10072/ka10073's credit columns, and the duplicated columns."""
    return {
        **row,
        "wthd_alowa": "0",
        "loan_dt": "",
        "crd_tp": "현금잔고",
        "stk_cd_1": row["stk_cd"],
        "tdy_sel_pl_1": row["tdy_sel_pl"],
    }


def _code(values: dict[str, str]) -> str:
    return values["stk_cd"].removeprefix("A") if len(values["stk_cd"]) == 7 else values["stk_cd"]


def ka10072(state: SimState, call: Call) -> TrResult:
    """일자별종목별실현손익_일자: one day's realized P&L per stock."""
    _refuse_on_request(state)
    values = validate_body(
        call.body, (Field("stk_cd", False, 7, "code"), Field("strt_dt", True, 8, "digits"))
    )
    day = _day(values, "strt_dt")
    state.engine.sync()
    sales = _sales_by_day_and_stock(call.owner.trades.get(day, ()), _code(values))
    rows = [_credit_fields(s.row()) for _, s in sorted(sales.items())]
    chunk, cont_yn, next_key = page(rows, state.settings.list_page_size, call)
    return TrResult(_ok({"dt_stk_div_rlzt_pl": list(chunk)}), cont_yn, next_key)


def ka10073(state: SimState, call: Call) -> TrResult:
    """일자별종목별실현손익_기간: realized P&L per day and stock over a period, newest day first."""
    _refuse_on_request(state)
    values = validate_body(
        call.body,
        (
            Field("stk_cd", False, 7, "code"),
            Field("strt_dt", True, 8, "digits"),
            Field("end_dt", True, 8, "digits"),
        ),
    )
    start, end = _period(values)
    state.engine.sync()
    sales = _sales_by_day_and_stock(call.owner.trades_between(start, end), _code(values))
    rows = [
        {"dt": day.strftime("%Y%m%d"), **_credit_fields(s.row()), "tdy_htssel_cmsn": "0"}
        for (day, _), s in sorted(sales.items(), key=lambda item: (-item[0][0].toordinal(), item[0][1]))
    ]
    chunk, cont_yn, next_key = page(rows, state.settings.list_page_size, call)
    return TrResult(_ok({"dt_stk_rlzt_pl": list(chunk)}), cont_yn, next_key)


@dataclass
class _Day:
    """One day's trades in total, for ka10074."""

    buy_amt: int = 0
    sell_amt: int = 0
    profit: int = 0
    fee: int = 0
    tax: int = 0
    sold: bool = False


def ka10074(state: SimState, call: Call) -> TrResult:
    """일자별실현손익: totals and the days of a period with realized P&L, newest first.

    A day's `tdy_trde_cmsn` is every commission paid that day, buys included (a buy's commission enters
    the realized P&L later, with the cost of the shares when they are sold).
    """
    _refuse_on_request(state)
    values = validate_body(
        call.body, (Field("strt_dt", True, 8, "digits"), Field("end_dt", True, 8, "digits"))
    )
    start, end = _period(values)
    state.engine.sync()
    days: dict[date, _Day] = {}
    for trade in call.owner.trades_between(start, end):
        total = days.setdefault(trade.at.date(), _Day())
        total.fee += trade.fee
        total.tax += trade.tax
        if trade.side == BUY:
            total.buy_amt += trade.amount
        else:
            total.sell_amt += trade.amount
            total.profit += trade.profit
            total.sold = True
    listed = sorted(((d, t) for d, t in days.items() if t.sold), reverse=True)
    rows = [
        {
            "dt": day.strftime("%Y%m%d"),
            "buy_amt": str(t.buy_amt),
            "sell_amt": str(t.sell_amt),
            "tdy_sel_pl": str(t.profit),
            "tdy_trde_cmsn": str(t.fee),
            "tdy_trde_tax": str(t.tax),
        }
        for day, t in listed
    ]
    chunk, cont_yn, next_key = page(rows, state.settings.list_page_size, call)
    body = {
        "tot_buy_amt": str(sum(t.buy_amt for _, t in listed)),
        "tot_sell_amt": str(sum(t.sell_amt for _, t in listed)),
        "rlzt_pl": str(sum(t.profit for _, t in listed)),
        "trde_cmsn": str(sum(t.fee for _, t in listed)),
        "trde_tax": str(sum(t.tax for _, t in listed)),
        "dt_rlzt_pl": list(chunk),
    }
    return TrResult(_ok(body), cont_yn, next_key)


def ka10077(state: SimState, call: Call) -> TrResult:
    """당일실현손익상세: today's sales of one stock, one row per fill, average cost with 7 decimals."""
    _refuse_on_request(state)
    values = validate_body(call.body, (Field("stk_cd", True, 7, "code"),))
    code = _code(values)
    state.engine.sync()
    rows = []
    total = 0
    for trade in call.owner.trades.get(state.clock.now().date(), ()):
        if trade.side == SELL and trade.code == code:
            sale = _Sales(trade.code, trade.name)
            sale.add(trade)
            rows.append(sale.row(places=7))
            total += trade.profit
    chunk, cont_yn, next_key = page(rows, state.settings.list_page_size, call)
    return TrResult(_ok({"tdy_rlzt_pl": str(total), "tdy_rlzt_pl_dtl": list(chunk)}), cont_yn, next_key)


def ka10085(state: SimState, call: Call) -> TrResult:
    """계좌수익률: every holding, its cost, and what it realized and paid today (NXT: none, KRX only)."""
    _refuse_on_request(state)
    values = validate_body(call.body, (Field("stex_tp", True, 1, "choice", ("0", "1", "2")),))
    state.engine.sync()
    account = call.owner
    # Per stock, today: realized P&L of the sales, every commission (buys too) and the tax.
    today: dict[str, list[int]] = {}
    for trade in account.trades.get(state.clock.now().date(), ()):
        profit_fee_tax = today.setdefault(trade.code, [0, 0, 0])
        profit_fee_tax[0] += trade.profit
        profit_fee_tax[1] += trade.fee
        profit_fee_tax[2] += trade.tax
    rows = []
    if values["stex_tp"] != "2":
        for holding in account.holdings.values():
            if holding.qty <= 0:
                continue
            stock = state.market.stocks[holding.code]
            profit, fee, tax = today.get(holding.code, (0, 0, 0))
            rows.append(
                {
                    "dt": "",
                    "stk_cd": holding.code,
                    "stk_nm": stock.name,
                    "cur_prc": signed_price(stock.price, stock.base_price),
                    "pur_pric": _average(holding.pur_amt, holding.qty, 2),
                    "pur_amt": str(holding.pur_amt),
                    "rmnd_qty": str(holding.qty),
                    "tdy_sel_pl": str(profit),
                    "tdy_trde_cmsn": str(fee),
                    "tdy_trde_tax": str(tax),
                    "crd_tp": "00",
                    "loan_dt": "00000000",
                    "setl_remn": str(holding.qty),
                    "clrn_alow_qty": str(state.engine.sellable(account, holding.code)),
                    "crd_amt": "0",
                    "crd_int": "0",
                    "expr_dt": "00000000",
                }
            )
    chunk, cont_yn, next_key = page(rows, state.settings.list_page_size, call)
    return TrResult(_ok({"acnt_prft_rt": list(chunk)}), cont_yn, next_key)


@dataclass
class _Journal:
    """One stock's trades of a day, for ka10170."""

    code: str
    name: str
    buys: list[Trade] = field(default_factory=list)
    sells: list[Trade] = field(default_factory=list)

    def entry(self, same_day_only: bool) -> tuple[dict[str, str], int] | None:
        """The journal row and the amount its return rate is taken on; None when nothing qualifies."""
        buy_qty = sum(t.qty for t in self.buys)
        buy_amt = sum(t.amount for t in self.buys)
        buy_fee = sum(t.fee for t in self.buys)
        sell_qty = sum(t.qty for t in self.sells)
        sell_amt = sum(t.amount for t in self.sells)
        sell_costs = sum(t.fee + t.tax for t in self.sells)
        if same_day_only:
            # 당일매수에 대한 당일매도: the shares both bought and sold today, each side pro rata.
            qty = min(buy_qty, sell_qty)
            if not qty:
                return None
            buy_amt, buy_fee = buy_amt * qty // buy_qty, buy_fee * qty // buy_qty
            sell_amt, sell_costs = sell_amt * qty // sell_qty, sell_costs * qty // sell_qty
            buy_qty = sell_qty = qty
            costs = buy_fee + sell_costs
            profit = sell_amt - buy_amt - costs
            basis = buy_amt
        else:
            costs = buy_fee + sell_costs
            profit = sum(t.profit for t in self.sells)
            basis = sum(t.cost for t in self.sells)
        row = {
            "stk_nm": self.name,
            "buy_avg_pric": _average(buy_amt, buy_qty, 0),
            "buy_qty": str(buy_qty),
            "sel_avg_pric": _average(sell_amt, sell_qty, 0),
            "sell_qty": str(sell_qty),
            "cmsn_alm_tax": str(costs),
            "pl_amt": str(profit),
            "sell_amt": str(sell_amt),
            "buy_amt": str(buy_amt),
            "prft_rt": signed_rate(profit, basis),
            "stk_cd": self.code,
        }
        return row, basis


def ka10170(state: SimState, call: Call) -> TrResult:
    """당일매매일지: a day's buys and sells per stock (blank `base_dt` = today).

    `ottks_tp` 2 (every sale): `pl_amt` is the sales' realized P&L; `cmsn_alm_tax` every commission and tax
    of the day. `ottks_tp` 1 (sales of shares bought the same day): quantities matched, amounts and costs
    pro rata, `pl_amt` = sell - buy - costs (PROTOCOL.md M6.6's example).
    """
    _refuse_on_request(state)
    values = validate_body(
        call.body,
        (
            Field("base_dt", False, 8, "digits"),
            Field("ottks_tp", True, 1, "choice", ("1", "2")),
            Field("ch_crd_tp", True, 1, "choice", ("0", "1", "2")),
        ),
    )
    state.engine.sync()
    day = _day(values, "base_dt") if values["base_dt"] else state.clock.now().date()
    journals: dict[str, _Journal] = {}
    if values["ch_crd_tp"] != "2":  # the simulator has cash accounts only
        for trade in call.owner.trades.get(day, ()):
            journal = journals.setdefault(trade.code, _Journal(trade.code, trade.name))
            (journal.buys if trade.side == BUY else journal.sells).append(trade)
    found = [journal.entry(same_day_only=values["ottks_tp"] == "1") for journal in journals.values()]
    entries = [row for row, _ in filter(None, found)]
    basis = sum(amount for _, amount in filter(None, found))
    totals = {name: sum(int(e[name]) for e in entries) for name in ("sell_amt", "buy_amt", "cmsn_alm_tax")}
    total_profit = sum(int(e["pl_amt"]) for e in entries)
    chunk, cont_yn, next_key = page(entries, state.settings.list_page_size, call)
    body = {
        "tot_sell_amt": str(totals["sell_amt"]),
        "tot_buy_amt": str(totals["buy_amt"]),
        "tot_cmsn_tax": str(totals["cmsn_alm_tax"]),
        "tot_exct_amt": str(totals["sell_amt"] - totals["buy_amt"] - totals["cmsn_alm_tax"]),
        "tot_pl_amt": str(total_profit),
        "tot_prft_rt": signed_rate(total_profit, basis),
        "tdy_trde_diary": list(chunk),
    }
    return TrResult(_ok(body), cont_yn, next_key)


def trades_json(account: Account, start: date, end: date) -> list[dict]:
    """An account's fills by day as plain JSON, for the control API."""
    return [
        {"date": day.strftime("%Y%m%d"), "trades": [t.as_json() for t in account.trades[day]]}
        for day in sorted(account.trades)
        if start <= day <= end
    ]


TRS = (
    TrSpec("ka10072", PATH, ka10072),
    TrSpec("ka10073", PATH, ka10073),
    TrSpec("ka10074", PATH, ka10074),
    TrSpec("ka10077", PATH, ka10077),
    TrSpec("ka10085", PATH, ka10085),
    TrSpec("ka10170", PATH, ka10170),
)
