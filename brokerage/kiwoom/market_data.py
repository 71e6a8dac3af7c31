"""Market-data calls (issue 15): stock master, order book, charts, batch quotes, orderable quantity.

A mixin of `KiwoomClient`: the methods use the client's one request chokepoint (`self._post`,
`self._post_all`) and read responses with `._wire`'s `_Reader`; results are frozen dataclasses.
"""

from __future__ import annotations


class MarketDataCalls:
    """ka10099, ka10004, ka10080/ka10081, ka10095, ka20006, kt00011: see PROTOCOL.md Part II."""
