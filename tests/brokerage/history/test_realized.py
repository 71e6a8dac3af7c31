"""Realized P&L by moving-average cost, checked against hand computations."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from brokerage.connections.costs import Costs, costs_for
from brokerage.history.realized import ledger_fill, realized_from_fills
from brokerage.kiwoom.parsing import KST

MOCK_LIKE = Costs(mode="mock", commission_rate=Decimal("0.0035"), sell_tax_rate=Decimal("0.0020"))


def fill(day: int, side: str, quantity: int, price: int, *, code: str = "005930", order_id: int = 0):
    when = datetime.combine(date(2026, 12, day), time(10, 0), tzinfo=KST)
    return ledger_fill(
        costs=MOCK_LIKE,
        order_id=order_id,
        day=when.date(),
        time=when,
        stock_code=code,
        stock_name="삼성전자",
        side=side,
        quantity=quantity,
        price=price,
    )


class TestCosts:
    def test_commission_is_floored_to_ten_won_and_tax_to_the_won(self):
        real = Costs(mode="real", commission_rate=Decimal("0.00015"), sell_tax_rate=Decimal("0.0018"))
        assert real.commission(158_200) == 20  # 23.73 won
        assert real.sell_tax(158_200) == 284  # 284.76 won: PROTOCOL.md M6.4's example tax
        assert MOCK_LIKE.commission(65_000) == 220  # 227.5 won
        assert MOCK_LIKE.sell_tax(65_000) == 130

    def test_mock_commission_is_far_above_real(self, settings):
        assert costs_for("mock").commission_rate > 10 * costs_for("real").commission_rate


class TestMovingAverage:
    def test_buys_at_several_prices_then_partial_and_full_sales(self):
        trades = realized_from_fills(
            [
                fill(21, "buy", 10, 10_000),  # commission 350
                fill(21, "buy", 10, 12_000),  # commission 420 → 20 @ 11,000, buy commissions 770
                fill(22, "sell", 5, 13_000),  # commission 220, tax 130
                fill(23, "buy", 5, 9_000),  # commission 150 → 20 @ 10,500
                fill(24, "sell", 20, 10_000),  # commission 700, tax 400
            ]
        )

        first, second = trades
        assert first.average_cost == Decimal("11000.00")
        assert first.gross_pnl == (13_000 - 11_000) * 5 == 10_000
        # Its own 220 and a quarter of the 770 paid on the buys (192.5, rounded half up).
        assert first.commission == 220 + 193
        assert first.tax == 130
        assert first.net_pnl == 10_000 - 413 - 130 == 9_457
        # (15 × 11,000 + 5 × 9,000) / 20
        assert second.average_cost == Decimal("10500.00")
        assert second.gross_pnl == (10_000 - 10_500) * 20 == -10_000
        # The 577.5 left of the first buys' commission plus the last buy's 150.
        assert second.commission == 700 + 728
        assert second.net_pnl == -10_000 - 1_428 - 400 == -11_828
        assert all(trade.source == "ledger" and trade.cost_known for trade in trades)

    def test_a_sale_does_not_move_the_average_of_what_remains(self):
        trades = realized_from_fills(
            [
                fill(21, "buy", 3, 70_000),
                fill(21, "buy", 1, 74_000),  # 4 @ 71,000
                fill(22, "sell", 2, 72_000),
                fill(23, "sell", 2, 69_000),
            ]
        )
        assert [t.average_cost for t in trades] == [Decimal("71000.00"), Decimal("71000.00")]
        assert [t.gross_pnl for t in trades] == [2_000, -4_000]

    def test_stocks_are_averaged_apart(self):
        trades = realized_from_fills(
            [
                fill(21, "buy", 1, 10_000, code="005930"),
                fill(21, "buy", 1, 50_000, code="000660"),
                fill(22, "sell", 1, 11_000, code="005930"),
            ]
        )
        assert trades[0].gross_pnl == 1_000

    def test_shares_bought_before_the_ledger_take_kiwoom_average_from_the_snapshot(self):
        trades = realized_from_fills(
            [fill(22, "sell", 3, 80_000)], opening=lambda code, day: 70_000 if code == "005930" else None
        )
        assert trades[0].gross_pnl == 30_000 and trades[0].cost_known

    def test_shares_of_unknown_cost_realize_nothing_before_costs_and_say_so(self):
        (trade,) = realized_from_fills([fill(22, "sell", 3, 80_000)])
        assert trade.gross_pnl == 0
        assert not trade.cost_known
        assert trade.net_pnl == -(trade.commission + trade.tax)


@pytest.mark.parametrize("mode", ["mock", "real"])
def test_rates_come_from_settings(settings, mode):
    settings.HISTORY_COSTS = {
        "mock": {"commission_rate": "0.0035", "sell_tax_rate": "0.002"},
        "real": {"commission_rate": "0.00015", "sell_tax_rate": "0.002"},
    }
    expected = {"mock": Decimal("0.0035"), "real": Decimal("0.00015")}[mode]
    assert costs_for(mode).commission_rate == expected


def test_shares_held_before_stocklab_average_in_with_a_later_buy():
    # 100 held at 10,000 (the snapshot), then 10 bought and 10 sold at 20,000 through StockLab: the sale
    # realizes against the average of all 110, (1,000,000 + 200,000) / 110 = 10,909.09.
    trades = realized_from_fills(
        [fill(22, "buy", 10, 20_000), fill(22, "sell", 10, 20_000)],
        seed=lambda code, day: (100, 10_000) if code == "005930" else None,
    )
    assert trades[0].average_cost == Decimal("10909.09")
    assert trades[0].gross_pnl == 90_909 and trades[0].cost_known
