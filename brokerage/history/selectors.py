"""Reads of the account's history; every one is scoped to a user."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet

from accounts.models import User
from brokerage.connections.models import Mode
from brokerage.history.costs import costs_for
from brokerage.history.models import (
    AccountSnapshot,
    HoldingSnapshot,
    IndexDaily,
    SnapshotKind,
    SnapshotStatus,
)
from brokerage.history.realized import LedgerFill, ledger_fill
from brokerage.kiwoom.parsing import KST
from brokerage.orders.models import Order, OrderKind
from brokerage.orders.selectors import order_list

# Entries that trade: new orders and modifications (a modification's fills are its own, not its parent's).
_TRADING_KINDS = (OrderKind.NEW, OrderKind.MODIFY)


def kst_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=KST)


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
    """Ledger entries with fills in a period, newest first."""
    return history_orders(
        user=user, mode=mode, start=start, end=end, stock_code=stock_code, side=side
    ).filter(kind__in=_TRADING_KINDS, filled_quantity__gt=0, average_fill_price__isnull=False)


def ledger_fills(
    *, user: User, mode: str = Mode.MOCK, end: date | None = None, stock_code: str | None = None
) -> list[LedgerFill]:
    """Every fill of the ledger up to `end`, oldest first, with commission and tax at the mode's rates."""
    costs = costs_for(mode)
    orders = history_fill_orders(user=user, mode=mode, end=end, stock_code=stock_code).order_by(
        "created_at", "id"
    )
    fills = []
    for order in orders.only(
        "id", "created_at", "stock_code", "stock_name", "side", "filled_quantity", "average_fill_price"
    ):
        when = order.created_at.astimezone(KST)
        fills.append(
            ledger_fill(
                costs=costs,
                order_id=order.pk,
                day=when.date(),
                time=when,
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


def index_closes(*, index_code: str, start: date | None, end: date | None) -> QuerySet[IndexDaily]:
    closes = IndexDaily.objects.filter(index_code=index_code)
    if start is not None:
        closes = closes.filter(date__gte=start)
    if end is not None:
        closes = closes.filter(date__lte=end)
    return closes.order_by("date")


def day_after(day: date) -> date:
    return day + timedelta(days=1)


def history_fill_rows(orders):
    """Ledger entries with fills as fill rows (amount, commission and tax at each entry's mode's rates)."""
    from brokerage.history.costs import costs_for

    costs_by_mode = {}
    for order in orders:
        costs = costs_by_mode.get(order.mode) or costs_by_mode.setdefault(order.mode, costs_for(order.mode))
        amount = order.filled_quantity * order.average_fill_price
        order.amount = amount
        order.commission = costs.commission(amount)
        order.tax = costs.sell_tax(amount) if order.side == "sell" else 0
        yield order
