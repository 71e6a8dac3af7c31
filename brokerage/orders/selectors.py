"""Reads of the order ledger; each is scoped to a user (except the periodic task's `order_users_to_sync`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Exists, Q, QuerySet

from accounts.models import User
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.connections.selectors import KEY_PAIR_FIELDS
from brokerage.kiwoom.parsing import KST
from brokerage.orders.models import (
    OPEN_STATUSES,
    UNSETTLED_STATUSES,
    Order,
    OrderKind,
    OrderStatus,
    TradingProfile,
)

# What a repeated Idempotency-Key needs to know of the entry that holds it.
_REPLAY_FIELDS = ["status", "created_at", "request_fingerprint", "answer"]
# Open at Kiwoom: orders and modifications (a cancellation is done once accepted), as Order.is_open says.
_OPEN = Q(status__in=OPEN_STATUSES, kind__in=[OrderKind.NEW, OrderKind.MODIFY])
# What the sync works on: the open ones, and the attempts whose fate is unknown.
_TO_SYNC = _OPEN | Q(status__in=UNSETTLED_STATUSES)


def credential_find_for_order(
    *, user: User, mode: str = Mode.MOCK, idempotency_key: str | None = None
) -> KiwoomCredential | None:
    """`credential_find` with what every order needs, in one query: the user's trading profile
    (`trading_profile_of`) and, as `idempotency_key_used`, whether an order of the user holds the key."""
    credentials = (
        KiwoomCredential.objects.filter(user=user, mode=mode)
        .select_related("user__trading_profile")
        .defer(*KEY_PAIR_FIELDS)
    )
    if idempotency_key is not None:
        holder = Order.objects.filter(user=user, idempotency_key=idempotency_key)
        credentials = credentials.annotate(idempotency_key_used=Exists(holder))
    try:
        return credentials.get()
    except KiwoomCredential.DoesNotExist:
        return None


def trading_profile_of(*, credential: KiwoomCredential) -> TradingProfile | None:
    """The profile of the credential's user (loaded along by `credential_find_for_order`), if any."""
    try:
        return credential.user.trading_profile
    except TradingProfile.DoesNotExist:
        return None


def order_list(
    *,
    user: User,
    status: str | None = None,
    side: str | None = None,
    stock_code: str | None = None,
    mode: str | None = None,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Order]:
    """The user's ledger, newest first; dates are Korea-time calendar days, both ends included."""
    orders = user.orders.all()  # each entry's `user` is this one, without a query
    exact = {"status": status, "side": side, "stock_code": stock_code, "mode": mode, "kind": kind}
    orders = orders.filter(**{field: value for field, value in exact.items() if value})
    if date_from is not None:
        orders = orders.filter(created_at__gte=_kst_midnight(date_from))
    if date_to is not None and date_to < date.max:  # the last day there is bounds nothing
        orders = orders.filter(created_at__lt=_kst_midnight(date_to + timedelta(days=1)))
    return orders


def order_get(*, user: User, order_id: int) -> Order | None:
    return user.orders.filter(pk=order_id).first()


def order_find_by_idempotency_key(*, user: User, key: str) -> Order | None:
    """The entry holding the key, with only what a repeat needs loaded (`order_get` for all of it)."""
    return user.orders.filter(idempotency_key=key).only(*_REPLAY_FIELDS).first() if key else None


def order_open_count(*, user: User) -> int:
    """How many of the user's orders are still open at Kiwoom (modifications included, cancellations not)."""
    return user.orders.filter(_OPEN).count()


def orders_to_sync(*, user: User) -> QuerySet[Order]:
    return Order.objects.filter(_TO_SYNC, user=user).select_related("parent").order_by("created_at", "id")


def order_numbers_claimed(*, user: User, mode: str, key_fingerprint: str, day: date) -> set[str]:
    """Kiwoom order numbers already matched to a ledger entry of the user's keys on a (Korea-time) day."""
    return set(
        _on_day(Order.objects.filter(user=user, mode=mode, key_fingerprint=key_fingerprint), day)
        .exclude(kiwoom_order_number="")
        .values_list("kiwoom_order_number", flat=True)
    )


def order_ids_by_number(
    *, user: User, mode: str, key_fingerprint: str, numbers: set[str], day: date
) -> dict[str, int]:
    """The ledger entries (ids) behind Kiwoom order numbers of the user's keys on a (Korea-time) day."""
    orders = Order.objects.filter(
        user=user, mode=mode, key_fingerprint=key_fingerprint, kiwoom_order_number__in=numbers
    )
    return dict(_on_day(orders, day).values_list("kiwoom_order_number", "id"))


def order_has_fresh_attempt(*, user: User, stock_code: str, side: str, since: datetime) -> bool:
    """True while an attempt for the same stock and side is still in flight (pending since `since`)."""
    return Order.objects.filter(
        user=user, stock_code=stock_code, side=side, status=OrderStatus.PENDING, created_at__gte=since
    ).exists()


def order_users_to_sync() -> list[int]:
    """For the periodic sync: ids of the users with open or unsettled orders."""
    return list(Order.objects.filter(_TO_SYNC).order_by().values_list("user_id", flat=True).distinct())


def _on_day(orders: QuerySet[Order], day: date) -> QuerySet[Order]:
    return orders.filter(
        created_at__gte=_kst_midnight(day), created_at__lt=_kst_midnight(day + timedelta(days=1))
    )


def _kst_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=KST)
