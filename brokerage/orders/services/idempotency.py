"""`Idempotency-Key`: one order per key, and a repeat answered as the first request was.

A request's claim (`idempotency_claim`: the key and a fingerprint of what it asks for) goes to the order
service, which looks the key up first (`order_replay`). A key held by an answered entry gives its recorded
answer (`OrderOutcome` with `replayed`); a key whose request is still in flight raises
`IdempotencyKeyInFlight`; the same key with other parameters `IdempotencyKeyReused`. A new key is reserved
by the ledger entry's own INSERT (the unique constraint on user and key). The answer is recorded on the
entry with its outcome (`answer_of`): the entry's fields as answered, or the domain error it failed with.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts.models import User
from brokerage.orders.errors import (
    IdempotencyKeyInFlight,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    RecordedFailure,
)
from brokerage.orders.models import Order, OrderStatus
from brokerage.orders.selectors import order_find_by_idempotency_key, order_get
from brokerage.orders.services.timing import pending_timeout
from stocklab.errors import ApplicationError

IDEMPOTENCY_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class IdempotencyClaim:
    """A request's `Idempotency-Key` and the fingerprint of what it asks for."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class OrderOutcome:
    """What an order request came to: its ledger entry (for a change, the change's own entry).

    For a repeat of an idempotency key (`replayed`, nothing sent), the first request's answer: the entry as
    it was answered, or the `error` it failed with; if the first request stopped without an answer
    (`answered` False), the entry as it is now.
    """

    order: Order
    replayed: bool = False
    error: ApplicationError | None = None
    answered: bool = True


def idempotency_claim(*, key: str, action: str, params: Mapping[str, Any]) -> IdempotencyClaim:
    """The claim of a request (`action`: buy, sell, modify, cancel) on `key`; an unusable key is refused."""
    key = key.strip()
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise IdempotencyKeyInvalid()
    canonical = json.dumps({"action": action, "params": dict(params)}, sort_keys=True, default=str)
    return IdempotencyClaim(key=key, fingerprint=hashlib.sha256(canonical.encode()).hexdigest())


def order_replay(*, user: User, claim: IdempotencyClaim) -> OrderOutcome | None:
    """The outcome of the request that holds the key, for a repeat; None for a new key."""
    order = order_find_by_idempotency_key(user=user, key=claim.key)
    if order is None:
        return None
    if order.request_fingerprint != claim.fingerprint:
        raise IdempotencyKeyReused(extra={"order_id": order.pk})
    if order.answer is not None:
        return _outcome_of(order, order.answer)
    if order.status == OrderStatus.PENDING and order.created_at > timezone.now() - pending_timeout():
        raise IdempotencyKeyInFlight(extra={"order_id": order.pk})
    # Its request stopped without an answer (its process died, or an unexpected error): the entry as it is.
    return OrderOutcome(order=order_get(user=user, order_id=order.pk), replayed=True, answered=False)


def answer_of(order: Order, failure: ApplicationError | None = None) -> dict[str, Any]:
    """What the request was answered with, to be stored in `Order.answer`: the error `failure`, else the
    entry's fields as they are now (each as text, None for null)."""
    if failure is not None:
        error = {"code": failure.code, "kind": str(failure.kind), "detail": failure.detail}
        return {"error": {**error, "extra": failure.extra}}
    return {
        "order": {
            field.attname: None if field.value_from_object(order) is None else field.value_to_string(order)
            for field in _answered_fields()
        }
    }


def _outcome_of(holder: Order, answer: Mapping[str, Any]) -> OrderOutcome:
    """The recorded answer of `holder` (the entry holding the key) as an outcome."""
    if "error" in answer:
        error = answer["error"]
        failure = RecordedFailure(
            code=error["code"], kind=error["kind"], detail=error["detail"], extra=error["extra"]
        )
        return OrderOutcome(order=holder, replayed=True, error=failure)
    values = answer["order"]
    fields = {field.attname: field for field in _answered_fields()}
    # A field dropped from the ledger since is left out; one added since keeps its default.
    known = {name: value for name, value in values.items() if name in fields}
    order = Order(**{name: None if v is None else fields[name].to_python(v) for name, v in known.items()})
    return OrderOutcome(order=order, replayed=True)


def _answered_fields():
    return [field for field in Order._meta.concrete_fields if field.name != "answer"]
