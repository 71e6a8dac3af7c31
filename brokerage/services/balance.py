"""The account's balance: evaluation and holdings (kt00018, every page) with the deposit (kt00001)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import User

from .. import kiwoom, selectors
from ..models import Mode
from .tokens import kiwoom_call


@dataclass(frozen=True)
class AccountSummary:
    total_purchase: int
    total_evaluation: int
    total_profit_loss: int
    total_return_rate: Decimal
    estimated_deposit_asset: int
    deposit: int
    orderable_amount: int


@dataclass(frozen=True)
class AccountBalance:
    summary: AccountSummary
    holdings: tuple[kiwoom.Holding, ...]
    fetched_at: datetime


def account_balance_fetch(*, user: User, mode: str = Mode.MOCK) -> AccountBalance:
    """The account's evaluation (kt00018, every page) and deposit (kt00001)."""
    credential = selectors.credential_get_connected(user=user, mode=mode)
    balance = kiwoom_call(credential=credential, operation=lambda client, token: client.get_balance(token))
    deposit = kiwoom_call(credential=credential, operation=lambda client, token: client.get_deposit(token))
    summary = balance.summary
    return AccountBalance(
        summary=AccountSummary(
            total_purchase=summary.total_purchase,
            total_evaluation=summary.total_evaluation,
            total_profit_loss=summary.total_profit_loss,
            total_return_rate=summary.total_return_rate,
            estimated_deposit_asset=summary.estimated_deposit_asset,
            deposit=deposit.deposit,
            orderable_amount=deposit.orderable_amount,
        ),
        holdings=balance.holdings,
        fetched_at=timezone.now(),
    )
