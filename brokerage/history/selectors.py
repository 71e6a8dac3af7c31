"""Reads of the account's history; every one is scoped to a user."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from brokerage.connections.costs import costs_for
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.history.models import (
    AccountSnapshot,
    HoldingSnapshot,
    IndexCode,
    IndexDaily,
    SnapshotKind,
    SnapshotStatus,
)
from brokerage.history.realized import LedgerFill, RealizedTrade, ledger_fill, realized_from_fills
from brokerage.kiwoom.parsing import KST
from brokerage.orders.models import Order, OrderKind
from brokerage.orders.selectors import order_list

# Entries that trade: new orders and modifications (a modification's fills are its own, not its parent's).
_TRADING_KINDS = (OrderKind.NEW, OrderKind.MODIFY)


def kst_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=KST)


def history_needs_keys(*, user: User) -> bool:
    """True for a user with neither Kiwoom keys nor any history: the pages ask them to connect."""
    return not (
        KiwoomCredential.objects.filter(user=user).exists() or Order.objects.filter(user=user).exists()
    )


def history_orders(
    *,
    user: User,
    mode: str = Mode.MOCK,
    start: date | None = None,
    end: date | None = None,
    stock_code: str | None = None,
    side: str | None = None,
) -> QuerySet[Order]:
    """The user's ledger entries of a period (Korea-time days, both ends included), newest first."""
    return order_list(user=user, mode=mode, stock_code=stock_code, side=side, date_from=start, date_to=end)


def history_fill_orders(
    *,
    user: User,
    mode: str = Mode.MOCK,
    start: date | None = None,
    end: date | None = None,
    stock_code: str | None = None,
    side: str | None = None,
) -> QuerySet[Order]:
    """Ledger entries with fills of orders placed in a period, the latest fill first.

    The ledger keeps no per-fill time: an entry's `updated_at` (its last recorded change, for a filled
    entry the sync or stream event that recorded its latest fill) stands for it."""
    return (
        history_orders(user=user, mode=mode, start=start, end=end, stock_code=stock_code, side=side)
        .filter(kind__in=_TRADING_KINDS, filled_quantity__gt=0, average_fill_price__isnull=False)
        .order_by("-updated_at", "-id")
    )


def ledger_fills(
    *, user: User, mode: str = Mode.MOCK, end: date | None = None, stock_code: str | None = None
) -> list[LedgerFill]:
    """Every fill of the ledger up to `end`, in the order the fills were recorded (`updated_at`, see
    `history_fill_orders`), with commission and tax at the mode's rates. A fill's day is its order's day
    (orders are day orders)."""
    costs = costs_for(mode)
    orders = history_fill_orders(user=user, mode=mode, end=end, stock_code=stock_code).order_by(
        "updated_at", "id"
    )
    fills = []
    for order in orders.only(
        "id",
        "created_at",
        "updated_at",
        "stock_code",
        "stock_name",
        "side",
        "filled_quantity",
        "average_fill_price",
    ):
        fills.append(
            ledger_fill(
                costs=costs,
                order_id=order.pk,
                day=order.created_at.astimezone(KST).date(),
                time=order.updated_at.astimezone(KST),
                stock_code=order.stock_code,
                stock_name=order.stock_name,
                side=order.side,
                quantity=order.filled_quantity,
                price=order.average_fill_price,
            )
        )
    return fills


def snapshots_daily(
    *, user: User, mode: str = Mode.MOCK, start: date | None = None, end: date | None = None
) -> QuerySet[AccountSnapshot]:
    """The user's daily snapshots (gaps included), oldest first."""
    snapshots = AccountSnapshot.objects.filter(user=user, mode=mode, kind=SnapshotKind.DAILY)
    if start is not None:
        snapshots = snapshots.filter(date__gte=start)
    if end is not None:
        snapshots = snapshots.filter(date__lte=end)
    return snapshots.order_by("date")


def snapshots_intraday(*, user: User, mode: str = Mode.MOCK, day: date) -> QuerySet[AccountSnapshot]:
    return AccountSnapshot.objects.filter(
        user=user, mode=mode, kind=SnapshotKind.INTRADAY, date=day, status=SnapshotStatus.OK
    ).order_by("taken_at")


def snapshot_latest_before(*, user: User, mode: str, day: date) -> AccountSnapshot | None:
    """The last good daily snapshot before `day`."""
    return (
        AccountSnapshot.objects.filter(
            user=user, mode=mode, kind=SnapshotKind.DAILY, status=SnapshotStatus.OK, date__lt=day
        )
        .order_by("-date")
        .first()
    )


def opening_average_lookup(*, user: User, mode: str):
    """For `realized_from_fills`: Kiwoom's average price of a stock in the last snapshot before a day."""
    rows = list(
        HoldingSnapshot.objects.filter(
            snapshot__user=user,
            snapshot__mode=mode,
            snapshot__kind=SnapshotKind.DAILY,
            snapshot__status=SnapshotStatus.OK,
        )
        .order_by("snapshot__date")
        .values_list("stock_code", "snapshot__date", "average_price")
    )

    def lookup(code: str, day: date) -> int | None:
        found = None
        for stock_code, snapshot_day, average in rows:
            if snapshot_day >= day:
                break
            if stock_code == code:
                found = average
        return found

    return lookup


def opening_position_lookup(*, user: User, mode: str):
    """For `realized_from_fills`: a stock's (quantity, average price) in the last good daily snapshot before a
    day, None when there is none or the stock was not held then."""
    days = list(
        AccountSnapshot.objects.filter(
            user=user, mode=mode, kind=SnapshotKind.DAILY, status=SnapshotStatus.OK
        )
        .order_by("date")
        .values_list("date", flat=True)
    )
    held = {
        (day, code): (quantity, average)
        for day, code, quantity, average in HoldingSnapshot.objects.filter(
            snapshot__user=user,
            snapshot__mode=mode,
            snapshot__kind=SnapshotKind.DAILY,
            snapshot__status=SnapshotStatus.OK,
        ).values_list("snapshot__date", "stock_code", "quantity", "average_price")
    }

    def lookup(code: str, day: date) -> tuple[int, int] | None:
        before = bisect_left(days, day)
        return held.get((days[before - 1], code)) if before else None

    return lookup


def index_closes(*, index_code: str, start: date | None, end: date | None) -> QuerySet[IndexDaily]:
    closes = IndexDaily.objects.filter(index_code=index_code)
    if start is not None:
        closes = closes.filter(date__gte=start)
    if end is not None:
        closes = closes.filter(date__lte=end)
    return closes.order_by("date")


def day_after(day: date) -> date:
    return day + timedelta(days=1)


def history_fill_rows(*, orders: Iterable[Order]) -> Iterator[Order]:
    """Ledger entries with fills as fill rows (amount, commission and tax at each entry's mode's rates)."""
    costs_by_mode = {}
    for order in orders:
        costs = costs_by_mode.get(order.mode) or costs_by_mode.setdefault(order.mode, costs_for(order.mode))
        amount = order.filled_quantity * order.average_fill_price
        order.amount = amount
        order.commission = costs.commission(amount)
        order.tax = costs.sell_tax(amount) if order.side == "sell" else 0
        yield order


# --- Reports: realized P&L by trade, the 매매일지, the equity curve ---------------------------------------

RANGES = {"1D": 0, "1W": 7, "1M": 31, "3M": 92, "1Y": 366, "ALL": None}


def _today() -> date:
    return timezone.now().astimezone(KST).date()


def realized_trades(*, user: User, mode: str, start: date, end: date) -> list[RealizedTrade]:
    """The sales of a period with their realized P&L by moving-average cost over the whole ledger."""
    fills = ledger_fills(user=user, mode=mode, end=end)
    trades = realized_from_fills(
        fills,
        opening=opening_average_lookup(user=user, mode=mode),
        seed=opening_position_lookup(user=user, mode=mode),
    )
    return [trade for trade in trades if start <= trade.day <= end]


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
    newest first (from the ledger as it is: the caller brings it up to date first)."""
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
