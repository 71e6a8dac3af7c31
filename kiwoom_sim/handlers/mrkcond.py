"""ka10004 주식호가요청 on /api/dostk/mrkcond: the 10-level book of `orderbook` (PROTOCOL.md M3)."""

from __future__ import annotations

from ..orderbook import DEPTH, book_levels
from ..protocol import MSG_OK, Field, signed_price, unknown_stock, validate_body
from ..state import SimState
from .common import Call, TrResult, TrSpec

PATH = "/api/dostk/mrkcond"


def ka10004(state: SimState, call: Call) -> TrResult:
    values = validate_body(call.body, (Field("stk_cd", True, 20, "code"),))
    code = values["stk_cd"]
    stock = state.market.get(code.split("_", 1)[0])
    if stock is None:
        raise unknown_stock(code)
    state.engine.sync()
    asks, bids = book_levels(state.market, state.engine, stock.code)
    base = stock.base_price
    body: dict[str, str | int] = {"bid_req_base_tm": state.clock.now().strftime("%H%M%S")}
    # Kiwoom lists the asks from the 10th level down to the best, then the bids from the best down.
    for level in range(DEPTH, 0, -1):
        body.update(_level("sel", level, asks, base))
    for level in range(1, DEPTH + 1):
        body.update(_level("buy", level, bids, base))
    body.update(
        tot_sel_req=str(sum(q for _, q in asks)),
        tot_buy_req=str(sum(q for _, q in bids)),
        tot_sel_req_jub_pre="0",
        tot_buy_req_jub_pre="0",
        ovt_sel_req="0",
        ovt_buy_req="0",
        ovt_sel_req_pre="0",
        ovt_buy_req_pre="0",
        return_code=0,
        return_msg=MSG_OK,
    )
    return TrResult(body)


def _level(side: str, level: int, levels: list[tuple[int, int]], base: int) -> dict[str, str]:
    """`sel_fpr_bid`/`sel_fpr_req` for the best level, `sel_{N}th_pre_bid`/`_req` for the others (`2th`,
    `3th` as Kiwoom spells them); an empty level is all zeros."""
    prefix = f"{side}_fpr" if level == 1 else f"{side}_{level}th_pre"
    price, quantity = levels[level - 1] if level <= len(levels) else (0, 0)
    return {
        f"{prefix}_bid": signed_price(price, base) if price else "0",
        f"{prefix}_req": str(quantity),
        f"{side}_{level}th_pre_req_pre": "0",
    }


TRS = (TrSpec("ka10004", PATH, ka10004),)
