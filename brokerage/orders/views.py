"""The order ticket and the ledger pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language

from brokerage import kiwoom
from brokerage.connections.fields import DecryptionError
from brokerage.connections.models import key_fingerprint_suffix
from brokerage.connections.selectors import credential_find
from brokerage.market.selectors import tick_grid
from brokerage.market.serializers import TickGridSerializer
from brokerage.orders.models import OPEN_STATUSES, OrderKind, OrderSide, OrderStatus


@login_required
def order_ticket(request):
    side = request.GET.get("side")
    return render(
        request,
        "brokerage/order_ticket.html",
        {
            "trade_types": trade_type_options(),
            "side": side if side in OrderSide.values else OrderSide.BUY,
            "stock_code": request.GET.get("code", "")[:6],
            "labels": ledger_labels(),
            "tick_grid": tick_grid_data(),
        },
    )


@login_required
def orders(request):
    try:
        credential = credential_find(user=request.user)
    except DecryptionError:
        credential = None
    return render(
        request,
        "brokerage/orders.html",
        {
            "statuses": OrderStatus.choices,
            "sides": OrderSide.choices,
            "labels": ledger_labels(),
            # Only the keys that placed an order can change it (its key_fingerprint_suffix says which).
            "keys_suffix": key_fingerprint_suffix(credential.key_fingerprint) if credential else "",
            "tick_grid": tick_grid_data(),
        },
    )


def tick_grid_data() -> dict:
    """The price grid for the pages' scripts, as GET /api/v1/kiwoom/market/tick-grid answers it."""
    return TickGridSerializer({"bands": tick_grid()}).data


def ledger_labels() -> dict:
    """The ledger's codes in words, for the pages' scripts (translated here, once)."""
    return {
        "statuses": {value: str(label) for value, label in OrderStatus.choices},
        "sides": {value: str(label) for value, label in OrderSide.choices},
        "kinds": {value: str(label) for value, label in OrderKind.choices},
        "trade_types": {option["value"]: option["label"] for option in trade_type_options()},
        "open_statuses": sorted(OPEN_STATUSES),
    }


def trade_type_options() -> list[dict]:
    """Kiwoom's trade types for a <select>: the Korean name in Korean, the English gloss first in English."""
    english_page = (get_language() or "").startswith("en")
    options = []
    for trade_type in kiwoom.TradeType:
        korean, _, gloss = trade_type.label.partition(" (")
        gloss = gloss.removesuffix(")")
        label = f"{gloss[:1].upper()}{gloss[1:]} ({korean})" if english_page and gloss else korean
        options.append(
            {"value": trade_type.value, "label": label, "requires_price": trade_type.requires_price}
        )
    return options
