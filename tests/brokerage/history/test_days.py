"""Across simulated trading days: the simulator rolls its days (closes become the next base), the site's clock
travels with it; snapshots, realized P&L, day change and deposits line up day by day."""

from datetime import date, datetime

import pytest
import time_machine

from brokerage.connections.models import KiwoomCredential
from brokerage.history.models import AccountSnapshot, SnapshotKind
from tests.brokerage.history.conftest import kst
from tests.brokerage.history.test_snapshots import sweep_at
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db

API = "/api/v1/kiwoom/history"
SAMSUNG = "005930"


def _day(stamp: str) -> date:
    return datetime.strptime(stamp, "%Y%m%d").date()


def _trade(user, day: date, side: str, quantity: int):
    with time_machine.travel(kst(day, 10), tick=True):
        body = {"stock_code": SAMSUNG, "quantity": quantity, "trade_type": "3"}
        response = bearer_client(user).post(f"/api/v1/kiwoom/order/{side}", body, format="json")
        assert response.status_code == 201, response.content


def test_two_trading_days(connected, user, kiwoom, settings):
    settings.HISTORY_COSTS = {
        "mock": {"commission_rate": "0.00015", "sell_tax_rate": "0.0018"},  # the simulator's own rates
        "real": {"commission_rate": "0.00015", "sell_tax_rate": "0.0018"},
    }
    first = _day(kiwoom.control.day()["trading_day"])
    KiwoomCredential.objects.filter(user=user).update(created_at=kst(first, 8))
    kiwoom.control.set_price(SAMSUNG, 70_000)
    _trade(user, first, "buy", 3)
    sweep_at(kst(first, 15, 40))

    second = _day(kiwoom.control.roll_day(at="100000")["rolled"][-1])
    kiwoom.control.set_price(SAMSUNG, 72_000)
    _trade(user, second, "sell", 2)
    with time_machine.travel(kst(second, 15, 0), tick=True):
        client = bearer_client(user)
        realized = client.get(f"{API}/realized", {"start": second, "end": second, "source": "ledger"}).json()
        from_kiwoom = client.get(f"{API}/realized", {"start": second, "end": second}).json()
        balance = client.get("/api/v1/kiwoom/account/balance").json()
    sweep_at(kst(second, 15, 40))

    (trade,) = realized["trades"]
    assert (trade["quantity"], trade["average_cost"], trade["gross_pnl"]) == (2, "70000.00", 4_000)
    # 0.015 % of 144,000 floored to 10 won, 0.18 % tax, and two thirds of the buy's 30 won of commission.
    assert (trade["commission"], trade["tax"]) == (20 + 20, 259)
    assert from_kiwoom["source"] == "kiwoom"
    assert [(t["stock_code"], t["quantity"]) for t in from_kiwoom["trades"]] == [(SAMSUNG, 2)]
    samsung = next(h for h in balance["holdings"] if h["stock_code"] == SAMSUNG)
    assert (samsung["previous_close"], samsung["day_change"]) == (70_000, 2_000)
    assert samsung["today_pnl"] == 2_000 * samsung["quantity"]
    days = AccountSnapshot.objects.filter(user=user, kind=SnapshotKind.DAILY).order_by("date")
    assert [s.date for s in days] == [first, second]
    # The cash moved by the trades alone: no deposit or withdrawal is seen.
    assert [s.net_flow for s in days] == [0, 0]
    assert days[1].holdings.get(stock_code=SAMSUNG).previous_close == 70_000


def test_where_kiwoom_refuses_the_pnl_trs_the_ledger_answers(connected, user, kiwoom):
    kiwoom.control.refuse_pnl()
    try:
        body = connected.get(f"{API}/realized").json()
    finally:
        kiwoom.control.refuse_pnl(False)
    assert body["source"] == "ledger"
