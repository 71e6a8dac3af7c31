"""What Kiwoom says about one day's orders of one account, as the sync and reconciliation read it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from brokerage import kiwoom
from brokerage.kiwoom.parsing import KST, kst_date  # noqa: F401  (kst_date: imported from here too)
from brokerage.orders.models import Order, OrderKind


@dataclass(frozen=True)
class PlacedOrder:
    """An order as Kiwoom lists it, whichever list it came from."""

    number: str
    original_number: str | None
    kind: str
    stock_code: str
    side: str
    quantity: int
    price: int
    trade_type_text: str
    placed_at: datetime | None


@dataclass(frozen=True)
class DayBook:
    """What Kiwoom says about one day's orders of one account."""

    day: date
    open_orders: Mapping[str, kiwoom.OpenOrder]
    fills: Mapping[str, kiwoom.Fill]
    details: Mapping[str, kiwoom.OrderDetail] | None  # kt00007: every order of the day, when it was asked

    def lists_agree(self, order: Order) -> bool:
        """Do ka10075 and ka10076 tell one story about the order, although read at different moments?"""
        open_row = self.open_orders.get(order.kiwoom_order_number)
        fill = self.fills.get(order.kiwoom_order_number)
        if fill is None:
            # Nothing had filled when ka10076 was read: so says ka10075 unless a fill came in between.
            return open_row is not None and open_row.filled_amount == 0
        if open_row is None:
            return fill.remaining_quantity == 0  # closed when ka10076 was read, as ka10075 says
        return open_row.remaining_quantity == fill.remaining_quantity

    def placed(self) -> list[PlacedOrder]:
        """Every order of the day that any list shows, once each."""
        found: dict[str, PlacedOrder] = {}
        for row in (self.details or {}).values():
            kind = {"정정": OrderKind.MODIFY, "취소": OrderKind.CANCEL}.get(row.modify_cancel_text.strip())
            found[row.order_number] = self._placed(row, kind or OrderKind.NEW)
        for row in [*self.open_orders.values(), *self.fills.values()]:
            if row.order_number not in found:
                kind = OrderKind.NEW if row.original_order_number is None else OrderKind.MODIFY
                found[row.order_number] = self._placed(row, kind)
        return list(found.values())

    def _placed(self, row: Any, kind: str) -> PlacedOrder:
        return PlacedOrder(
            number=row.order_number,
            original_number=row.original_order_number,
            kind=kind,
            stock_code=row.stock_code,
            side=str(row.side),
            quantity=row.order_quantity,
            price=row.order_price,
            trade_type_text=row.trade_type_text,
            placed_at=kst_moment(self.day, row.time_text),
        )


# --- Korea time ---------------------------------------------------------------------------------------------


def kst_moment(day: date, text: str) -> datetime | None:
    """Kiwoom's time of day (`HHmmss` or `HH:mm:ss`, Korea time) on `day`; None when unreadable."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) != 6:
        return None
    try:
        return datetime.combine(day, time(int(digits[:2]), int(digits[2:4]), int(digits[4:])), tzinfo=KST)
    except ValueError:
        return None
