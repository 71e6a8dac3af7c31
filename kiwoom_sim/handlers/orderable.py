"""kt00011 증거금율별주문가능수량조회요청 on /api/dostk/acnt: how many shares the account's orderable
cash buys (PROTOCOL.md M6.7; mock answers it). Accounts here are cash only: the `min_*` (미수불가) tier is
filled."""

from __future__ import annotations

from ..protocol import Field, pad, unknown_stock, validate_body
from ..state import SimState
from .common import Call, TrResult, TrSpec

PATH = "/api/dostk/acnt"
MSG_DATA_OK = "자료를 조회하였습니다."
MARGIN_TIERS = (20, 30, 40, 50, 60, 100)


def kt00011(state: SimState, call: Call) -> TrResult:
    values = validate_body(call.body, (Field("stk_cd", True, 12, "code"), Field("uv", False, 10, "digits")))
    code = values["stk_cd"].removeprefix("A")
    stock = state.market.get(code)
    if stock is None:
        raise unknown_stock(values["stk_cd"])
    state.engine.sync()
    account = call.owner
    price = int(values["uv"]) if values["uv"] and int(values["uv"]) > 0 else stock.price
    cash = max(state.engine.orderable_cash(account), 0)
    quantity = max_quantity(state, cash, price)
    instrument = state.market.universe.get(code)
    body: dict[str, str | int] = {
        "stk_profa_rt": f"{instrument.margin_rate if instrument else 100}%",
        "profa_rt": "100%",
        "aplc_rt": "100%",
    }
    # Only the tier that applies is filled; a cash account's is the 미수불가 one (`min_*`), as in the example.
    for tier in MARGIN_TIERS:
        for name in ("ord_alow_amt", "ord_alowq", "pred_reu_amt", "tdy_reu_amt"):
            body[f"profa_{tier}{name}"] = ""
    body.update(
        min_ord_alow_amt=pad(cash, 12),
        min_ord_alowq=pad(quantity, 12),
        min_pred_reu_amt=pad(0, 12),
        min_tdy_reu_amt=pad(0, 12),
        entr=pad(account.cash, 12),
        repl_amt=pad(0, 12),
        uncla=pad(0, 12),
        ord_pos_repl=pad(0, 12),
        ord_alowa=pad(cash, 12),
        return_code=0,
        return_msg=MSG_DATA_OK,
    )
    return TrResult(body)


def max_quantity(state: SimState, cash: int, price: int) -> int:
    """The most shares at `price` whose amount plus commission fits in `cash`."""
    quantity = cash // price
    while quantity > 0 and quantity * price + state.fees.commission(quantity * price) > cash:
        quantity -= 1
    return quantity


TRS = (TrSpec("kt00011", PATH, kt00011),)
