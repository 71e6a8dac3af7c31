"""Kiwoom wire conventions: number formats, error envelopes, request-body field checks (PROTOCOL.md 1, 3)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"

# Success texts (PROTOCOL.md 1.4); the mock server's own order texts are used because this simulates mock.
MSG_OK = "정상적으로 처리되었습니다"
MSG_QUERY_OK = "조회가 완료되었습니다"
MSG_QUERY_OK_SPACED = " 조회가 완료되었습니다."  # ka10075/ka10076 really carry the leading space

# ---------------------------------------------------------------------------------------------------------
# Number formats


def pad(value: int, width: int) -> str:
    """Zero-pad `value` to `width` characters; a minus sign takes one of them ("-00000000014597")."""
    if value < 0:
        return "-" + str(-value).zfill(width - 1)
    return str(value).zfill(width)


def direction_sign(price: int, base: int) -> str:
    """Kiwoom's price sign: '+' above the base (previous close), '-' below, nothing when unchanged."""
    if price > base:
        return "+"
    if price < base:
        return "-"
    return ""


def signed_price(price: int, base: int, width: int | None = None) -> str:
    """A price with its direction sign; with `width`, the digits are zero-padded and the sign put in front.

    Live kt00018 captures show the sign in front of a full 12-digit price ("-000000021530", 13 characters),
    unlike negative amounts whose sign sits inside the width.
    """
    digits = str(price).zfill(width) if width else str(price)
    return direction_sign(price, base) + digits


def rate(numerator: int | Decimal, denominator: int | Decimal, places: int = 2) -> str:
    """A percentage `numerator / denominator * 100`, rounded half-up, sign only when negative ("-2.70")."""
    if not denominator:
        return f"{Decimal(0):.{places}f}"
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )
    if value == 0:
        value = abs(value)  # never "-0.00"
    return f"{value:.{places}f}"


def signed_rate(numerator: int, denominator: int, places: int = 2) -> str:
    """Like `rate`, with a '+' on rises (ka10001 `flu_rt`)."""
    text = rate(numerator, denominator, places)
    return "+" + text if numerator > 0 and denominator > 0 and Decimal(text) != 0 else text


# ---------------------------------------------------------------------------------------------------------
# Errors


class KiwoomError(Exception):
    """A Kiwoom-shaped error response: category `return_code`, text with the bracketed code, HTTP status."""

    def __init__(self, return_code: int, return_msg: str, status: int = 200) -> None:
        super().__init__(return_msg)
        self.return_code = return_code
        self.return_msg = return_msg
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"return_code": self.return_code, "return_msg": self.return_msg}


def input_error(code: int, text: str, status: int = 200) -> KiwoomError:
    return KiwoomError(2, f"입력 값 오류입니다[{code}:{text}]", status)


def auth_error(code: int, text: str, prefix: str = "인증에 실패했습니다") -> KiwoomError:
    return KiwoomError(3, f"{prefix}[{code}:{text}]")


def service_error(code: int, text: str, status: int = 200) -> KiwoomError:
    return KiwoomError(7, f"서비스를 처리하는 중에 오류가 발생했습니다[{code}:{text}]", status)


def order_rejection(code: str, text: str) -> KiwoomError:
    """Order-system rejection: `[2000](<code>:<text>)` with category 20 (PROTOCOL.md 4.5)."""
    return KiwoomError(20, f"[2000]({code}:{text})")


def rate_limited(limit: int, api_id: str) -> KiwoomError:
    return KiwoomError(
        5,
        f"허용된 요청 개수를 초과하였습니다[1700:허용된 API 요청 개수를 초과하였습니다. "
        f"유량={limit}, API ID={api_id}]",
        429,
    )


def missing_field(name: str) -> KiwoomError:
    return input_error(1511, f"필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터={name}")


def bad_format(name: str, reason: str, status: int = 200) -> KiwoomError:
    return input_error(1517, f"입력 값 형식이 올바르지 않습니다. 파라미터={name} 실패사유={reason}", status)


def missing_api_id() -> KiwoomError:
    return input_error(1501, "API ID가 Null이거나 값이 없습니다")


def api_id_not_on_uri(api_id: str, uri: str, status: int = 200) -> KiwoomError:
    return input_error(1504, f"해당 URI에서는 지원하는 API ID가 아닙니다. API ID={api_id}, URI={uri}", status)


def unknown_api_id(api_id: str) -> KiwoomError:
    return input_error(1505, f"해당 API ID는 존재하지 않습니다. API ID={api_id}")


def token_invalid() -> KiwoomError:
    return auth_error(8005, "Token이 유효하지 않습니다")


# The refusals of a token (PROTOCOL.md 1.5) besides 8005, as `tokens/refuse` can make the simulator answer.
TOKEN_REFUSALS = {
    8005: "Token이 유효하지 않습니다",
    8010: "Token을 발급받은 IP와 서비스를 요청한 IP가 동일하지 않습니다",
    8040: "단말기 인증에 실패했습니다",
    8103: "토큰 인증 또는 단말기인증에 실패했습니다",
}


def token_refused(code: int) -> KiwoomError:
    return auth_error(code, TOKEN_REFUSALS[code])


def unknown_stock(code: str) -> KiwoomError:
    return service_error(1902, f"종목 정보가 없습니다. 입력한 종목코드 값을 확인바랍니다. 종목코드={code}")


def unexpected_error(status: int = 500) -> KiwoomError:
    return service_error(1999, "예기치 못한 에러가 발생했습니다", status)


def not_on_mock() -> KiwoomError:
    return order_rejection("RC9000", "모의투자에서는 해당업무가 제공되지 않습니다.")


# ---------------------------------------------------------------------------------------------------------
# Request-body fields

_DIGITS = re.compile(r"[0-9]+")
_CODE = re.compile(r"[0-9A-Za-z_]+")


@dataclass(frozen=True)
class Field:
    """One request-body field: required or not, Kiwoom's maximum length, and what it may contain."""

    name: str
    required: bool = False
    max_len: int = 12
    kind: str = "text"  # "text", "digits" (unsigned integer), "code" (stock code) or "choice"
    choices: tuple[str, ...] = ()


def validate_body(body: Mapping[str, Any], fields: Iterable[Field]) -> dict[str, str]:
    """Check the fields of a TR body in order; return them as strings ("" when absent).

    Numbers, lists and other non-strings are 1517 (body values are strings on the wire), missing or empty
    required values are 1511, and values that break the length or the allowed set are 1517 again.
    """
    values: dict[str, str] = {}
    for spec in fields:
        raw = body.get(spec.name)
        if raw is not None and not isinstance(raw, str):
            raise bad_format(spec.name, f"문자열이 아닙니다({type(raw).__name__})")
        value = (raw or "").strip()
        if not value:
            if spec.required:
                raise missing_field(spec.name)
            values[spec.name] = ""
            continue
        if len(value) > spec.max_len:
            raise bad_format(spec.name, f"최대 길이({spec.max_len})를 초과했습니다")
        if spec.kind == "digits" and not _DIGITS.fullmatch(value):
            raise bad_format(spec.name, "숫자가 아닙니다")
        if spec.kind == "code" and not _CODE.fullmatch(value):
            raise bad_format(spec.name, "종목코드 형식이 아닙니다")
        if spec.kind == "choice" and value not in spec.choices:
            raise bad_format(spec.name, f"허용된 값이 아닙니다({'/'.join(spec.choices)})")
        values[spec.name] = value
    return values
