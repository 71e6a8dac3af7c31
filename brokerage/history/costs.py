"""Commission and sell tax for P&L computed from our own ledger, by mode (settings.HISTORY_COSTS)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings

from brokerage.connections.models import Mode


@dataclass(frozen=True)
class Costs:
    """Rates as fractions: 0.0035 is 0.35 %."""

    mode: str
    commission_rate: Decimal
    sell_tax_rate: Decimal

    def commission(self, amount: int) -> int:
        """Commission on one order's filled amount, floored to 10 won as Korean brokers charge it."""
        won = int((Decimal(amount) * self.commission_rate).to_integral_value(rounding=ROUND_FLOOR))
        return won - won % 10

    def sell_tax(self, amount: int) -> int:
        """증권거래세 (with 농특세) on a sale, floored to the won."""
        return int((Decimal(amount) * self.sell_tax_rate).to_integral_value(rounding=ROUND_FLOOR))


def costs_for(mode: str) -> Costs:
    rates = settings.HISTORY_COSTS[Mode(mode).value]
    return Costs(
        mode=mode,
        commission_rate=Decimal(str(rates["commission_rate"])),
        sell_tax_rate=Decimal(str(rates["sell_tax_rate"])),
    )


def costs_all() -> list[Costs]:
    return [costs_for(mode) for mode in Mode.values]
