"""The one exception family of the Kiwoom client.

Kiwoom answers most business errors with HTTP 200: `return_code` carries a small category (2 input, 3 auth,
5 rate limit, 7 service, 20 order system) and the documented code sits in brackets inside `return_msg`
(`인증에 실패했습니다[8005:Token이 유효하지 않습니다]`, `[2000](RC4003:모의투자 호가단위 오류입니다.)`).
The class of an error is chosen by that bracketed code first, then by the HTTP status (429, 5xx),
then by the category.

`str()` of every error is safe to log: it holds Kiwoom's code and text, never a key, secret or token.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "KiwoomBadRequest",
    "KiwoomDeviceNotAllowed",
    "KiwoomError",
    "KiwoomInvalidCredentials",
    "KiwoomInvalidToken",
    "KiwoomModeMismatch",
    "KiwoomNotSupportedInMode",
    "KiwoomOrderRejected",
    "KiwoomRateLimited",
    "KiwoomRegistrationRefused",
    "KiwoomSessionReplaced",
    "KiwoomStreamClosed",
    "KiwoomUnavailable",
    "KiwoomUnknownSymbol",
    "error_class_for",
]


class KiwoomError(Exception):
    """Anything that went wrong talking to Kiwoom.

    Attributes: `code` (the bracketed code as text: "8005", "RC4003", "800033"; None when there is none),
    `return_code` (the body's number, None when there was no usable body), `message` (Kiwoom's text, or ours
    for transport problems), `http_status` (None when no response arrived) and `api_id` (the TR: kt10000).
    """

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        return_code: int | None = None,
        http_status: int | None = None,
        api_id: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.return_code = return_code
        self.http_status = http_status
        self.api_id = api_id
        super().__init__(self._describe())

    @property
    def answered(self) -> bool:
        """Whether Kiwoom itself answered (its code or return_code): `message` is then Kiwoom's own words."""
        return self.code is not None or self.return_code is not None

    def _describe(self) -> str:
        head = f"[{self.code}] " if self.code else ""
        context = []
        if self.api_id:
            context.append(f"api-id {self.api_id}")
        if self.return_code is not None:
            context.append(f"return_code {self.return_code}")
        if self.http_status is not None:
            context.append(f"HTTP {self.http_status}")
        tail = f" ({', '.join(context)})" if context else ""
        return f"{head}{self.message or 'Kiwoom error'}{tail}"

    def __str__(self) -> str:
        return self._describe()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes do not survive Exception's default pickling (Celery, multiprocessing).
        return (_rebuild, (type(self), dict(self.__dict__)))


def _rebuild(cls: type[KiwoomError], state: dict[str, Any]) -> KiwoomError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error


class KiwoomInvalidCredentials(KiwoomError):
    """The app key / secret were refused (8001, 8002, 8011, 8012, 8020)."""


class KiwoomInvalidToken(KiwoomError):
    """The access token was refused: invalid, expired or revoked (8005), or token issue/revoke failed
    (8003, 8006, 8009, 8015, 8016). Kiwoom did not process the call: issue a new token and retry once."""


class KiwoomRateLimited(KiwoomError):
    """Too many requests for this TR and token (1700, 1687, HTTP 429, category 5).

    Kiwoom did not process the call.
    """


class KiwoomUnknownSymbol(KiwoomError):
    """Kiwoom does not know the stock or market code (1901, 1902, 1903)."""


class KiwoomOrderRejected(KiwoomError):
    """The order or account system refused the request (category 20, `[2000](CODE:text)`, RCxxxx, 3080xx,
    8000xx): tick size, market closed, insufficient deposit or sellable quantity ... `code` and `message`
    are Kiwoom's."""


class KiwoomModeMismatch(KiwoomError):
    """A real key or token used on the mock host or the other way round (8030, 8031)."""


class KiwoomNotSupportedInMode(KiwoomError):
    """The server does not offer this query in its trading mode (mock): RC9000 on a query TR
    (`[2000](RC9000:모의투자에서는 해당업무가 제공되지 않습니다.)`: kt00002, kt00016 ..., PROTOCOL.md M6.0) or
    8104 (`[8104:모의투자에서 지원하지 않는 API 입니다.]`: ka01690). Kiwoom did not process the call and never
    will in this mode: fall back to our own records, do not retry. RC9000 on an order TR (an NXT order
    on mock) stays `KiwoomOrderRejected`."""


class KiwoomDeviceNotAllowed(KiwoomError):
    """The IP or device is not allowed: token from another IP (8010), device or designated-terminal
    authentication failed (8040, 8050, 8103)."""


class KiwoomBadRequest(KiwoomError):
    """Kiwoom could not read the request (15xx input validation, 1634 too many items, category 2)."""


class KiwoomUnavailable(KiwoomError):
    """Kiwoom could not be reached or gave no usable answer: network errors, timeouts, HTTP 5xx, HTML (WAF)
    pages, non-JSON or truncated bodies, unexpected shapes, 1999.

    `request_sent` is False only when the connection could not even be established, so Kiwoom certainly did
    not receive the request (an order was certainly not placed). True means the request may have reached
    Kiwoom and the outcome is unknown: reconcile an order against ka10075/ka10076/kt00007, never resend it.
    """

    def __init__(self, message: str = "", *, request_sent: bool = True, **kwargs: Any) -> None:
        self.request_sent = request_sent
        super().__init__(message, **kwargs)


class KiwoomStreamClosed(KiwoomError):
    """The WebSocket session ended: Kiwoom closed it (a SYSTEM frame such as R10002, missed heartbeats, or
    a close) or the connection dropped. `code` is the SYSTEM code when Kiwoom gave one; reconnect."""


class KiwoomSessionReplaced(KiwoomStreamClosed):
    """SYSTEM R10001: another socket logged in with the same app key and Kiwoom ended this one.

    Reconnecting would kick the other socket in turn: whoever holds the key decides, never a blind retry."""


class KiwoomRegistrationRefused(KiwoomError):
    """Kiwoom refused a REG/REMOVE (return_code 1, 105110 too fast, 105115/105118 too many codes), or the
    request would exceed the per-connection limit of codes (PROTOCOL.md M8.5) and was not sent."""


_BY_CODE: dict[str, type[KiwoomError]] = {
    **dict.fromkeys(("8001", "8002", "8011", "8012", "8020"), KiwoomInvalidCredentials),
    **dict.fromkeys(("8003", "8005", "8006", "8009", "8015", "8016"), KiwoomInvalidToken),
    **dict.fromkeys(("1700", "1687"), KiwoomRateLimited),
    **dict.fromkeys(("1901", "1902", "1903"), KiwoomUnknownSymbol),
    **dict.fromkeys(("8030", "8031"), KiwoomModeMismatch),
    **dict.fromkeys(("8010", "8040", "8050", "8103"), KiwoomDeviceNotAllowed),
    "1634": KiwoomBadRequest,
    "8104": KiwoomNotSupportedInMode,
    "1999": KiwoomUnavailable,
    "2000": KiwoomOrderRejected,
}
# Codes of the order/account system: RC4003, RC4058, 800033, 308003 ...
_ORDER_SYSTEM_CODE = re.compile(r"RC\d+|308\d{3}|800\d{3}", re.I)
_INPUT_VALIDATION_CODE = re.compile(r"15\d\d")
_AUTH_API_IDS = frozenset({"au10001", "au10002"})
# Orders (cash and credit): RC9000 there refuses that order (an NXT order on mock), not the TR itself.
_ORDER_API_IDS = frozenset(
    {"kt10000", "kt10001", "kt10002", "kt10003", "kt10006", "kt10007", "kt10008", "kt10009"}
)
_NOT_IN_MODE_CODE = "RC9000"


def error_class_for(
    *,
    code: str | None,
    return_code: int | None,
    http_status: int | None = None,
    api_id: str | None = None,
) -> type[KiwoomError]:
    """The exception class for a failed response: by bracketed code, then HTTP status, then category."""
    if code:
        if code in _BY_CODE:
            return _BY_CODE[code]
        if code.upper() == _NOT_IN_MODE_CODE and api_id is not None and api_id not in _ORDER_API_IDS:
            return KiwoomNotSupportedInMode
        if _ORDER_SYSTEM_CODE.fullmatch(code):
            return KiwoomOrderRejected
        if _INPUT_VALIDATION_CODE.fullmatch(code):
            return KiwoomBadRequest
    if http_status == 429:
        return KiwoomRateLimited
    if http_status is not None and http_status >= 500:
        return KiwoomUnavailable
    if return_code == 2:
        return KiwoomBadRequest
    if return_code == 3:
        # "Authentication failed" without a code: the keys when issuing or revoking, the token otherwise.
        return KiwoomInvalidCredentials if api_id in _AUTH_API_IDS else KiwoomInvalidToken
    if return_code == 5:
        return KiwoomRateLimited
    if return_code in (20, 2000):
        return KiwoomOrderRejected
    if http_status == 401:
        return KiwoomInvalidToken
    return KiwoomError
