"""The one cost rule: commission and sell tax by mode, as the ticket and the journal compute them."""

from decimal import Decimal

import pytest

from brokerage.connections.costs import Costs, costs_all, costs_for


def real_like(**overrides) -> Costs:
    return Costs(
        mode="real", commission_rate=Decimal("0.00015"), sell_tax_rate=Decimal("0.0018"), **overrides
    )


class TestCommission:
    def test_is_floored_to_ten_won(self):
        # 700,000 x 0.015 % = 105 won: brokers charge 100.
        assert real_like().commission(700_000) == 100
        assert real_like().commission(123_750) == 10

    def test_below_ten_won_is_nothing(self):
        assert real_like().commission(60_000) == 0

    def test_a_minimum_applies_to_any_order_but_not_to_nothing(self):
        costs = real_like(commission_minimum=500)

        assert costs.commission(700_000) == 500
        assert costs.commission(0) == 0


class TestSellTax:
    def test_is_floored_to_the_won(self):
        assert real_like().sell_tax(123_750) == 222


class TestRatesBySettings:
    @pytest.mark.parametrize(("mode", "expected"), [("mock", Decimal("0.01")), ("real", Decimal("0.0002"))])
    def test_come_from_history_costs(self, settings, mode, expected):
        settings.HISTORY_COSTS = {
            "mock": {"commission_rate": "0.01", "sell_tax_rate": "0.002"},
            "real": {"commission_rate": "0.0002", "sell_tax_rate": "0.002"},
        }

        assert costs_for(mode).commission_rate == expected

    def test_every_mode_has_its_costs(self):
        assert {costs.mode for costs in costs_all()} == {"mock", "real"}

    def test_an_unknown_mode_is_refused(self):
        with pytest.raises(ValueError):
            costs_for("paper")
