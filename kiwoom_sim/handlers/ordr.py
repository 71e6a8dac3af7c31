"""Cash orders on /api/dostk/ordr: kt10000 buy, kt10001 sell, kt10002 modify, kt10003 cancel (PROTOCOL 4)."""

from __future__ import annotations

from ..book import BUY, SELL, TRADE_TYPES, Order
from ..protocol import Field, bad_format, not_on_mock, pad, validate_body
from ..state import SimState
from .common import Call, Handler, TrResult, TrSpec

PATH = "/api/dostk/ordr"

_EXCHANGE = Field("dmst_stex_tp", True, 3, "choice", ("KRX", "NXT", "SOR"))
_CODE = Field("stk_cd", True, 12, "code")
_ORIG = Field("orig_ord_no", True, 7, "digits")


def _check_exchange(values: dict[str, str]) -> None:
    # The mock server trades KRX only (PROTOCOL.md 1.1); NXT and SOR orders are not offered there.
    if values["dmst_stex_tp"] != "KRX":
        raise not_on_mock()


def _quantity(values: dict[str, str], name: str, allow_zero: bool = False) -> int:
    qty = int(values[name])
    if qty == 0 and not allow_zero:
        raise bad_format(name, "주문수량은 1 이상이어야 합니다")
    return qty


def _new_order(side: str, message: str) -> Handler:
    def handler(state: SimState, call: Call) -> TrResult:
        values = validate_body(
            call.body,
            (
                _EXCHANGE,
                _CODE,
                Field("ord_qty", True, 12, "digits"),
                Field("ord_uv", False, 12, "digits"),
                Field("trde_tp", True, 2, "choice", tuple(TRADE_TYPES)),
                Field("cond_uv", False, 12, "digits"),
            ),
        )
        qty = _quantity(values, "ord_qty")
        _check_exchange(values)
        price = int(values["ord_uv"]) if values["ord_uv"] else 0
        order = state.engine.place(
            call.owner, side, values["stk_cd"], TRADE_TYPES[values["trde_tp"]], qty, price
        )
        return TrResult(
            {"ord_no": order.ord_no, "dmst_stex_tp": "KRX", "return_code": 0, "return_msg": message}
        )

    handler.__doc__ = f"{'Buy' if side == BUY else 'Sell'} order."
    return handler


def modify(state: SimState, call: Call) -> TrResult:
    values = validate_body(
        call.body,
        (
            _EXCHANGE,
            _ORIG,
            _CODE,
            Field("mdfy_qty", True, 12, "digits"),
            Field("mdfy_uv", True, 12, "digits"),
            Field("mdfy_cond_uv", False, 12, "digits"),
        ),
    )
    _check_exchange(values)
    order = state.engine.modify(
        call.owner,
        values["orig_ord_no"].zfill(7),
        values["stk_cd"],
        _quantity(values, "mdfy_qty", allow_zero=True),
        int(values["mdfy_uv"]),
    )
    return _follow_up_ack(order, "mdfy_qty", "모의투자 정정주문완료")


def cancel(state: SimState, call: Call) -> TrResult:
    values = validate_body(
        call.body,
        (_EXCHANGE, _ORIG, _CODE, Field("cncl_qty", True, 12, "digits")),
    )
    _check_exchange(values)
    order = state.engine.cancel(
        call.owner,
        values["orig_ord_no"].zfill(7),
        values["stk_cd"],
        _quantity(values, "cncl_qty", allow_zero=True),
    )
    return _follow_up_ack(order, "cncl_qty", "모의투자 취소주문완료")


def _follow_up_ack(order: Order, qty_field: str, message: str) -> TrResult:
    """A modify or cancel answer: new number, the chain's root, 12-wide quantity (PROTOCOL.md 4.4)."""
    return TrResult(
        {
            "ord_no": order.ord_no,
            "base_orig_ord_no": order.root_ord_no,
            qty_field: pad(order.qty, 12),
            "dmst_stex_tp": "KRX",
            "return_code": 0,
            "return_msg": message,
        }
    )


TRS = (
    TrSpec("kt10000", PATH, _new_order(BUY, "모의투자 매수주문완료")),
    TrSpec("kt10001", PATH, _new_order(SELL, "모의투자 매도주문완료")),
    TrSpec("kt10002", PATH, modify),
    TrSpec("kt10003", PATH, cancel),
)
