"""The balance page (its data comes from the balance API)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def balance(request):
    return render(request, "brokerage/balance.html")
