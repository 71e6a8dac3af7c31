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


def encode_next_key(api_id: str, offset: int) -> str:
    # Opaque to clients (<= 50 characters); internally the TR id and the row offset.
    return f"{api_id.upper()}{offset:012d}"


def decode_next_key(api_id: str, key: str) -> int:
    prefix = api_id.upper()
    digits = key[len(prefix) :]
    if not key.startswith(prefix) or len(digits) != 12 or not (digits.isascii() and digits.isdigit()):
        raise bad_format("next-key", "연속조회키가 올바르지 않습니다")
    return int(digits)
