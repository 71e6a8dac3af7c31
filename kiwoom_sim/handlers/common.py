"""What every TR handler gets and returns, and continuation paging (PROTOCOL.md 1.3)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..book import Account
from ..protocol import bad_format
from ..state import SimState

T = TypeVar("T")


@dataclass
class Call:
    """A request routed to a TR: its id, parsed body, the token's account and the paging headers."""

    api_id: str
    body: dict[str, Any]
    account: Account | None = None
    cont_yn: str = "N"
    next_key: str = ""

    @property
    def owner(self) -> Account:
        assert self.account is not None, "authenticated TR called without an account"
        return self.account


@dataclass
class TrResult:
    body: dict[str, Any]
    cont_yn: str = "N"
    next_key: str = ""


Handler = Callable[[SimState, Call], TrResult]


@dataclass(frozen=True)
class TrSpec:
    api_id: str
    path: str
    handler: Handler
    needs_token: bool = True


def page(rows: Sequence[T], size: int, call: Call) -> tuple[Sequence[T], str, str]:
    """The slice of `rows` this call asks for, plus the `cont-yn` / `next-key` to send back."""
    start = 0
    if call.cont_yn == "Y":
        start = decode_next_key(call.api_id, call.next_key)
    end = start + size
    if end < len(rows):
        return rows[start:end], "Y", encode_next_key(call.api_id, end)
    return rows[start:end], "N", ""


def page_after(
    rows: Sequence[T], size: int, call: Call, *, position: Callable[[T], int], descending: bool
) -> tuple[Sequence[T], str, str]:
    """`page` for lists sorted by `position` (an order number): the next page continues after the last row
    sent, not at a row offset, so that a row leaving the list between two pages (an order filled or
    cancelled meanwhile) does not push the next page's first row out of sight."""
    if call.cont_yn == "Y":
        last = decode_next_key(call.api_id, call.next_key)
        rows = [row for row in rows if (position(row) < last if descending else position(row) > last)]
    chunk = rows[:size]
    if len(rows) > size:
        return chunk, "Y", encode_next_key(call.api_id, position(chunk[-1]))
    return chunk, "N", ""


def encode_next_key(api_id: str, offset: int) -> str:
    # Opaque to clients (<= 50 characters); internally the TR id and a row offset or the last order number.
    return f"{api_id.upper()}{offset:012d}"


def decode_next_key(api_id: str, key: str) -> int:
    prefix = api_id.upper()
    digits = key[len(prefix) :]
    if not key.startswith(prefix) or len(digits) != 12 or not (digits.isascii() and digits.isdigit()):
        raise bad_format("next-key", "연속조회키가 올바르지 않습니다")
    return int(digits)
