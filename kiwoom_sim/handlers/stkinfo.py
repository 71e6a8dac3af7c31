"""ka10001 주식기본정보요청 on /api/dostk/stkinfo: name and price of a stock."""

from __future__ import annotations

from .. import views
from ..protocol import MSG_QUERY_OK, Field, unknown_stock, validate_body
from ..state import SimState
from .common import Call, TrResult, TrSpec


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


TRS = (TrSpec("ka10001", "/api/dostk/stkinfo", ka10001),)
