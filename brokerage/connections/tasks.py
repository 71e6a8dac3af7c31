"""Token lifecycle tasks: the beat sweep, and one refresh task per credential."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from brokerage.connections.errors import KiwoomRateLimited, KiwoomUnavailable
from brokerage.connections.services.tokens import token_refresh, token_refresh_claim_due

__all__ = ["kiwoom_token_refresh", "kiwoom_token_sweep"]

# Kiwoom handed back the same token: asked again after it expires, at most this many times per task (fewer
# than max_retries, which the same retries count against).
SAME_TOKEN_RETRIES = 3


@shared_task(ignore_result=True)
def kiwoom_token_sweep() -> int:
    """Queue one refresh for every active credential whose token expires within the sweep window."""
    credential_ids = token_refresh_claim_due()
    for credential_id in credential_ids:
        transaction.on_commit(partial(kiwoom_token_refresh.delay, credential_id))
    return len(credential_ids)


@shared_task(
    bind=True,
    ignore_result=True,
    # Failures that pass with time: Kiwoom unreachable, or its 429 (au10001 is limited too); a refusal is not.
    autoretry_for=(KiwoomUnavailable, KiwoomRateLimited),
    max_retries=5,
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
)
def kiwoom_token_refresh(self, credential_id: int) -> str:
    """Renew one credential's token if it is still due; the outcome ("" when it was not due any more)."""
    result = token_refresh(credential_id=credential_id)
    if result.retry_at is not None and self.request.retries < SAME_TOKEN_RETRIES:
        raise self.retry(eta=result.retry_at)
    return result.outcome
