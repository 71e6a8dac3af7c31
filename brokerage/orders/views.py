"""The order ticket and the ledger pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language

from brokerage import kiwoom
from brokerage.connections.fields import DecryptionError
from brokerage.connections.models import Mode, key_fingerprint_suffix
from brokerage.connections.selectors import credential_find
from brokerage.market.selectors import tick_grid
from brokerage.market.serializers import TickGridSerializer
from brokerage.orders import guardrails
from brokerage.orders.errors import OrderTypeNotSupported
from brokerage.orders.models import OPEN_STATUSES, OrderKind, OrderSide, OrderStatus


@login_required
def order_ticket(request):
    # The address may carry a whole ticket: one kept across a new login (the session expired on submit).
    side = request.GET.get("side")
    trade_types = trade_type_options(mode=Mode.MOCK)  # the ticket places mock orders
    trade_type = request.GET.get("trade_type")
    return render(
        request,
        "brokerage/order_ticket.html",
        {
            "trade_types": trade_types,
            "side": side if side in OrderSide.values else OrderSide.BUY,
            "stock_code": request.GET.get("code", "")[:6],
            "quantity": _digits(request.GET.get("quantity", "")),
            "trade_type": trade_type
            if trade_type in {t["value"] for t in trade_types}
            else kiwoom.TradeType.MARKET,
            "price": _digits(request.GET.get("price", "")),
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


def _digits(text: str) -> str:
    return text if text.isdigit() and len(text) <= 12 else ""


def _offered(trade_type: kiwoom.TradeType, mode: str) -> bool:
    """Whether the guardrails let an order of this type through in `mode` (the rest could only be refused)."""
    proposal = guardrails.OrderProposal(
        mode=mode,
        exchange="KRX",
        side=OrderSide.BUY,
        stock_code="",
        quantity=1,
        trade_type=trade_type.value,
        price=None,
    )
    try:
        guardrails.check_trade_type(proposal)
    except OrderTypeNotSupported:
        return False
    return True


def trade_type_options(*, mode: str | None = None) -> list[dict]:
    """Kiwoom's trade types for a <select>: the Korean name in Korean, the English gloss first in English.
    With a `mode`, only the types that mode takes; without, all (to name any order's type)."""
    english_page = (get_language() or "").startswith("en")
    options = []
    for trade_type in kiwoom.TradeType:
        if mode is not None and not _offered(trade_type, mode):
            continue
        korean, _, gloss = trade_type.label.partition(" (")
        gloss = gloss.removesuffix(")")
        label = f"{gloss[:1].upper()}{gloss[1:]} ({korean})" if english_page and gloss else korean
        options.append(
            {"value": trade_type.value, "label": label, "requires_price": trade_type.requires_price}
        )
    return options
