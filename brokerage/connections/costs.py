"""Commission and sell tax on an order, by mode (settings.HISTORY_COSTS): the one rule the order ticket's
estimate (market) and the P&L computed from our own ledger (history) both use."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings

from brokerage.connections.models import Mode

# Korean brokers charge commission floored to 10 won per order, and the tax floored to the won; no minimum.
COMMISSION_UNIT = 10
TAX_UNIT = 1
COMMISSION_MINIMUM = 0


@dataclass(frozen=True)
class Costs:
    """Rates as fractions: 0.0035 is 0.35 %."""

    mode: str
    commission_rate: Decimal
    sell_tax_rate: Decimal
    commission_unit: int = COMMISSION_UNIT
    commission_minimum: int = COMMISSION_MINIMUM
    tax_unit: int = TAX_UNIT

    def commission(self, amount: int) -> int:
        """Commission on one order's filled amount, floored to `commission_unit` won as brokers charge it."""
        won = _floor(Decimal(amount) * self.commission_rate, self.commission_unit)
        return max(won, self.commission_minimum) if amount > 0 else 0

    def sell_tax(self, amount: int) -> int:
        """증권거래세 (with 농특세) on a sale, floored to `tax_unit` won."""
        return _floor(Decimal(amount) * self.sell_tax_rate, self.tax_unit)


def _floor(value: Decimal, unit: int) -> int:
    won = int(value.to_integral_value(rounding=ROUND_FLOOR))
    return won - won % unit


def costs_for(mode: str) -> Costs:
    rates = settings.HISTORY_COSTS[Mode(mode).value]
    return Costs(
        mode=mode,
        commission_rate=Decimal(str(rates["commission_rate"])),
        sell_tax_rate=Decimal(str(rates["sell_tax_rate"])),
    )


def costs_all() -> list[Costs]:
    return [costs_for(mode) for mode in Mode.values]
