"""Wire bodies of the query TRs, built from the book and the market (PROTOCOL.md 3, ka10001)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .book import BUY, Account, Engine, Fees, Order, io_label, io_label_cash
from .market import Stock
from .protocol import direction_sign, pad, rate, signed_price, signed_rate


@dataclass(frozen=True)
class Position:
    """One holding as kt00018/kt00004 see it: quantities, cost and the two prices."""

    code: str
    name: str
    qty: int
    pur_amt: int
    cur_price: int
    base_price: int
    sellable: int
    pred_buyq: int = 0
    pred_sellq: int = 0
    tdy_buyq: int = 0
    tdy_sellq: int = 0


def positions(engine: Engine, account: Account, today: date) -> list[Position]:
    """The account's non-empty holdings, in the order they were first acquired."""
    rows: list[Position] = []
    for holding in account.holdings.values():
        if holding.qty <= 0:
            continue
        holding.roll(today)
        stock = engine.market.stocks[holding.code]
        rows.append(
            Position(
                code=holding.code,
                name=stock.name,
                qty=holding.qty,
                pur_amt=holding.pur_amt,
                cur_price=stock.price,
                base_price=stock.base_price,
                sellable=engine.sellable(account, holding.code),
                pred_buyq=holding.pred_buyq,
                pred_sellq=holding.pred_sellq,
                tdy_buyq=holding.tdy_buyq,
                tdy_sellq=holding.tdy_sellq,
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------------------
# kt00018 계좌평가잔고내역요청 (3.1)


def kt00018(
    cash: int, rows: Sequence[Position], fees: Fees, *, price_sign: bool = True
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Summary fields and all holding rows of kt00018, with the arithmetic that reproduces Kiwoom's example.

    `price_sign` puts the direction sign on `cur_prc` as live captures show it; the official example has none.
    """
    tot_pur = sum(p.pur_amt for p in rows)
    tot_evlt = 0
    tot_pl = 0
    out: list[dict[str, str]] = []
    for p in rows:
        evlt_amt = p.cur_price * p.qty
        pur_cmsn = fees.commission(p.pur_amt)
        sell_cmsn = fees.commission(evlt_amt)
        tax = fees.tax(evlt_amt)
        profit = evlt_amt - p.pur_amt - pur_cmsn - sell_cmsn - tax
        tot_evlt += evlt_amt
        tot_pl += profit
        cur_prc = signed_price(p.cur_price, p.base_price, 12) if price_sign else pad(p.cur_price, 12)
        out.append(
            {
                "stk_cd": "A" + p.code,
                "stk_nm": p.name,
                "evltv_prft": pad(profit, 15),
                "prft_rt": rate(profit, p.pur_amt),
                "pur_pric": pad(p.pur_amt // p.qty, 15),
                "pred_close_pric": pad(p.base_price, 12),
                "rmnd_qty": pad(p.qty, 15),
                "trde_able_qty": pad(p.sellable, 15),
                "cur_prc": cur_prc,
                "pred_buyq": pad(p.pred_buyq, 15),
                "pred_sellq": pad(p.pred_sellq, 15),
                "tdy_buyq": pad(p.tdy_buyq, 15),
                "tdy_sellq": pad(p.tdy_sellq, 15),
                "pur_amt": pad(p.pur_amt, 15),
                "pur_cmsn": pad(pur_cmsn, 15),
                "evlt_amt": pad(evlt_amt, 15),
                "sell_cmsn": pad(sell_cmsn, 15),
                "tax": pad(tax, 15),
                "sum_cmsn": pad(pur_cmsn + sell_cmsn, 15),
                "poss_rt": rate(p.pur_amt, tot_pur),
                "crd_tp": "00",
                "crd_tp_nm": "",
                "crd_loan_dt": "",
            }
        )
    summary = {
        "tot_pur_amt": pad(tot_pur, 15),
        "tot_evlt_amt": pad(tot_evlt, 15),
        "tot_evlt_pl": pad(tot_pl, 15),
        "tot_prft_rt": rate(tot_pl, tot_pur),
        "prsm_dpst_aset_amt": pad(cash + tot_evlt, 15),
        "tot_loan_amt": pad(0, 15),
        "tot_crd_loan_amt": pad(0, 15),
        "tot_crd_ls_amt": pad(0, 15),
    }
    return summary, out


# ---------------------------------------------------------------------------------------------------------
# kt00001 예수금상세현황요청 (3.3)


def kt00001(engine: Engine, account: Account, today: date) -> dict[str, Any]:
    """Deposit detail; cash settles at once in the simulator, so D+1/D+2 deposits equal `entr`."""
    reserved = sum(engine.reservation(o) for o in account.open_orders.values())
    orderable = account.cash - reserved
    bought = sold = 0
    for order in account.orders:
        for fill in order.fills:
            if fill.at.date() == today:
                if order.side == BUY:
                    bought += fill.price * fill.qty
                else:
                    sold += fill.price * fill.qty
    amounts = {
        "entr": account.cash,
        "profa_ch": reserved,
        "bncr_profa_ch": 0,
        "nxdy_bncr_sell_exct": 0,
        "fc_stk_krw_repl_set_amt": 0,
        "crd_grnt_ch": 0,
        "crd_grnt_rt": None,
        "ord_alow_amt": orderable,
        "pymn_alow_amt": orderable,
        "100stk_ord_alow_amt": orderable,
        "20stk_ord_alow_amt": orderable,
        "30stk_ord_alow_amt": orderable,
        "40stk_ord_alow_amt": orderable,
        "50stk_ord_alow_amt": orderable,
        "60stk_ord_alow_amt": orderable,
        "min_ord_alow_yn": orderable,
        "ch_uncla": 0,
        "repl_amt": 0,
        "d1_entra": account.cash,
        "d1_slby_exct_amt": 0,
        "d1_buy_exct_amt": 0,
        "d1_sel_exct_amt": 0,
        "d1_pymn_alow_amt": orderable,
        "d2_entra": account.cash,
        "d2_slby_exct_amt": sold - bought,
        "d2_buy_exct_amt": bought,
        "d2_sel_exct_amt": sold,
        "d2_pymn_alow_amt": orderable,
    }
    body: dict[str, Any] = {
        name: ("0.00" if value is None else pad(value, 15)) for name, value in amounts.items()
    }
    body["stk_entr_prst"] = []
    return body


# ---------------------------------------------------------------------------------------------------------
# kt00004 계좌평가현황요청 (3.2)


def kt00004(
    engine: Engine, account: Account, rows: Sequence[Position]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Account valuation; with no daily or monthly snapshots kept, those columns are cumulative."""
    tot_pur = sum(p.pur_amt for p in rows)
    tot_est = sum(p.cur_price * p.qty for p in rows)
    assets = account.cash + tot_est
    profit = assets - account.principal
    summary = {
        "acnt_nm": "모의투자",
        "brch_nm": "모의투자",
        "entr": pad(account.cash, 12),
        "d2_entra": pad(account.cash, 12),
        "tot_est_amt": pad(tot_est, 12),
        "aset_evlt_amt": pad(assets, 12),
        "tot_pur_amt": pad(tot_pur, 12),
        "prsm_dpst_aset_amt": pad(assets, 12),
        "tot_grnt_sella": pad(0, 12),
        "tdy_lspft_amt": pad(account.principal, 12),
        "invt_bsamt": pad(account.principal, 12),
        "lspft_amt": pad(account.principal, 12),
        "tdy_lspft": pad(profit, 12),
        "lspft2": pad(profit, 12),
        "lspft": pad(profit, 12),
        "tdy_lspft_rt": rate(profit, account.principal),
        "lspft_ratio": rate(profit, account.principal),
        "lspft_rt": rate(profit, account.principal),
    }
    out = []
    for p in rows:
        evlt_amt = p.cur_price * p.qty
        pl_amt = evlt_amt - p.pur_amt
        out.append(
            {
                "stk_cd": "A" + p.code,
                "stk_nm": p.name,
                "rmnd_qty": pad(p.qty, 12),
                "avg_prc": pad(p.pur_amt // p.qty, 12),
                "cur_prc": pad(p.cur_price, 12),
                "evlt_amt": pad(evlt_amt, 12),
                "pl_amt": pad(pl_amt, 12),
                "pl_rt": rate(pl_amt, p.pur_amt, 4),
                "loan_dt": "",
                "pur_amt": pad(p.pur_amt, 12),
                "setl_remn": pad(p.qty, 12),
                "pred_buyq": pad(p.pred_buyq, 12),
                "pred_sellq": pad(p.pred_sellq, 12),
                "tdy_buyq": pad(p.tdy_buyq, 12),
                "tdy_sellq": pad(p.tdy_sellq, 12),
            }
        )
    return summary, out


# ---------------------------------------------------------------------------------------------------------
# ka10075 미체결, ka10076 체결, kt00007 주문체결내역상세 (3.4 - 3.6)

KRX_EXCHANGE = {"stex_tp": "1", "stex_tp_txt": "KRX", "sor_yn": "N"}


def ka10075_row(order: Order, stock: Stock) -> dict[str, str]:
    last = order.fills[-1] if order.fills else None
    base = stock.base_price
    return {
        "acnt_no": order.account.acnt_no,
        "ord_no": order.ord_no,
        "mang_empno": "",
        "stk_cd": order.code,
        "tsk_tp": "",
        "ord_stt": order.status,
        "stk_nm": order.name,
        "ord_qty": str(order.qty),
        "ord_pric": str(order.price),
        "oso_qty": str(order.open_qty),
        "cntr_tot_amt": str(order.filled_amt),
        "orig_ord_no": order.orig_ord_no,
        "io_tp_nm": io_label(order),
        "trde_tp": order.trade_type.label,
        "tm": order.placed_at.strftime("%H%M%S"),
        "cntr_no": str(last.cntr_no) if last else "",
        "cntr_pric": str(order.avg_fill_price),
        "cntr_qty": str(order.filled_qty),
        "cur_prc": signed_price(stock.price, base),
        "sel_bid": signed_price(stock.ask, base),
        "buy_bid": signed_price(stock.bid, base),
        "unit_cntr_pric": str(last.price) if last else "",
        "unit_cntr_qty": str(last.qty) if last else "",
        "tdy_trde_cmsn": str(order.fee),
        "tdy_trde_tax": str(order.tax),
        "ind_invsr": "",
        **KRX_EXCHANGE,
        "stop_pric": "",
    }


def ka10076_row(order: Order) -> dict[str, str]:
    return {
        "ord_no": order.ord_no,
        "stk_nm": order.name,
        "io_tp_nm": io_label(order),
        "ord_pric": str(order.price),
        "ord_qty": str(order.qty),
        "cntr_pric": str(order.avg_fill_price),
        "cntr_qty": str(order.filled_qty),
        "oso_qty": str(order.open_qty),
        "tdy_trde_cmsn": str(order.fee),
        "tdy_trde_tax": str(order.tax),
        "ord_stt": order.status,
        "trde_tp": order.trade_type.label,
        "orig_ord_no": order.orig_ord_no,
        "ord_tm": order.placed_at.strftime("%H%M%S"),
        "stk_cd": order.code,
        **KRX_EXCHANGE,
        "stop_pric": "",
    }


def kt00007_row(order: Order) -> dict[str, str]:
    confirmed = order.kind != "new"
    return {
        "ord_no": order.ord_no,
        "stk_cd": "A" + order.code,
        "trde_tp": order.trade_type.label,
        "crd_tp": "보통매매",
        "ord_qty": pad(order.qty, 10),
        "ord_uv": pad(order.price, 10),
        "cnfm_qty": pad(order.qty if confirmed else 0, 10),
        "acpt_tp": "확인" if confirmed else "접수",
        "rsrv_tp": "",
        "ord_tm": order.placed_at.strftime("%H:%M:%S"),
        "ori_ord": order.orig_ord_no,
        "stk_nm": order.name,
        "io_tp_nm": io_label_cash(order),
        "loan_dt": "",
        "cntr_qty": pad(order.filled_qty, 10),
        "cntr_uv": pad(order.avg_fill_price, 10),
        "ord_remnq": pad(order.open_qty, 10),
        "comm_ord_tp": "REST API",
        "mdfy_cncl": {"new": "", "modify": "정정", "cancel": "취소"}[order.kind],
        "cnfm_tm": order.confirmed_at.strftime("%H:%M:%S") if order.confirmed_at else "",
        "dmst_stex_tp": "KRX",
        "cond_uv": pad(0, 10),
    }


# ---------------------------------------------------------------------------------------------------------
# ka10001 주식기본정보요청 (field names from Kiwoom's guide as commonly used; not in PROTOCOL.md)


def ka10001(stock: Stock) -> dict[str, str]:
    base = stock.base_price
    change = stock.price - base
    sign_code = "3"  # 보합
    if stock.price == stock.upper:
        sign_code = "1"
    elif stock.price == stock.lower:
        sign_code = "4"
    elif change > 0:
        sign_code = "2"
    elif change < 0:
        sign_code = "5"
    return {
        "stk_cd": stock.code,
        "stk_nm": stock.name,
        "cur_prc": signed_price(stock.price, base),
        "pre_sig": sign_code,
        "pred_pre": direction_sign(stock.price, base) + str(abs(change)),
        "flu_rt": signed_rate(change, base),
        "base_pric": str(base),
        "upl_pric": signed_price(stock.upper, base),
        "lst_pric": signed_price(stock.lower, base),
        "open_pric": signed_price(stock.open, base),
        "high_pric": signed_price(stock.high, base),
        "low_pric": signed_price(stock.low, base),
        "trde_qty": str(stock.volume),
    }
