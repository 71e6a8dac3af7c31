"""Realized P&L by moving-average cost, from the ledger's fills (the Korean brokerage convention).

Buys raise the average: avg' = (qty × avg + bought × price) / (qty + bought); the buy's commission is kept
with the position. A sell realizes (price − avg) × sold before costs, and after costs that minus its own
commission, its sell tax and the share of the position's buy commissions that goes with the sold shares
(sold / held of it). Averages stay exact (Decimal); P&L is rounded to the won, half up, per trade.

Shares held before StockLab: each stock's position starts, at its first fill, from the last daily snapshot
before that fill's day (`seed`: Kiwoom's quantity and average price), so a buy averages in with them. Shares
sold that the ledger still never saw bought (traded elsewhere) take the average price Kiwoom reported for the
stock in the latest daily snapshot before the sale (`opening`), else the sale price itself (no P&L,
`cost_known` false).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from brokerage.connections.costs import Costs

SOURCE_LEDGER = "ledger"
SOURCE_KIWOOM = "kiwoom"


@dataclass(frozen=True)
class LedgerFill:
    """One ledger order's fills taken together (the ledger keeps the filled quantity and average price)."""

    order_id: int
    day: date
    time: datetime
    stock_code: str
    stock_name: str
    side: str  # "buy" | "sell"
    quantity: int
    price: int
    commission: int
    tax: int

    @property
    def amount(self) -> int:
        return self.quantity * self.price


@dataclass(frozen=True)
class RealizedTrade:
    day: date
    time: datetime | None
    stock_code: str
    stock_name: str
    quantity: int
    sell_price: int
    average_cost: Decimal
    gross_pnl: int  # before costs
    commission: int  # the sale's commission and its share of the buys' commissions
    tax: int
    net_pnl: int  # after costs
    source: str = SOURCE_LEDGER
    order_id: int | None = None
    cost_known: bool = True


@dataclass
class _Position:
    quantity: int = 0
    average: Decimal = Decimal(0)
    buy_commission: Decimal = Decimal(0)


@dataclass
class MovingAverageBook:
    """Positions by stock, fed fills in time order; `sell` answers the trade it realizes."""

    opening: Callable[[str, date], int | None] = field(default=lambda code, day: None)
    seed: Callable[[str, date], tuple[int, int] | None] = field(default=lambda code, day: None)
    positions: dict[str, _Position] = field(default_factory=dict)

    def apply(self, fill: LedgerFill) -> RealizedTrade | None:
        position = self.positions.get(fill.stock_code)
        if position is None:
            position = self.positions[fill.stock_code] = _Position()
            held = self.seed(fill.stock_code, fill.day)
            if held is not None and held[0] > 0:
                position.quantity, position.average = held[0], Decimal(held[1])
        if fill.side == "buy":
            total = position.quantity + fill.quantity
            position.average = (position.average * position.quantity + Decimal(fill.amount)) / total
            position.quantity = total
            position.buy_commission += fill.commission
            return None
        cost_known = True
        if position.quantity < fill.quantity:
            # Shares the ledger never saw bought: at Kiwoom's average for them, or at the sale price.
            missing = fill.quantity - position.quantity
            seed = self.opening(fill.stock_code, fill.day)
            if seed is None:
                seed, cost_known = fill.price, False
            total = position.quantity + missing
            position.average = (position.average * position.quantity + Decimal(seed) * missing) / total
            position.quantity = total
        average = position.average
        share = position.buy_commission * fill.quantity / position.quantity
        position.buy_commission -= share
        position.quantity -= fill.quantity
        if position.quantity == 0:
            position.average, position.buy_commission = Decimal(0), Decimal(0)
        gross = _won((Decimal(fill.price) - average) * fill.quantity)
        commission = fill.commission + _won(share)
        return RealizedTrade(
            day=fill.day,
            time=fill.time,
            stock_code=fill.stock_code,
            stock_name=fill.stock_name,
            quantity=fill.quantity,
            sell_price=fill.price,
            average_cost=average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            gross_pnl=gross,
            commission=commission,
            tax=fill.tax,
            net_pnl=gross - commission - fill.tax,
            order_id=fill.order_id,
            cost_known=cost_known,
        )


def _won(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def realized_from_fills(
    fills: Iterable[LedgerFill],
    *,
    opening: Callable[[str, date], int | None] | None = None,
    seed: Callable[[str, date], tuple[int, int] | None] | None = None,
) -> list[RealizedTrade]:
    """Every sale's realized P&L, the fills taken in time order."""
    book = MovingAverageBook(
        opening=opening or (lambda code, day: None), seed=seed or (lambda code, day: None)
    )
    trades = []
    for fill in fills:
        trade = book.apply(fill)
        if trade is not None:
            trades.append(trade)
    return trades


def ledger_fill(*, costs: Costs, **fields) -> LedgerFill:
    """A ledger fill with its commission and (for a sale) tax at `costs`."""
    amount = fields["quantity"] * fields["price"]
    tax = costs.sell_tax(amount) if fields["side"] == "sell" else 0
    return LedgerFill(commission=costs.commission(amount), tax=tax, **fields)
