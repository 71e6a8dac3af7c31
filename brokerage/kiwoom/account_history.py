"""Realized-P&L and journal calls (issue 16), a mixin of `KiwoomClient` like `market_data`."""

from __future__ import annotations


class AccountHistoryCalls:
    """ka10072-ka10077, ka10085, ka10170: see PROTOCOL.md Part II, M6."""
