"""The history's reports: realized P&L of a period, the 매매일지 per day, and the equity curve."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.selectors import credential_get_connected
from brokerage.connections.services.calls import kiwoom_call
from brokerage.history.models import IndexCode, SnapshotKind, SnapshotStatus
from brokerage.history.realized import SOURCE_KIWOOM, SOURCE_LEDGER, RealizedTrade, realized_from_fills
from brokerage.history.selectors import (
    index_closes,
    ledger_fills,
    opening_average_lookup,
    snapshots_daily,
    snapshots_intraday,
)
from brokerage.kiwoom.parsing import KST
from brokerage.orders.services import order_sync_quietly
from stocklab.errors import ApplicationError

RANGES = {"1D": 0, "1W": 7, "1M": 31, "3M": 92, "1Y": 366, "ALL": None}


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


def realized_trades(*, user: User, mode: str, start: date, end: date) -> list[RealizedTrade]:
    """The sales of a period with their realized P&L by moving-average cost over the whole ledger."""
    fills = ledger_fills(user=user, mode=mode, end=end)
    trades = realized_from_fills(fills, opening=opening_average_lookup(user=user, mode=mode))
    return [trade for trade in trades if start <= trade.day <= end]


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


@dataclass
class JournalDay:
    day: date
    buy_quantity: int = 0
    buy_amount: int = 0
    sell_quantity: int = 0
    sell_amount: int = 0
    realized_pnl: int = 0  # after costs
    realized_pnl_before_costs: int = 0
    commission: int = 0  # paid that day, on buys and sales
    tax: int = 0
    trades: int = 0


def journal_days(*, user: User, mode: str, start: date, end: date) -> list[JournalDay]:
    """The 매매일지: per day with fills, what was bought and sold, the realized P&L, commission and tax;
    newest first."""
    ledger_bring_up_to_date(user=user, end=end)
    days: dict[date, JournalDay] = {}
    for fill in ledger_fills(user=user, mode=mode, end=end):
        if fill.day < start:
            continue
        row = days.setdefault(fill.day, JournalDay(day=fill.day))
        row.trades += 1
        row.commission += fill.commission
        row.tax += fill.tax
        if fill.side == "buy":
            row.buy_quantity += fill.quantity
            row.buy_amount += fill.amount
        else:
            row.sell_quantity += fill.quantity
            row.sell_amount += fill.amount
    for trade in realized_trades(user=user, mode=mode, start=start, end=end):
        row = days[trade.day]
        row.realized_pnl += trade.net_pnl
        row.realized_pnl_before_costs += trade.gross_pnl
    return sorted(days.values(), key=lambda row: row.day, reverse=True)


@dataclass(frozen=True)
class EquityPoint:
    time: datetime | date
    estimated_assets: int
    deposit: int
    holdings_value: int
    net_flow: int
    cumulative_return: Decimal


@dataclass(frozen=True)
class BenchmarkPoint:
    time: date
    close: Decimal
    cumulative_return: Decimal


@dataclass(frozen=True)
class Equity:
    range: str
    points: list[EquityPoint]
    benchmarks: dict[str, list[BenchmarkPoint]] = field(default_factory=dict)
    gaps: list[date] = field(default_factory=list)


def _rate(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def equity_curve(*, user: User, mode: str, range: str = "1M") -> Equity:
    """Estimated assets and the time-weighted cumulative return over a range, with KOSPI and KOSDAQ beside.

    Each day's return is (assets − previous assets − net_flow) / previous assets, so deposits and
    withdrawals move the assets but not the return; the returns are chained from the range's first point.
    1D is today's intraday points (the last day that has them), measured from the previous daily close.
    """
    if range == "1D":
        return _equity_intraday(user=user, mode=mode)
    days = RANGES[range]
    start = None if days is None else _today() - timedelta(days=days)
    snapshots = list(snapshots_daily(user=user, mode=mode, start=start))
    gaps = [s.date for s in snapshots if s.status == SnapshotStatus.GAP]
    points: list[EquityPoint] = []
    growth, previous = Decimal(1), None
    for snapshot in snapshots:
        if snapshot.status != SnapshotStatus.OK:
            continue
        if previous is not None and previous.estimated_assets > 0:
            gain = snapshot.estimated_assets - previous.estimated_assets - snapshot.net_flow
            growth *= 1 + Decimal(gain) / Decimal(previous.estimated_assets)
        points.append(
            EquityPoint(
                time=snapshot.date,
                estimated_assets=snapshot.estimated_assets,
                deposit=snapshot.deposit,
                holdings_value=snapshot.holdings_value,
                net_flow=snapshot.net_flow if previous is not None else 0,
                cumulative_return=_rate((growth - 1) * 100),
            )
        )
        previous = snapshot
    first = points[0].time if points else start
    last = points[-1].time if points else None
    return Equity(range=range, points=points, benchmarks=_benchmarks(start=first, end=last), gaps=gaps)


def _equity_intraday(*, user: User, mode: str) -> Equity:
    from brokerage.history.models import AccountSnapshot

    latest = (
        AccountSnapshot.objects.filter(user=user, mode=mode, kind=SnapshotKind.INTRADAY)
        .order_by("-taken_at")
        .values_list("date", flat=True)
        .first()
    )
    if latest is None:
        return Equity(range="1D", points=[], benchmarks={code.label: [] for code in IndexCode})
    base = (
        snapshots_daily(user=user, mode=mode, end=latest - timedelta(days=1))
        .filter(status=SnapshotStatus.OK)
        .last()
    )
    snapshots = list(snapshots_intraday(user=user, mode=mode, day=latest))
    reference = base.estimated_assets if base is not None else snapshots[0].estimated_assets
    points = [
        EquityPoint(
            time=snapshot.taken_at,
            estimated_assets=snapshot.estimated_assets,
            deposit=snapshot.deposit,
            holdings_value=snapshot.holdings_value,
            net_flow=0,
            cumulative_return=_rate(
                Decimal(snapshot.estimated_assets - reference) / Decimal(reference) * 100
                if reference
                else Decimal(0)
            ),
        )
        for snapshot in snapshots
    ]
    return Equity(range="1D", points=points, benchmarks={code.label: [] for code in IndexCode})


def _benchmarks(*, start: date | None, end: date | None) -> dict[str, list[BenchmarkPoint]]:
    series: dict[str, list[BenchmarkPoint]] = defaultdict(list)
    for code in IndexCode:
        closes = list(index_closes(index_code=code.value, start=start, end=end)) if start and end else []
        base = closes[0].close if closes else None
        series[code.label] = [
            BenchmarkPoint(
                time=row.date, close=row.close, cumulative_return=_rate((row.close / base - 1) * 100)
            )
            for row in closes
        ]
    return dict(series)
