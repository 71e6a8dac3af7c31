"""Stock information TRs on /api/dostk/stkinfo: ka10001 (one stock), ka10099 (the stock master by market) and
ka10095 (quotes of up to 100 codes), PROTOCOL.md M1, M2.2, M5."""

from __future__ import annotations

import re

from .. import views
from ..market import Stock
from ..orderbook import book_levels
from ..protocol import (
    MSG_OK,
    MSG_QUERY_OK,
    Field,
    KiwoomError,
    pad,
    signed_price,
    unknown_stock,
    validate_body,
)
from ..state import SimState
from ..universe import LISTING_MARKET_TYPES, MARKET_CODES, MARKET_TYPES, Instrument
from .common import Call, TrResult, TrSpec, page

PATH = "/api/dostk/stkinfo"
# ka10099 rows per page: Kiwoom's page size is not documented (PROTOCOL.md M11.8); this makes KOSPI two pages.
MASTER_PAGE_SIZE = 500
BATCH_LIMIT = 100  # ka10095: 100 codes answer, more are refused with [1634] (PROTOCOL.md M0.7)
_BATCH_CODE = re.compile(r"[0-9A-Z]{6}(?:_NX|_AL)?")


def ka10001(state: SimState, call: Call) -> TrResult:
    values = validate_body(call.body, (Field("stk_cd", True, 20, "code"),))
    code = values["stk_cd"]
    # Exchange suffixes (_NX, _AL) select a venue on real; the simulator has one price per stock.
    stock = state.market.get(code.split("_", 1)[0])
    if stock is None:
        raise unknown_stock(code)
    state.engine.sync()
    body = views.ka10001(stock)
    body["stk_cd"] = code
    body.update(return_code=0, return_msg=MSG_QUERY_OK)
    return TrResult(body)


def ka10099(state: SimState, call: Call) -> TrResult:
    values = validate_body(call.body, (Field("mrkt_tp", True, 2, "choice", LISTING_MARKET_TYPES),))
    market = MARKET_TYPES.get(values["mrkt_tp"])
    instruments = state.market.universe.market(market) if market else []
    chunk, cont_yn, next_key = page(instruments, MASTER_PAGE_SIZE, call)
    rows = [master_row(state, instrument) for instrument in chunk]
    return TrResult({"return_code": 0, "return_msg": MSG_OK, "list": rows}, cont_yn, next_key)


def master_row(state: SimState, instrument: Instrument) -> dict[str, str]:
    """A ka10099/ka10100 row: 16-wide listCount, 8-wide lastPrice (the base price of a stock alive now)."""
    stock = state.market.stocks.get(instrument.code)
    last_price = stock.base_price if stock is not None else instrument.listing.base_price
    market_code, market_name = MARKET_CODES[instrument.market]
    return {
        "code": instrument.code,
        "name": instrument.name,
        "listCount": pad(instrument.listed_shares, 16),
        "auditInfo": instrument.audit_info,
        "regDay": instrument.listed_on.strftime("%Y%m%d"),
        "lastPrice": pad(last_price, 8),
        "state": instrument.state,
        "marketCode": market_code,
        "marketName": market_name,
        "upName": instrument.sector,
        "upSizeName": instrument.size_class,
        "companyClassName": "",
        "orderWarning": instrument.order_warning,
        "nxtEnable": "Y" if instrument.nxt_enabled else "",
    }


def ka10095(state: SimState, call: Call) -> TrResult:
    values = validate_body(call.body, (Field("stk_cd", True, 2_000, "text"),))
    codes = [code.strip() for code in values["stk_cd"].split("|") if code.strip()]
    if len(codes) > BATCH_LIMIT:
        raise KiwoomError(5, "허용된 요청 개수를 초과하였습니다[1634]")
    state.engine.sync()
    rows = []
    for code in codes:
        stock = state.market.get(code.split("_", 1)[0]) if _BATCH_CODE.fullmatch(code) else None
        if stock is not None:  # unknown codes are left out of the answer
            rows.append(batch_row(state, stock, code))
    return TrResult({"atn_stk_infr": rows, "return_code": 0, "return_msg": MSG_OK})


def batch_row(state: SimState, stock: Stock, code: str) -> dict[str, str]:
    """One ka10095 row: the ka10001 quote plus the best five levels a side and the ELW fields left empty."""
    quote = views.ka10001(stock)
    base = stock.base_price
    asks, bids = book_levels(state.market, state.engine, stock.code)
    row = {
        "stk_cd": code,
        "stk_nm": stock.name,
        "cur_prc": quote["cur_prc"],
        "base_pric": str(base),
        "pred_pre": quote["pred_pre"],
        "pred_pre_sig": quote["pre_sig"],
        "flu_rt": quote["flu_rt"],
        "trde_qty": str(stock.volume),
        "trde_prica": str(stock.volume * stock.price // 1_000_000),
        "cntr_qty": str(stock.liquidity or 0),
        "cntr_str": "100.00",
        "pred_trde_qty_pre": "0",
        "sel_bid": signed_price(asks[0][0], base) if asks else "0",
        "buy_bid": signed_price(bids[0][0], base) if bids else "0",
        "upl_pric": quote["upl_pric"],
        "lst_pric": quote["lst_pric"],
        "open_pric": quote["open_pric"],
        "high_pric": quote["high_pric"],
        "low_pric": quote["low_pric"],
        "close_pric": quote["cur_prc"],
        "cntr_tm": state.clock.now().strftime("%H%M%S"),
        "exp_cntr_pric": "0",
        "exp_cntr_qty": "0",
        "tot_sel_req": str(sum(q for _, q in asks)),
        "tot_buy_req": str(sum(q for _, q in bids)),
    }
    for level in range(1, 6):
        row[f"sel_{level}th_bid"] = signed_price(asks[level - 1][0], base) if len(asks) >= level else "0"
        row[f"buy_{level}th_bid"] = signed_price(bids[level - 1][0], base) if len(bids) >= level else "0"
    for elw_field in ("prty", "gear", "pl_qutr", "cap_support", "elwexec_pric", "cnvt_rt", "elwexpr_dt"):
        row[elw_field] = ""
    return row


TRS = (
    TrSpec("ka10001", PATH, ka10001),
    TrSpec("ka10099", PATH, ka10099),
    TrSpec("ka10095", PATH, ka10095),
)
