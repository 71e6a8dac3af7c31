"""Typed results of the Kiwoom client, and the enums its methods take.

Every result is a frozen dataclass. Amounts are KRW as `int`, quantities are shares as `int`, rates are
percentages as `Decimal` (as Kiwoom prints them, e.g. `Decimal("-2.70")`), prices are absolute values
(Kiwoom's sign on a price is the direction against the previous close, not a negative price), and stock
codes are the plain six characters (`005930`), with the `A`/`J`/`Q` prefix of account TRs removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "Balance",
    "BalanceSummary",
    "Deposit",
    "Fill",
    "Holding",
    "OpenOrder",
    "OrderAck",
    "OrderDetail",
    "OrderSide",
    "StockInfo",
    "Token",
    "TradeType",
]


class OrderSide(StrEnum):
    """Buy (kt10000) or sell (kt10001)."""

    BUY = "buy"
    SELL = "sell"


# code -> (label, takes a price). Codes from PROTOCOL §4.2; which ones take a price from §4.3. Kiwoom calls a
# limit order 보통 ("ordinary"); Korean trading apps, and their users, say 지정가, and so do these labels.
_TRADE_TYPES: dict[str, tuple[str, bool]] = {
    "0": ("지정가 (limit)", True),
    "3": ("시장가 (market)", False),
    "5": ("조건부지정가 (conditional limit)", True),
    "6": ("최유리지정가 (best limit)", False),
    "7": ("최우선지정가 (top-of-book limit)", False),
    "10": ("지정가 IOC (limit IOC)", True),
    "13": ("시장가 IOC (market IOC)", False),
    "16": ("최유리 IOC (best IOC)", False),
    "20": ("지정가 FOK (limit FOK)", True),
    "23": ("시장가 FOK (market FOK)", False),
    "26": ("최유리 FOK (best FOK)", False),
    "28": ("스톱지정가 (stop limit)", True),
    "29": ("중간가 (mid-price)", False),
    "30": ("중간가 IOC (mid-price IOC)", False),
    "31": ("중간가 FOK (mid-price FOK)", False),
    "61": ("장시작전시간외 (pre-market at previous close)", False),
    "62": ("시간외단일가 (after-hours single price)", True),
    "81": ("장마감후시간외 (after-hours at close)", False),
}


class TradeType(StrEnum):
    """Kiwoom's 매매구분 (`trde_tp`) codes; the value is the code sent on the wire ("0", "3", ...)."""

    LIMIT = "0"
    MARKET = "3"
    CONDITIONAL_LIMIT = "5"
    BEST_LIMIT = "6"
    PRIORITY_LIMIT = "7"
    LIMIT_IOC = "10"
    MARKET_IOC = "13"
    BEST_IOC = "16"
    LIMIT_FOK = "20"
    MARKET_FOK = "23"
    BEST_FOK = "26"
    STOP_LIMIT = "28"
    MID_PRICE = "29"
    MID_PRICE_IOC = "30"
    MID_PRICE_FOK = "31"
    PRE_MARKET = "61"
    AFTER_HOURS_SINGLE_PRICE = "62"
    AFTER_HOURS_CLOSE = "81"

    @property
    def label(self) -> str:
        """Kiwoom's Korean name with an English gloss, e.g. `시장가 (market)`."""
        return _TRADE_TYPES[self.value][0]

    @property
    def requires_price(self) -> bool:
        """True for the types sent with a price (`ord_uv`): 0, 5, 10, 20, 28, 62; False for the rest."""
        return _TRADE_TYPES[self.value][1]


@dataclass(frozen=True, slots=True, repr=False)
class Token:
    """An access token from au10001. `repr()` and `str()` never show the token itself."""

    token: str
    token_type: str
    expires_at: datetime  # aware, UTC

    def __repr__(self) -> str:
        expires = self.expires_at.isoformat()
        return f"Token(token=<redacted>, token_type={self.token_type!r}, expires_at={expires})"


@dataclass(frozen=True, slots=True)
class BalanceSummary:
    """Account totals of kt00018."""

    total_purchase: int  # tot_pur_amt
    total_evaluation: int  # tot_evlt_amt
    total_profit_loss: int  # tot_evlt_pl (signed)
    total_return_rate: Decimal  # tot_prft_rt, percent
    estimated_deposit_asset: int  # prsm_dpst_aset_amt


@dataclass(frozen=True, slots=True)
class Holding:
    """One row of kt00018 `acnt_evlt_remn_indv_tot`."""

    stock_code: str  # stk_cd without the A/J/Q prefix
    name: str  # stk_nm
    quantity: int  # rmnd_qty
    tradable_quantity: int  # trde_able_qty
    average_price: int  # pur_pric
    current_price: int  # cur_prc, absolute value
    previous_close: int  # pred_close_pric
    purchase_amount: int  # pur_amt
    evaluation_amount: int  # evlt_amt
    profit_loss: int  # evltv_prft (signed)
    return_rate: Decimal  # prft_rt, percent
    weight: Decimal  # poss_rt, percent


@dataclass(frozen=True, slots=True)
class Balance:
    """kt00018 across every page: totals and the holdings with a non-zero quantity."""

    summary: BalanceSummary
    holdings: tuple[Holding, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Deposit:
    """Key amounts of kt00001 (추정조회)."""

    deposit: int  # entr
    orderable_amount: int  # ord_alow_amt; negative when unfilled orders tie up margin
    withdrawable_amount: int  # pymn_alow_amt
    d2_deposit: int  # d2_entra


@dataclass(frozen=True, slots=True)
class StockInfo:
    """ka10001 basics of one stock."""

    stock_code: str
    name: str
    current_price: int  # cur_prc, absolute value
    base_price: int  # base_pric
    upper_limit: int  # upl_pric
    lower_limit: int  # lst_pric


@dataclass(frozen=True, slots=True)
class OrderAck:
    """Kiwoom's acceptance of an order, a modification or a cancellation (not a fill)."""

    order_number: str  # ord_no, 7 digits
    exchange: str  # dmst_stex_tp
    message: str  # return_msg
    base_order_number: str | None = None  # base_orig_ord_no (modify/cancel): the root order of the chain
    quantity: int | None = None  # mdfy_qty / cncl_qty (modify/cancel)


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """One row of ka10075 `oso` (미체결)."""

    order_number: str
    original_order_number: str | None  # None when Kiwoom sends 0000000
    stock_code: str
    name: str
    side: OrderSide
    status_text: str  # ord_stt, e.g. 접수
    order_quantity: int
    order_price: int
    remaining_quantity: int  # oso_qty
    filled_amount: int  # cntr_tot_amt
    trade_type_text: str  # trde_tp text, e.g. 보통
    time_text: str  # tm, HHmmss


@dataclass(frozen=True, slots=True)
class Fill:
    """One row of ka10076 `cntr` (체결)."""

    order_number: str
    original_order_number: str | None
    stock_code: str
    name: str
    side: OrderSide
    order_price: int
    order_quantity: int
    fill_price: int  # cntr_pric
    fill_quantity: int  # cntr_qty
    remaining_quantity: int  # oso_qty
    fee: int  # tdy_trde_cmsn
    tax: int  # tdy_trde_tax
    status_text: str  # ord_stt
    trade_type_text: str
    time_text: str  # ord_tm, HHmmss


@dataclass(frozen=True, slots=True)
class OrderDetail:
    """One row of kt00007 `acnt_ord_cntr_prps_dtl` (계좌별주문체결내역상세)."""

    order_number: str
    original_order_number: str | None  # ori_ord
    stock_code: str
    name: str
    side: OrderSide
    trade_type_text: str
    order_quantity: int
    order_price: int  # ord_uv
    confirmed_quantity: int  # cnfm_qty
    filled_quantity: int  # cntr_qty
    fill_price: int  # cntr_uv
    remaining_quantity: int  # ord_remnq
    accept_text: str  # acpt_tp, e.g. 접수
    modify_cancel_text: str  # mdfy_cncl
    time_text: str  # ord_tm, HH:mm:ss
