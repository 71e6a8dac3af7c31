"""Today's fills at Kiwoom (ka10076), beside the ledger entries behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accounts.models import User
from brokerage import kiwoom
from brokerage.connections.models import Mode
from brokerage.connections.selectors import credential_get_connected
from brokerage.connections.services.calls import kiwoom_call
from brokerage.orders.selectors import order_ids_by_number
from brokerage.orders.services.book import kst_date
from brokerage.orders.services.sync import fills_recall, fills_remember, order_sync_quietly


@dataclass(frozen=True)
class AccountFill:
    """A row of today's fills (ka10076), with the ledger entry behind it when it was placed here."""

    fill: kiwoom.Fill
    order_id: int | None


@dataclass(frozen=True)
class AccountFills:
    fills: list[AccountFill]
    fetched_at: datetime


def account_fills_fetch(*, user: User, mode: str = Mode.MOCK) -> AccountFills:
    """Today's fills at Kiwoom (ka10076), each with its ledger entry when it has one.

    Open orders are synced first, and the fills read within SYNC_INTERVAL_SECONDS (by that sync, say) are the
    answer: the orders page asks for the ledger and the fills at once, and one ka10076 serves both. An order
    placed or changed since makes the sync, and so the fills, fresh.
    """
    credential = credential_get_connected(user=user, mode=mode)
    order_sync_quietly(user=user)  # if Kiwoom cannot answer, the fills are asked below all the same
    read = fills_recall(credential=credential)
    if read is None:
        rows = kiwoom_call(credential=credential, operation=lambda client, token: client.get_fills(token))
        read = fills_remember(credential=credential, rows=rows)
    numbers = {fill.order_number for fill in read.rows}
    ids = order_ids_by_number(
        user=user,
        mode=mode,
        key_fingerprint=credential.key_fingerprint,
        numbers=numbers,
        day=kst_date(read.fetched_at),
    )
    return AccountFills(
        fills=[AccountFill(fill=fill, order_id=ids.get(fill.order_number)) for fill in read.rows],
        fetched_at=read.fetched_at,
    )
