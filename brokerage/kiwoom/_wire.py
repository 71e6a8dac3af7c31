"""The client's wire helpers, shared by every group of calls: one page of a response, typed reading of its
fields, and the checks of arguments before anything is sent. Package-private: import the client, not this."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .errors import KiwoomUnavailable
from .market import STOCK_CODE_RE
from .parsing import (
    normalize_order_number,
    parse_int,
    parse_kst_timestamp,
    parse_price,
    parse_rate,
    parse_side,
    strip_code_prefix,
)
from .types import OrderSide

_STOCK_CODE = STOCK_CODE_RE
_QUOTE_CODE = re.compile(r"[0-9A-Z]{6}(?:_NX|_AL)?")
_ORDER_NUMBER = re.compile(r"\d{1,7}")
_DATE = re.compile(r"\d{8}")
_EXCHANGES = frozenset({"KRX", "NXT", "SOR"})


@dataclass(frozen=True, slots=True)
class _Response:
    """One successful (return_code 0) page: the JSON body and the continuation headers."""

    body: dict[str, Any]
    cont_yn: bool
    next_key: str
    http_status: int


# --- Response reading -------------------------------------------------------------------------------------


class _Reader:
    """Typed access to one JSON object of a response; any surprise becomes `KiwoomUnavailable`."""

    __slots__ = ("_api_id", "_data", "_status")

    def __init__(self, response: _Response | Mapping[str, Any], api_id: str, http_status: int | None = None):
        if isinstance(response, _Response):
            self._data: Mapping[str, Any] = response.body
            self._status = response.http_status
        else:
            self._data = response
            self._status = http_status
        self._api_id = api_id

    def bad(self, field: str, problem: str) -> KiwoomUnavailable:
        return KiwoomUnavailable(
            f"unexpected {self._api_id} response: field {field} {problem}",
            request_sent=True,
            api_id=self._api_id,
            http_status=self._status,
        )

    def _raw(self, field: str) -> Any:
        try:
            return self._data[field]
        except KeyError:
            raise self.bad(field, "is missing") from None

    def _parsed(self, field: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(self._raw(field))
        except (TypeError, ValueError) as exc:
            raise self.bad(field, f"is malformed ({exc})") from None

    def text(self, field: str) -> str:
        value = self._raw(field)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.bad(field, "is not text")
        return value.strip()

    def secret_text(self, field: str) -> str:
        """A non-empty text that must never appear in a message (the token)."""
        value = self._raw(field)
        if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
            raise self.bad(field, "is empty or malformed")
        return value.strip()

    def integer(self, field: str) -> int:
        return self._parsed(field, parse_int)

    def price(self, field: str) -> int:
        return self._parsed(field, parse_price)

    def rate(self, field: str) -> Decimal:
        return self._parsed(field, parse_rate)

    def timestamp(self, field: str) -> datetime:
        return self._parsed(field, parse_kst_timestamp)

    def side(self, field: str) -> OrderSide:
        return self._parsed(field, parse_side)

    def code(self, field: str) -> str:
        code = strip_code_prefix(self.text(field))
        if not code:
            raise self.bad(field, "is empty")
        return code

    def order_number(self, field: str) -> str:
        number = self._parsed(field, normalize_order_number)
        if number is None:
            raise self.bad(field, "is empty")
        return number

    def optional_order_number(self, field: str) -> str | None:
        return self._parsed(field, normalize_order_number)

    def rows(self, field: str) -> list[_Reader]:
        """The objects of a list field; a missing or null list is empty; all-blank rows are skipped."""
        value = self._data.get(field)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.bad(field, "is not a list of objects")
        return [
            _Reader(item, self._api_id, self._status)
            for item in value
            if any(v not in ("", None) and not (isinstance(v, str) and not v.strip()) for v in item.values())
        ]


def _best_effort(read: Callable[[str], Any], field: str) -> Any:
    try:
        return read(field)
    except KiwoomUnavailable:
        return None


# --- Argument checks --------------------------------------------------------------------------------------


def _wire_body(body: Mapping[str, str | int]) -> dict[str, str]:
    """Every body value as a JSON string: Kiwoom rejects numbers (reportedly with 1517)."""
    return {key: str(value) for key, value in body.items()}


def _require_token(token: object) -> None:
    if not isinstance(token, str) or not token or any(c.isspace() for c in token):
        raise ValueError("token must be a non-empty string without whitespace")


def _require_text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")


def _stock_code(value: object) -> str:
    if not isinstance(value, str) or not _STOCK_CODE.fullmatch(value):
        raise ValueError("stock_code must be six characters such as 005930")
    return value


def _order_number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not _ORDER_NUMBER.fullmatch(str(value)):
        raise ValueError("an order number has up to seven digits, such as 0000139")
    return str(value).zfill(7)


def _exchange(value: object) -> str:
    if value not in _EXCHANGES:
        raise ValueError("exchange must be KRX, NXT or SOR")
    return str(value)


def _quantity(value: object, *, allow_zero: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("quantity must be an int")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("quantity must be positive" + (" or 0 (the whole remainder)" if allow_zero else ""))
    return value


def _price(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (KRW)")
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value


def _order_date(value: date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        raise TypeError("order_date must be a date, not a datetime (pass the date in Korea time)")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value
    raise ValueError("order_date must be a date or YYYYMMDD")
