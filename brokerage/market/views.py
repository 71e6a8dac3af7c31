"""The market's pages: a stock's page and the 관심종목 page. Thin: their data comes from the market API."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language

from brokerage import kiwoom
from brokerage.connections.errors import KiwoomNotConnected
from brokerage.connections.selectors import credential_get_connected
from brokerage.market.models import Stock
from brokerage.market.selectors import stock_get, tick_grid
from brokerage.market.serializers import TickGridSerializer

# The stock page's ticket takes the two types every mode takes (mock refuses others: PROTOCOL.md 4.2, M9);
# the order page offers the rest.
TICKET_TRADE_TYPES = (kiwoom.TradeType.LIMIT, kiwoom.TradeType.MARKET)


@login_required
def stock_detail(request, stock_code: str):
    stock = stock_get(stock_code=stock_code)
    try:
        credential_get_connected(user=request.user)
        not_connected = ""
    except KiwoomNotConnected as error:
        not_connected = str(error.detail)
    return render(
        request,
        "market/stock_detail.html",
        {
            "stock_code": stock_code,
            # The master's name, market and warnings render at once, with or without Kiwoom keys.
            "stock": stock,
            "stock_master": _master(stock),
            # Without usable keys the page asks for none of the Kiwoom-backed data: it says how to connect.
            "not_connected": not_connected,
            "trade_types": [_trade_type_option(trade_type) for trade_type in TICKET_TRADE_TYPES],
            "tick_grid": TickGridSerializer({"bands": tick_grid()}).data,
            # The site's per-order limits; a user's own (an operator's trading profile) come with `position`.
            "site_limits": {
                "max_quantity": settings.ORDER_MAX_QUANTITY,
                "max_value": settings.ORDER_MAX_VALUE,
            },
        },
    )


@login_required
def watchlist(request):
    return render(request, "market/watchlist.html")


def _master(stock: Stock | None) -> dict | None:
    if stock is None:
        return None
    return {"name": stock.name, "market": stock.market, "warnings": stock.warning_labels}


def _trade_type_option(trade_type: kiwoom.TradeType) -> dict:
    """The Korean name in Korean, the English gloss first in English (as the order page names them)."""
    korean, _, gloss = trade_type.label.partition(" (")
    gloss = gloss.removesuffix(")")
    english = (get_language() or "").startswith("en") and gloss
    label = f"{gloss[:1].upper()}{gloss[1:]} ({korean})" if english else korean
    return {"value": trade_type.value, "label": label, "requires_price": trade_type.requires_price}
