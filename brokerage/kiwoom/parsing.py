"""Pure helpers that read Kiwoom's wire values: zero-padded signed numbers, direction-signed prices, rates,
prefixed stock codes, Korea-time timestamps and the bracketed error codes inside `return_msg`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from .types import OrderSide

__all__ = [
    "KST",
    "kst_date",
    "normalize_order_number",
    "parse_error",
    "parse_int",
    "parse_kst_timestamp",
    "parse_price",
    "parse_rate",
    "parse_return_code",
    "parse_side",
    "strip_code_prefix",
]

KST = ZoneInfo("Asia/Seoul")


def kst_date(moment: datetime) -> date:
    """The Korea-time calendar date of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("the moment must be timezone-aware")
    return moment.astimezone(KST).date()


_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_TIMESTAMP = re.compile(r"\d{14}")
_PREFIXED_CODE = re.compile(r"[AJQ]([0-9A-Z]{6})")
_ORDER_NUMBER = re.compile(r"\d{1,7}")

# A Kiwoom error code: 1511, 8005, RC4003, 800033, 308003 ...
_CODE = r"[A-Za-z]{0,4}\d{3,6}"
# `[2000](RC4003:모의투자 호가단위 오류입니다.)` and `[2000](모의투자 ...)`: the order system's rejections.
_ORDER_SHAPE = re.compile(rf"\[(?P<outer>\d+)\]\s*\(\s*(?:(?P<code>{_CODE})\s*:)?\s*(?P<text>.*)\)\s*$", re.S)
# `토큰 인증에 실패했습니다 ... [CODE=8005, MESSAGE=Token이 유효하지 않습니다]` (WebSocket LOGIN shape).
_CODE_EQUALS_SHAPE = re.compile(
    rf"\[\s*CODE\s*=\s*(?P<code>{_CODE})\s*,\s*MESSAGE\s*=\s*(?P<text>.*?)\s*\]", re.S
)
# `인증에 실패했습니다[8005:Token이 유효하지 않습니다]`.
_COLON_SHAPE = re.compile(rf"\[\s*(?P<code>{_CODE})\s*:\s*(?P<text>.*)\]", re.S)
# `[RC4027] 모의투자 상 / 하한가 오류입니다.` and `RC4025 모의투자 매수증거금이 부족합니다`.
_LEADING_CODE_SHAPE = re.compile(r"^\s*\[?(?P<code>RC\d{3,6})\]?\s*:?\s*(?P<text>.*)$", re.S)
# `허용된 요청 개수를 초과하였습니다[1634]`: a bare bracketed code (ka10095 batch size, PROTOCOL M0.7).
_BARE_CODE_SHAPE = re.compile(r"\[\s*(?P<code>\d{4})\s*\]")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_int(value: str | int | None) -> int:
    """`"-00000000196888"` -> -196888, `"000000017598258"` -> 17598258, `"+74100"` -> 74100, `""` -> 0."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {_short(value)}")
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a number, got {_short(value)}")
    text = value.strip()
    if not text:
        return 0
    if not _INT.fullmatch(text):
        raise ValueError(f"not an integer: {_short(value)}")
    return int(text)


def parse_price(value: str | int | None) -> int:
    """The absolute value of a price: Kiwoom's sign on a price marks the direction, not a negative price.

    `"+74100"` -> 74100, `"-000000021530"` -> 21530, `""` -> 0.
    """
    return abs(parse_int(value))


def parse_rate(value: str | int | None) -> Decimal:
    """A percentage as Kiwoom prints it: `"-2.70"` -> `Decimal("-2.70")`; `""` -> `Decimal("0")`."""
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        raise TypeError(f"expected a rate, got {_short(value)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str):
        raise TypeError(f"expected a rate, got {_short(value)}")
    text = value.strip()
    if not text:
        return Decimal(0)
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"not a rate: {_short(value)}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"not a rate: {_short(value)}") from exc


def strip_code_prefix(code: str) -> str:
    """`"A005930"` -> `"005930"` (also `J` ELW and `Q` ETN); a plain code is returned unchanged (stripped)."""
    if not isinstance(code, str):
        raise TypeError(f"expected a stock code, got {_short(code)}")
    text = code.strip()
    match = _PREFIXED_CODE.fullmatch(text)
    return match.group(1) if match else text


def parse_kst_timestamp(value: str) -> datetime:
    """A 14-digit `YYYYMMDDHHMMSS` in Korea time (no zone marker on the wire) as an aware UTC datetime.

    `"20241107083713"` -> `2024-11-06 23:37:13+00:00`, whatever the host's time zone is.
    """
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value.strip()):
        raise ValueError(f"not a YYYYMMDDHHMMSS timestamp: {_short(value)}")
    naive = datetime.strptime(value.strip(), "%Y%m%d%H%M%S")
    return naive.replace(tzinfo=KST).astimezone(UTC)


def parse_return_code(value: object) -> int | None:
    """`return_code` read leniently: `0`, `3`, `"3"`, `" 20 "` -> int; anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value.strip())
    return None


def parse_error(return_code: object, return_msg: object) -> tuple[str | None, str]:
    """The documented error code and Kiwoom's text from a failed response.

    Shapes:
    - `인증에 실패했습니다[8005:Token이 유효하지 않습니다]` -> `("8005", "Token이 유효하지 않습니다")`
    - `[2000](RC4003:모의투자 호가단위 오류입니다.)` -> `("RC4003", "모의투자 호가단위 오류입니다.")`
      (the inner code wins over 2000)
    - `... [CODE=8005, MESSAGE=Token이 유효하지 않습니다]` -> `("8005", "Token이 유효하지 않습니다")`
    - no bracket: the code is `return_code` itself when that is a documented-size code (>= 1000, as Kiwoom's
      own helper assumes), otherwise None; the message is the whole text.
    """
    text = return_msg.strip() if isinstance(return_msg, str) else ""
    match = _ORDER_SHAPE.search(text)
    if match:
        return match.group("code") or match.group("outer"), match.group("text").strip()
    for pattern in (_CODE_EQUALS_SHAPE, _COLON_SHAPE, _LEADING_CODE_SHAPE):
        match = pattern.search(text)
        if match:
            return match.group("code"), match.group("text").strip() or text
    match = _BARE_CODE_SHAPE.search(text)
    if match:
        return match.group("code"), text
    number = parse_return_code(return_code)
    if number is not None and abs(number) >= 1000:
        return str(number), text
    return None, text


def parse_side(text: str) -> OrderSide:
    """The side from Kiwoom's 주문구분 text: `+매수`, `-매도`, `+매수정정`, `매도취소`, `현금매수` ..."""
    if not isinstance(text, str):
        raise TypeError(f"expected 주문구분 text, got {_short(text)}")
    buy, sell = "매수" in text, "매도" in text
    if buy and not sell:
        return OrderSide.BUY
    if sell and not buy:
        return OrderSide.SELL
    raise ValueError(f"cannot tell buy from sell in {_short(text)}")


def normalize_order_number(value: str | int | None) -> str | None:
    """A 7-digit order number (`"0000139"`); None for `""` and `"0000000"` (Kiwoom's "no original order")."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"expected an order number, got {_short(value)}")
    text = str(value).strip()
    if not text or text.strip("0") == "":
        return None
    if not _ORDER_NUMBER.fullmatch(text):
        raise ValueError(f"not an order number: {_short(value)}")
    return text.zfill(7)
