"""The stream process's database side: which credentials to stream, their tokens, what their events change,
and the state operators see. Synchronous; the stream process calls them through `sync_to_async`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from brokerage.connections.account_cache import account_cache_invalidate
from brokerage.connections.models import CredentialStatus, KiwoomCredential
from brokerage.connections.selectors import KEY_PAIR_FIELDS
from brokerage.connections.services.tokens import token_get_valid, token_replace_rejected
from brokerage.kiwoom.realtime import BalanceEvent, OrderEvent
from brokerage.live.models import StreamState, StreamStatus
from brokerage.live.publish import publish_balance
from brokerage.orders.models import Order
from brokerage.orders.services.book import kst_date
from brokerage.orders.services.events import AccountEvent, order_event_apply, order_events_apply


@dataclass(frozen=True, slots=True)
class LiveCredential:
    """A credential to stream; `token_version` changes whenever its token is renewed."""

    id: int
    user_id: int
    mode: str
    key_fingerprint: str
    token_version: str


def live_credentials() -> list[LiveCredential]:
    """Every active credential (refused keys and blocked IPs have nothing to stream with), oldest first."""
    rows = (
        KiwoomCredential.objects.filter(status=CredentialStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "user_id", "mode", "key_fingerprint", "token_expires_at")
    )
    return [LiveCredential(*row[:4], token_version=_version(row[4])) for row in rows]


def _credential(credential_id: int) -> KiwoomCredential:
    return KiwoomCredential.objects.defer(*KEY_PAIR_FIELDS).get(pk=credential_id)


def live_token(*, credential_id: int) -> tuple[str, str]:
    """(token, token_version) to LOGIN with: the token service's, renewed first when it expires soon (one
    au10001 for all processes). Raises the connections' errors (refused keys, Kiwoom unreachable ...)."""
    credential = _credential(credential_id)
    token = token_get_valid(credential=credential)
    return token, _version(credential.token_expires_at)


def live_token_replace(*, credential_id: int, rejected: str) -> tuple[str, str]:
    """Kiwoom refused `rejected` at LOGIN: a new token, issued only if nobody has replaced it yet."""
    credential = _credential(credential_id)
    token = token_replace_rejected(credential=credential, rejected=rejected)
    return token, _version(credential.token_expires_at)


def _version(expires: datetime | None) -> str:
    return expires.isoformat() if expires else ""


def live_order_event(*, credential: LiveCredential, event: OrderEvent) -> Order | None:
    """A `00` event into the ledger (`order_event_apply`); None when no entry has its number yet."""
    return order_event_apply(
        user_id=credential.user_id,
        mode=credential.mode,
        key_fingerprint=credential.key_fingerprint,
        event=event,
    )


def live_order_events(*, items: list[tuple[LiveCredential, OrderEvent]]) -> list[Order | None]:
    """`live_order_event` for many events at once, in one transaction (`order_events_apply`)."""
    return order_events_apply(
        events=[
            AccountEvent(
                user_id=credential.user_id,
                mode=credential.mode,
                key_fingerprint=credential.key_fingerprint,
                event=event,
            )
            for credential, event in items
        ]
    )


def live_balance_event(*, user_id: int, event: BalanceEvent) -> None:
    """A `04` event: the cached balance is stale, and the user's pages hear of the holding."""
    account_cache_invalidate(user_id=user_id)
    publish_balance(
        user_id,
        {
            "stale": True,  # the pages re-read the balance for the totals
            "holdings": [
                {
                    "stock_code": event.stock_code,
                    "stock_name": event.stock_name,
                    "quantity": event.quantity,
                    "average_price": event.average_price,
                    "current_price": event.current_price,
                    "purchase_amount": event.purchase_amount,
                    "orderable_quantity": event.orderable_quantity,
                    "evaluation_amount": event.current_price * event.quantity,
                    "profit_loss": event.current_price * event.quantity - event.purchase_amount,
                }
            ],
        },
    )


def stream_state_record(
    *,
    credential_id: int,
    owner: str,
    fence: int,
    state: str,
    reason: str = "",
    error: str = "",
    connected: bool = False,
    reconnect: bool = False,
) -> bool:
    """Report a credential's stream; False (nothing written) when a newer lease holder reported since."""
    now = timezone.now()
    today = kst_date(now)
    with transaction.atomic():
        row, _ = StreamState.objects.select_for_update().get_or_create(credential_id=credential_id)
        if row.fence > fence:
            return False
        row.owner, row.fence, row.state, row.reason = owner[:128], fence, state, reason[:255]
        if error:
            row.last_error = error[:255]
        if connected:
            row.connected_at = now
        if reconnect:
            if row.reconnects_day != today:
                row.reconnects_day, row.reconnects_today = today, 0
            row.reconnects_today += 1
        row.save()
    return True


def stream_events_seen(*, owner: str, credential_ids: list[int], at: datetime) -> None:
    """The owner's streams of these credentials had events by `at` (one UPDATE for all of them)."""
    StreamState.objects.filter(owner=owner, credential_id__in=credential_ids).update(last_event_at=at)


def stream_states_stop(*, owner: str, credential_ids: list[int]) -> None:
    """The owner gave these credentials up (it is stopping): stopped, unless another took them over."""
    StreamState.objects.filter(owner=owner, credential_id__in=credential_ids).update(
        state=StreamStatus.STOPPED, reason=""
    )
