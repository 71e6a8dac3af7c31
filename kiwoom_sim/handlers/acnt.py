"""Account TRs on /api/dostk/acnt: balances, deposit, open orders, fills, order detail (PROTOCOL.md 3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import views
from ..book import BUY, SELL, Account, Order
from ..protocol import (
    MSG_OK,
    MSG_QUERY_OK,
    MSG_QUERY_OK_SPACED,
    Field,
    missing_field,
    not_on_mock,
    validate_body,
)
from ..state import SimState
from .common import Call, TrResult, TrSpec, page, page_after

PATH = "/api/dostk/acnt"

_SIDE_FILTER = {"0": None, "1": SELL, "2": BUY}


def _ok(body: dict, message: str = MSG_QUERY_OK) -> dict:
    body["return_code"] = 0
    body["return_msg"] = message
    return body


def kt00018(state: SimState, call: Call) -> TrResult:
    validate_body(
        call.body,
        (
            Field("qry_tp", True, 1, "choice", ("1", "2")),
            Field("dmst_stex_tp", True, 6, "choice", ("KRX", "NXT")),
        ),
    )
    return _valuation(
        state,
        call,
        "acnt_evlt_remn_indv_tot",
        lambda account, rows: views.kt00018(account.cash, rows, state.fees),
    )


def kt00001(state: SimState, call: Call) -> TrResult:
    validate_body(call.body, (Field("qry_tp", True, 1, "choice", ("2", "3")),))
    state.engine.sync()
    return TrResult(_ok(views.kt00001(state.engine, call.owner, state.clock.now().date())))


def kt00004(state: SimState, call: Call) -> TrResult:
    validate_body(
        call.body,
        (
            Field("qry_tp", True, 1, "choice", ("0", "1")),
            Field("dmst_stex_tp", True, 6, "choice", ("KRX", "NXT")),
        ),
    )
    return _valuation(
        state, call, "stk_acnt_evlt_prst", lambda account, rows: views.kt00004(state.engine, account, rows)
    )


def _valuation(
    state: SimState,
    call: Call,
    list_field: str,
    build: Callable[[Account, list[views.Position]], tuple[dict[str, Any], list[dict[str, str]]]],
) -> TrResult:
    """kt00018 / kt00004: the summary of `build` on every page, its holding rows paged under `list_field`."""
    state.engine.sync()
    account = call.owner
    rows = views.positions(state.engine, account, state.clock.now().date())
    summary, holdings = build(account, rows)
    chunk, cont_yn, next_key = page(holdings, state.settings.holdings_page_size, call)
    summary[list_field] = list(chunk)
    return TrResult(_ok(summary), cont_yn, next_key)


def ka10075(state: SimState, call: Call) -> TrResult:
    """Open orders, newest first."""
    values = validate_body(
        call.body,
        (
            Field("all_stk_tp", True, 1, "choice", ("0", "1")),
            Field("trde_tp", True, 1, "choice", ("0", "1", "2")),
            Field("stk_cd", False, 6, "code"),
            Field("stex_tp", True, 1, "choice", ("0", "1", "2")),
        ),
    )
    if values["all_stk_tp"] == "1" and not values["stk_cd"]:
        raise missing_field("stk_cd")
    state.engine.sync()
    side = _SIDE_FILTER[values["trde_tp"]]
    orders: list[Order] = []
    if values["stex_tp"] != "2":  # every simulated order is on KRX
        orders = [
            o
            for o in call.owner.open_orders.values()
            if (side is None or o.side == side)
            and (values["all_stk_tp"] == "0" or o.code == values["stk_cd"])
        ]
    orders.sort(key=lambda o: o.seq, reverse=True)
    chunk, cont_yn, next_key = page_after(
        orders, state.settings.list_page_size, call, position=lambda o: o.seq, descending=True
    )
    rows = [views.ka10075_row(o, state.market.stocks[o.code]) for o in chunk]
    return TrResult(_ok({"oso": rows}, MSG_QUERY_OK_SPACED), cont_yn, next_key)


def ka10076(state: SimState, call: Call) -> TrResult:
    """Today's orders with fills, newest first; `ord_no` asks for those older than that order."""
    values = validate_body(
        call.body,
        (
            Field("stk_cd", False, 6, "code"),
            Field("qry_tp", True, 1, "choice", ("0", "1")),
            Field("sell_tp", True, 1, "choice", ("0", "1", "2")),
            Field("ord_no", False, 10, "digits"),
            Field("stex_tp", True, 1, "choice", ("0", "1", "2")),
        ),
    )
    if values["qry_tp"] == "1" and not values["stk_cd"]:
        raise missing_field("stk_cd")
    state.engine.sync()
    today = state.clock.now().date()
    side = _SIDE_FILTER[values["sell_tp"]]
    before = int(values["ord_no"]) if values["ord_no"] else None
    orders: list[Order] = []
    if values["stex_tp"] != "2":
        orders = [
            o
            for o in call.owner.orders
            if o.filled_qty
            and o.fills[-1].at.date() == today
            and (side is None or o.side == side)
            and (values["qry_tp"] == "0" or o.code == values["stk_cd"])
            and (before is None or o.seq < before)
        ]
    orders.sort(key=lambda o: o.seq, reverse=True)
    chunk, cont_yn, next_key = page_after(
        orders, state.settings.list_page_size, call, position=lambda o: o.seq, descending=True
    )
    return TrResult(
        _ok({"cntr": [views.ka10076_row(o) for o in chunk]}, MSG_QUERY_OK_SPACED), cont_yn, next_key
    )


def kt00007(state: SimState, call: Call) -> TrResult:
    """Every order, modify and cancel of a day by order number (or reversed, open only, filled only)."""
    values = validate_body(
        call.body,
        (
            Field("ord_dt", False, 8, "digits"),
            Field("qry_tp", True, 1, "choice", ("1", "2", "3", "4")),
            Field("stk_bond_tp", True, 1, "choice", ("0", "1", "2")),
            Field("sell_tp", True, 1, "choice", ("0", "1", "2")),
            Field("stk_cd", False, 12, "code"),
            Field("fr_ord_no", False, 7, "digits"),
            Field("dmst_stex_tp", True, 6, "choice", ("%", "KRX", "NXT", "SOR")),
        ),
    )
    state.engine.sync()
    day = values["ord_dt"] or state.clock.now().strftime("%Y%m%d")
    qry_tp = values["qry_tp"]
    side = _SIDE_FILTER[values["sell_tp"]]
    code = values["stk_cd"].removeprefix("A") if len(values["stk_cd"]) == 7 else values["stk_cd"]
    start = int(values["fr_ord_no"]) if values["fr_ord_no"] else None
    descending = qry_tp == "2"
    orders: list[Order] = []
    if values["stk_bond_tp"] != "2" and values["dmst_stex_tp"] in ("%", "KRX"):
        for o in call.owner.orders:
            if o.placed_at.strftime("%Y%m%d") != day:
                continue
            if (side is not None and o.side != side) or (code and o.code != code):
                continue
            if (qry_tp == "3" and not o.open_qty) or (qry_tp == "4" and not o.filled_qty):
                continue
            if start is not None and (o.seq > start if descending else o.seq < start):
                continue
            orders.append(o)
    orders.sort(key=lambda o: o.seq, reverse=descending)
    chunk, cont_yn, next_key = page_after(
        orders, state.settings.list_page_size, call, position=lambda o: o.seq, descending=descending
    )
    body = {"acnt_ord_cntr_prps_dtl": [views.kt00007_row(o) for o in chunk]}
    return TrResult(_ok(body), cont_yn, next_key)


def ka00001(state: SimState, call: Call) -> TrResult:
    """Account number of the token's account."""
    return TrResult(_ok({"acctNo": call.owner.acnt_no}, MSG_OK))


def not_offered(state: SimState, call: Call) -> TrResult:
    """Account TRs that Kiwoom's mock server answers with RC9000 (PROTOCOL.md 4.5)."""
    raise not_on_mock()


TRS = (
    TrSpec("kt00018", PATH, kt00018),
    TrSpec("kt00001", PATH, kt00001),
    TrSpec("kt00004", PATH, kt00004),
    TrSpec("ka10075", PATH, ka10075),
    TrSpec("ka10076", PATH, ka10076),
    TrSpec("kt00007", PATH, kt00007),
    TrSpec("ka00001", PATH, ka00001),
    *(
        TrSpec(api_id, PATH, not_offered)
        for api_id in ("kt00002", "kt00005", "kt00015", "kt00016", "kt00017")
    ),
)
