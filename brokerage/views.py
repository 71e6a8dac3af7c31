"""The home page: the Kiwoom connection, and what disconnecting would leave open (spans the domains).

Each domain's own pages are in its `views`; all are thin: data comes from the JSON API (fetch) or selectors.
"""

from django.shortcuts import render

from brokerage.connections.fields import DecryptionError
from brokerage.connections.selectors import credential_find
from brokerage.connections.serializers import CredentialStatusSerializer
from brokerage.orders.selectors import order_open_count


def home(request):
    if not request.user.is_authenticated:
        return render(request, "brokerage/landing.html")
    unreadable = None
    try:
        credential = credential_find(user=request.user)
    except DecryptionError as error:
        # Shown as not connected, with the reason: connecting again replaces the keys the site cannot read.
        credential, unreadable = None, error.detail
    return render(
        request,
        "brokerage/home.html",
        {
            "credential": credential,
            "status": CredentialStatusSerializer.for_credential(credential),
            "unreadable": unreadable,
            # Disconnecting leaves them open at Kiwoom, where StockLab can no longer change them.
            "open_orders": order_open_count(user=request.user) if credential else 0,
        },
    )
