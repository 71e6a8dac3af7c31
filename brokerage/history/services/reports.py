"""The history's realized P&L report (Kiwoom's own where the mode answers it, else the ledger's), and
bringing the ledger up to date before a report that reaches today. The reads themselves are selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.selectors import credential_get_connected
from brokerage.connections.services.calls import kiwoom_call
from brokerage.history.realized import SOURCE_KIWOOM, SOURCE_LEDGER, RealizedTrade
from brokerage.history.selectors import realized_trades
from brokerage.kiwoom.parsing import KST
from brokerage.orders.services import order_sync_quietly
from stocklab.errors import ApplicationError


def _today() -> date:
    return timezone.now().astimezone(KST).date()


@dataclass(frozen=True)
class RealizedTotals:
    quantity: int
    sell_amount: int
    gross_pnl: int
    commission: int
    tax: int
    net_pnl: int


@dataclass(frozen=True)
class RealizedReport:
    start: date
    end: date
    costs: str  # "after" | "before"
    source: str
    totals: RealizedTotals
    trades: list[RealizedTrade]


def _totals(trades: list[RealizedTrade]) -> RealizedTotals:
    return RealizedTotals(
        quantity=sum(t.quantity for t in trades),
        sell_amount=sum(t.quantity * t.sell_price for t in trades),
        gross_pnl=sum(t.gross_pnl for t in trades),
        commission=sum(t.commission for t in trades),
        tax=sum(t.tax for t in trades),
        net_pnl=sum(t.net_pnl for t in trades),
    )


def ledger_bring_up_to_date(*, user: User, end: date) -> None:
    """Sync today's open orders first when a period reaches today: fills land in the ledger by the sync."""
    if end >= _today():
        order_sync_quietly(user=user)


def realized_report(
    *, user: User, mode: str, start: date, end: date, costs: str = "after", source: str = "auto"
) -> RealizedReport:
    """Realized P&L of a period: Kiwoom's own (ka10073) where the mode answers it, else (or when `source` is
    "ledger") from our ledger by moving-average cost; the report and each trade say which."""
    trades = None
    if source != SOURCE_LEDGER:
        trades = _kiwoom_realized(user=user, mode=mode, start=start, end=end)
    used = SOURCE_KIWOOM if trades is not None else SOURCE_LEDGER
    if trades is None:
        ledger_bring_up_to_date(user=user, end=end)
        trades = realized_trades(user=user, mode=mode, start=start, end=end)
    trades.sort(key=lambda trade: (trade.day, trade.time or datetime.min.replace(tzinfo=KST)), reverse=True)
    return RealizedReport(
        start=start, end=end, costs=costs, source=used, totals=_totals(trades), trades=trades
    )


def _kiwoom_realized(*, user: User, mode: str, start: date, end: date) -> list[RealizedTrade] | None:
    """Kiwoom's realized sales of the period (ka10073), or None when it cannot say (not connected, a TR the
    mode refuses, Kiwoom unavailable): the ledger answers instead."""
    try:
        credential = credential_get_connected(user=user, mode=mode)
        rows = kiwoom_call(
            credential=credential,
            operation=lambda client, token: client.get_realized_pnl_by_stock(token, start=start, end=end),
            api_id="ka10073",
        )
    except ApplicationError:
        return None
    return [_from_kiwoom(row, fallback_day=end) for row in rows]


def _from_kiwoom(row: kiwoom.RealizedTrade, *, fallback_day: date) -> RealizedTrade:
    net = int(row.profit_loss.to_integral_value(rounding=ROUND_HALF_UP))
    return RealizedTrade(
        day=row.trade_date or fallback_day,
        time=None,
        stock_code=row.stock_code,
        stock_name=row.name,
        quantity=row.quantity,
        sell_price=row.sell_price,
        average_cost=row.average_cost.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        gross_pnl=net + row.commission + row.tax,
        commission=row.commission,
        tax=row.tax,
        net_pnl=net,
        source=SOURCE_KIWOOM,
    )
