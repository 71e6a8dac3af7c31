"""Market tests start with no search copy and no shared figure remembered by this process."""

import pytest

from brokerage.market.models import Stock
from brokerage.market.search import stocks_search_forget
from brokerage.market.shared import shared_forget


@pytest.fixture(autouse=True)
def _market_memory_forgotten():
    stocks_search_forget()
    shared_forget()
    yield
    stocks_search_forget()
    shared_forget()


def listed(
    code: str, name: str, *, market: str = "KOSPI", shares: int = 0, price: int = 0, **fields
) -> Stock:
    """A master row as the sync writes it (the 초성 key comes with save())."""
    stock = Stock(code=code, name=name, market=market, listed_shares=shares, base_price=price, **fields)
    stock.save()
    return stock
