"""Day change on the balance: 전일대비 per holding and today's P&L, from the previous close."""

import pytest

pytestmark = pytest.mark.django_db

BALANCE = "/api/v1/kiwoom/account/balance"


def test_each_holding_and_the_account_show_the_change_since_the_previous_close(connected_api, kiwoom):
    kiwoom.control.set_price("005930", 71_500, base_price=70_000)
    kiwoom.control.set_price("000660", 175_000, base_price=180_000)
    kiwoom.control.set_price("035420", 200_000, base_price=200_000)

    body = connected_api.get(BALANCE).json()

    holdings = {h["stock_code"]: h for h in body["holdings"]}
    samsung = holdings["005930"]  # 10 shares in the demo account
    assert samsung["previous_close"] == 70_000
    assert samsung["day_change"] == 1_500
    assert samsung["day_change_rate"] == "2.14"
    assert samsung["today_pnl"] == 15_000
    hynix = holdings["000660"]  # 3 shares
    assert (hynix["day_change"], hynix["day_change_rate"], hynix["today_pnl"]) == (-5_000, "-2.78", -15_000)
    assert holdings["035420"]["today_pnl"] == 0
    assert body["summary"]["today_pnl"] == 15_000 - 15_000
    assert body["summary"]["today_pnl_estimated"] is True  # shares bought or sold today are not told apart


def test_the_old_fields_are_unchanged(connected_api):
    body = connected_api.get(BALANCE).json()
    assert {"total_purchase", "total_evaluation", "deposit", "orderable_amount"} <= set(body["summary"])
    assert {"average_price", "current_price", "profit_loss", "return_rate", "weight"} <= set(
        body["holdings"][0]
    )
