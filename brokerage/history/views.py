"""The account's history pages: the 매매일지 (trade journal) and the orders and fills of any period.

Thin: their data comes from the history API (fetch); the equity chart is a partial of the balance page.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from brokerage.history.selectors import history_needs_keys
from brokerage.orders.models import OrderSide
from brokerage.orders.views import ledger_labels


def history_api() -> dict[str, str]:
    """The history API's addresses the pages' scripts call (GET history/<name> under /api/v1/kiwoom/)."""
    root = reverse("api-root")
    return {
        name: f"{root}kiwoom/history/{name}" for name in ("journal", "realized", "costs", "orders", "fills")
    }


@login_required
def journal(request):
    return render(
        request,
        "history/journal.html",
        {"api": history_api(), "needs_keys": history_needs_keys(user=request.user)},
    )


@login_required
def history(request):
    return render(
        request,
        "history/history.html",
        {
            "api": history_api(),
            "sides": OrderSide.choices,
            "labels": ledger_labels(),
            "needs_keys": history_needs_keys(user=request.user),
        },
    )
