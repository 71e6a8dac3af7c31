"""A typed, synchronous client for Kiwoom's REST API (키움 REST API).

One `requests.Session` per client, with a connection pool sized for the threads of a process that
share the client. Every call has a connect and a read timeout, and nothing is ever retried automatically:
an order must never be sent twice, so an ambiguous failure surfaces as
`KiwoomUnavailable(request_sent=True)` and the caller reconciles.

Methods take the raw access token (without `Bearer`). Results are the frozen dataclasses of `.types`; failures
are the exception family of `.errors`. Arguments that could never be valid (a negative quantity, a price on a
market order, a malformed stock code) raise `ValueError` or `TypeError` before anything is sent.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError
from urllib3.exceptions import ProxyError as _Urllib3ProxyError
from urllib3.util.retry import Retry

from ._wire import (
    _QUOTE_CODE,
    _best_effort,
    _exchange,
    _order_date,
    _order_number,
    _price,
    _quantity,
    _Reader,
    _require_text,
    _require_token,
    _Response,
    _stock_code,
    _wire_body,
)
from .account_history import AccountHistoryCalls
from .errors import (
    KiwoomError,
    KiwoomInvalidToken,
    KiwoomRateLimited,
    KiwoomUnavailable,
    error_class_for,
)
from .market_data import MarketDataCalls
from .parsing import (
    parse_error,
    parse_return_code,
)
from .types import (
    Balance,
    BalanceSummary,
    Deposit,
    Fill,
    Holding,
    OpenOrder,
    OrderAck,
    OrderDetail,
    OrderSide,
    StockInfo,
    Token,
    TradeType,
)

__all__ = ["MOCK_BASE_URL", "REAL_BASE_URL", "KiwoomClient"]

MOCK_BASE_URL = "https://mockapi.kiwoom.com"
REAL_BASE_URL = "https://api.kiwoom.com"

CONTENT_TYPE = "application/json;charset=UTF-8"

_PATH_TOKEN = "/oauth2/token"
_PATH_REVOKE = "/oauth2/revoke"
_PATH_ACCOUNT = "/api/dostk/acnt"
_PATH_ORDER = "/api/dostk/ordr"
_PATH_STOCK_INFO = "/api/dostk/stkinfo"

_MESSAGE_LIMIT = 300

Throttle = Callable[[str, "str | None"], None]


class KiwoomClient(MarketDataCalls, AccountHistoryCalls):
    """Kiwoom REST client for one base URL (`MOCK_BASE_URL` or `REAL_BASE_URL`, or a simulator's).

    `session`: a session to use instead of the client's own; it is used as given (no adapter is mounted on it)
    and not closed by `close()`. `throttle(api_id, token)`: called before every HTTP request, including each
    page of a paged query, so that a process-wide or shared rate limiter can pace calls (Kiwoom limits each TR
    per token: about 5/s on real, 1/s on mock). `max_pages`: guard for paged queries.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        session: requests.Session | None = None,
        user_agent: str = "StockLab/1.0",
        max_pages: int = 100,
        pool_maxsize: int = 32,
        throttle: Throttle | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not re.match(r"https?://[^/\s]+", base_url):
            raise ValueError("base_url must be an http(s) URL such as https://mockapi.kiwoom.com")
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.timeout = (float(connect_timeout), float(read_timeout))
        self.user_agent = user_agent
        self.max_pages = max_pages
        self._throttle = throttle
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            # max_retries=0: urllib3 must never resend a request, least of all an order.
            adapter = HTTPAdapter(
                pool_connections=4,
                pool_maxsize=pool_maxsize,
                max_retries=Retry(total=0, connect=0, read=0, redirect=0, status=0, other=0),
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            _read_environment_once(session, self.base_url)
        self._session = session

    def __repr__(self) -> str:
        return f"KiwoomClient({self.base_url!r})"

    def close(self) -> None:
        """Close the client's own session (a session passed in is left to its owner)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> KiwoomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- OAuth -------------------------------------------------------------------------------------------

    def issue_token(self, *, app_key: str, app_secret: str) -> Token:
        """au10001: issue an access token for the key pair. Refused keys raise `KiwoomInvalidCredentials`."""
        _require_text("app_key", app_key)
        _require_text("app_secret", app_secret)
        body = {"grant_type": "client_credentials", "appkey": app_key, "secretkey": app_secret}
        secrets = (app_key, app_secret)
        response = self._post(_PATH_TOKEN, "au10001", body, secrets=secrets)
        reader = _Reader(response, "au10001")
        token = reader.secret_text("token")
        token_type = reader.text("token_type")
        if token_type.lower() != "bearer":
            raise reader.bad("token_type", "is not bearer")
        return Token(token=token, token_type=token_type, expires_at=reader.timestamp("expires_dt"))

    def revoke_token(self, *, app_key: str, app_secret: str, token: str) -> None:
        """au10002: revoke an access token; later calls with it fail with 8005."""
        _require_text("app_key", app_key)
        _require_text("app_secret", app_secret)
        _require_token(token)
        body = {"appkey": app_key, "secretkey": app_secret, "token": token}
        self._post(_PATH_REVOKE, "au10002", body, secrets=(app_key, app_secret, token))

    # --- Account -----------------------------------------------------------------------------------------

    def get_balance(self, token: str) -> Balance:
        """kt00018 (계좌평가잔고내역, 합산, KRX), every page.

        Rows with zero quantity (sold out today) are left out.
        """
        _require_token(token)
        first, rows = self._post_all(
            _PATH_ACCOUNT,
            "kt00018",
            {"qry_tp": "1", "dmst_stex_tp": "KRX"},
            "acnt_evlt_remn_indv_tot",
            token=token,
        )
        summary = BalanceSummary(
            total_purchase=first.integer("tot_pur_amt"),
            total_evaluation=first.integer("tot_evlt_amt"),
            total_profit_loss=first.integer("tot_evlt_pl"),
            total_return_rate=first.rate("tot_prft_rt"),
            estimated_deposit_asset=first.integer("prsm_dpst_aset_amt"),
        )
        holdings = []
        for row in rows:
            quantity = row.integer("rmnd_qty")
            if quantity == 0:
                continue
            holdings.append(
                Holding(
                    stock_code=row.code("stk_cd"),
                    name=row.text("stk_nm"),
                    quantity=quantity,
                    tradable_quantity=row.integer("trde_able_qty"),
                    average_price=row.price("pur_pric"),
                    current_price=row.price("cur_prc"),
                    previous_close=row.price("pred_close_pric"),
                    purchase_amount=row.integer("pur_amt"),
                    evaluation_amount=row.integer("evlt_amt"),
                    profit_loss=row.integer("evltv_prft"),
                    return_rate=row.rate("prft_rt"),
                    weight=row.rate("poss_rt"),
                )
            )
        return Balance(summary=summary, holdings=tuple(holdings))

    def get_deposit(self, token: str) -> Deposit:
        """kt00001 (예수금상세현황, 추정조회). `orderable_amount` can be negative; size buys from it."""
        _require_token(token)
        response = self._post(_PATH_ACCOUNT, "kt00001", {"qry_tp": "3"}, token=token)
        reader = _Reader(response, "kt00001")
        return Deposit(
            deposit=reader.integer("entr"),
            orderable_amount=reader.integer("ord_alow_amt"),
            withdrawable_amount=reader.integer("pymn_alow_amt"),
            d2_deposit=reader.integer("d2_entra"),
        )

    def get_open_orders(self, token: str, *, stock_code: str | None = None) -> tuple[OpenOrder, ...]:
        """ka10075 (미체결), every page: all stocks, or one when `stock_code` is given."""
        _require_token(token)
        body = {
            "all_stk_tp": "0" if stock_code is None else "1",
            "trde_tp": "0",
            "stk_cd": "" if stock_code is None else _stock_code(stock_code),
            "stex_tp": "0",
        }
        _, rows = self._post_all(_PATH_ACCOUNT, "ka10075", body, "oso", token=token)
        return tuple(
            OpenOrder(
                order_number=row.order_number("ord_no"),
                original_order_number=row.optional_order_number("orig_ord_no"),
                stock_code=row.code("stk_cd"),
                name=row.text("stk_nm"),
                side=row.side("io_tp_nm"),
                status_text=row.text("ord_stt"),
                order_quantity=row.integer("ord_qty"),
                order_price=row.price("ord_pric"),
                remaining_quantity=row.integer("oso_qty"),
                filled_amount=row.integer("cntr_tot_amt"),
                trade_type_text=row.text("trde_tp"),
                time_text=row.text("tm"),
            )
            for row in rows
        )

    def get_fills(
        self,
        token: str,
        *,
        stock_code: str | None = None,
        before_order_number: str | None = None,
    ) -> tuple[Fill, ...]:
        """ka10076 (체결), every page, newest first.

        `before_order_number` returns the fills older than that order.
        """
        _require_token(token)
        body = {
            "stk_cd": "" if stock_code is None else _stock_code(stock_code),
            "qry_tp": "0" if stock_code is None else "1",
            "sell_tp": "0",
            "ord_no": "" if before_order_number is None else _order_number(before_order_number),
            "stex_tp": "0",
        }
        _, rows = self._post_all(_PATH_ACCOUNT, "ka10076", body, "cntr", token=token)
        return tuple(
            Fill(
                order_number=row.order_number("ord_no"),
                original_order_number=row.optional_order_number("orig_ord_no"),
                stock_code=row.code("stk_cd"),
                name=row.text("stk_nm"),
                side=row.side("io_tp_nm"),
                order_price=row.price("ord_pric"),
                order_quantity=row.integer("ord_qty"),
                fill_price=row.price("cntr_pric"),
                fill_quantity=row.integer("cntr_qty"),
                remaining_quantity=row.integer("oso_qty"),
                fee=row.integer("tdy_trde_cmsn"),
                tax=row.integer("tdy_trde_tax"),
                status_text=row.text("ord_stt"),
                trade_type_text=row.text("trde_tp"),
                time_text=row.text("ord_tm"),
            )
            for row in rows
        )

    def get_order_details(
        self,
        token: str,
        *,
        order_date: date | str | None = None,
        stock_code: str | None = None,
        from_order_number: str | None = None,
    ) -> tuple[OrderDetail, ...]:
        """kt00007 (계좌별주문체결내역상세, 주문순, all exchanges), every page.

        `order_date` defaults to today.
        """
        _require_token(token)
        body = {
            "ord_dt": _order_date(order_date),
            "qry_tp": "1",
            "stk_bond_tp": "0",
            "sell_tp": "0",
            "stk_cd": "" if stock_code is None else _stock_code(stock_code),
            "fr_ord_no": "" if from_order_number is None else _order_number(from_order_number),
            "dmst_stex_tp": "%",
        }
        _, rows = self._post_all(_PATH_ACCOUNT, "kt00007", body, "acnt_ord_cntr_prps_dtl", token=token)
        return tuple(
            OrderDetail(
                order_number=row.order_number("ord_no"),
                original_order_number=row.optional_order_number("ori_ord"),
                stock_code=row.code("stk_cd"),
                name=row.text("stk_nm"),
                side=row.side("io_tp_nm"),
                trade_type_text=row.text("trde_tp"),
                order_quantity=row.integer("ord_qty"),
                order_price=row.price("ord_uv"),
                confirmed_quantity=row.integer("cnfm_qty"),
                filled_quantity=row.integer("cntr_qty"),
                fill_price=row.price("cntr_uv"),
                remaining_quantity=row.integer("ord_remnq"),
                accept_text=row.text("acpt_tp"),
                modify_cancel_text=row.text("mdfy_cncl"),
                time_text=row.text("ord_tm"),
            )
            for row in rows
        )

    # --- Quotes ------------------------------------------------------------------------------------------

    def get_stock_info(self, token: str, stock_code: str) -> StockInfo:
        """ka10001 (주식기본정보): name, current price and today's base price and price limits."""
        _require_token(token)
        if not isinstance(stock_code, str) or not _QUOTE_CODE.fullmatch(stock_code):
            raise ValueError("stock_code must be six characters such as 005930 (optionally _NX or _AL)")
        response = self._post(_PATH_STOCK_INFO, "ka10001", {"stk_cd": stock_code}, token=token)
        reader = _Reader(response, "ka10001")
        return StockInfo(
            stock_code=reader.code("stk_cd"),
            name=reader.text("stk_nm"),
            current_price=reader.price("cur_prc"),
            base_price=reader.price("base_pric"),
            upper_limit=reader.price("upl_pric"),
            lower_limit=reader.price("lst_pric"),
        )

    # --- Orders ------------------------------------------------------------------------------------------

    def place_order(
        self,
        token: str,
        *,
        side: OrderSide | str,
        stock_code: str,
        quantity: int,
        trade_type: TradeType | str,
        price: int | None,
        condition_price: int | None = None,
        exchange: str = "KRX",
    ) -> OrderAck:
        """kt10000 (buy) / kt10001 (sell). Sent exactly once.

        `price` must be given exactly for the trade types that take one (`TradeType.requires_price`).
        A refusal raises `KiwoomOrderRejected` (code and message are Kiwoom's); `KiwoomUnavailable` with
        `request_sent=True` means the order may or may not exist: reconcile, never resend.
        """
        _require_token(token)
        order_side = OrderSide(side)
        kind = TradeType(trade_type)
        if kind.requires_price and price is None:
            raise ValueError(f"trade type {kind.value} ({kind.label}) needs a price")
        if not kind.requires_price and price is not None:
            raise ValueError(f"trade type {kind.value} ({kind.label}) takes no price")
        body = {
            "dmst_stex_tp": _exchange(exchange),
            "stk_cd": _stock_code(stock_code),
            "ord_qty": _quantity(quantity, allow_zero=False),
            "ord_uv": "" if price is None else _price("price", price),
            "trde_tp": kind.value,
            "cond_uv": "" if condition_price is None else _price("condition_price", condition_price),
        }
        api_id = "kt10000" if order_side is OrderSide.BUY else "kt10001"
        response = self._post(_PATH_ORDER, api_id, body, token=token)
        return _order_ack(response, api_id, exchange=body["dmst_stex_tp"])

    def modify_order(
        self,
        token: str,
        *,
        original_order_number: str,
        stock_code: str,
        quantity: int,
        price: int,
        condition_price: int | None = None,
        exchange: str = "KRX",
    ) -> OrderAck:
        """kt10002: change the price (and quantity; 0 = the whole remainder) of an open order.

        Kiwoom answers with a new order number and `base_order_number` = the root order of the chain.
        """
        _require_token(token)
        body = {
            "dmst_stex_tp": _exchange(exchange),
            "orig_ord_no": _order_number(original_order_number),
            "stk_cd": _stock_code(stock_code),
            "mdfy_qty": _quantity(quantity, allow_zero=True),
            "mdfy_uv": _price("price", price),
            "mdfy_cond_uv": "" if condition_price is None else _price("condition_price", condition_price),
        }
        response = self._post(_PATH_ORDER, "kt10002", body, token=token)
        return _order_ack(response, "kt10002", exchange=body["dmst_stex_tp"], quantity_field="mdfy_qty")

    def cancel_order(
        self,
        token: str,
        *,
        original_order_number: str,
        stock_code: str,
        quantity: int = 0,
        exchange: str = "KRX",
    ) -> OrderAck:
        """kt10003: cancel `quantity` shares of an open order (0 = the whole remainder)."""
        _require_token(token)
        body = {
            "dmst_stex_tp": _exchange(exchange),
            "orig_ord_no": _order_number(original_order_number),
            "stk_cd": _stock_code(stock_code),
            "cncl_qty": _quantity(quantity, allow_zero=True),
        }
        response = self._post(_PATH_ORDER, "kt10003", body, token=token)
        return _order_ack(response, "kt10003", exchange=body["dmst_stex_tp"], quantity_field="cncl_qty")

    # --- Transport ---------------------------------------------------------------------------------------

    def _post(
        self,
        path: str,
        api_id: str,
        body: Mapping[str, str | int],
        *,
        token: str | None = None,
        cont_key: str | None = None,
        secrets: Iterable[str] = (),
    ) -> _Response:
        """POST one request and return its page, or raise a `KiwoomError`. Never retries."""
        hidden = tuple(s for s in (token, *secrets) if isinstance(s, str) and s)
        payload = json.dumps(_wire_body(body), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            "api-id": api_id,
        }
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        if cont_key is not None:
            headers["cont-yn"] = "Y"
            headers["next-key"] = cont_key
        if self._throttle is not None:
            self._throttle(api_id, token)
        try:
            response = self._session.post(
                self.base_url + path,
                data=payload,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
            content = response.content
        except requests.RequestException as exc:
            error = _transport_error(exc, api_id=api_id, hidden=hidden, read_timeout=self.timeout[1])
            if _redact(str(exc), hidden) != str(exc):
                raise error from None
            raise error from exc

        status = response.status_code
        data = _json_object(content)
        return_code = parse_return_code(data.get("return_code")) if data is not None else None
        if data is None or return_code is None:
            raise _unusable_response(response, data, api_id=api_id)
        if return_code != 0 or not 200 <= status < 300:
            raise _business_error(data, return_code, status=status, api_id=api_id, hidden=hidden)
        cont_yn = str(response.headers.get("cont-yn", "")).strip().upper() == "Y"
        return _Response(
            body=data,
            cont_yn=cont_yn,
            next_key=str(response.headers.get("next-key", "")),
            http_status=status,
        )

    def _post_all(
        self,
        path: str,
        api_id: str,
        body: Mapping[str, str | int],
        list_field: str,
        *,
        token: str,
    ) -> tuple[_Reader, list[_Reader]]:
        """Follow `cont-yn: Y` / `next-key` to the last page: the first page and every page's rows."""
        first: _Reader | None = None
        rows: list[_Reader] = []
        cont_key: str | None = None
        for _ in range(self.max_pages):
            page = self._post(path, api_id, body, token=token, cont_key=cont_key)
            reader = _Reader(page, api_id)
            if first is None:
                first = reader
            rows.extend(reader.rows(list_field))
            if not page.cont_yn:
                return first, rows
            cont_key = page.next_key
        raise KiwoomUnavailable(
            f"Kiwoom announced more than {self.max_pages} pages; giving up",
            request_sent=True,
            api_id=api_id,
        )


def _read_environment_once(session: requests.Session, base_url: str) -> None:
    """Take the proxy and CA-bundle variables now, instead of `requests` looking them up on every call.

    With `trust_env` on, every request reads the proxy variables and ~/.netrc again (a quarter of a
    millisecond per call here), and a ~/.netrc entry for Kiwoom's host would even add credentials of its own.
    """
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if ca_bundle:
        session.verify = ca_bundle


def _order_ack(
    response: _Response, api_id: str, *, exchange: str, quantity_field: str | None = None
) -> OrderAck:
    # return_code was 0: Kiwoom took the order. Without a readable order number its identity is unknown, so
    # that is "outcome unknown" (KiwoomUnavailable with request_sent=True), never a plain rejection. With
    # one, the order exists: the other fields are read on a best-effort basis and never fail the call.
    reader = _Reader(response, api_id)
    order_number = reader.order_number("ord_no")
    return OrderAck(
        order_number=order_number,
        exchange=_best_effort(reader.text, "dmst_stex_tp") or exchange,
        message=str(response.body.get("return_msg") or "").strip(),
        base_order_number=_best_effort(reader.optional_order_number, "base_orig_ord_no"),
        quantity=_best_effort(reader.integer, quantity_field) if quantity_field else None,
    )


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _unusable_response(
    response: requests.Response, data: dict[str, Any] | None, *, api_id: str
) -> KiwoomError:
    """A response without a JSON object with `return_code` (HTML WAF page, truncated JSON, 502 page ...)."""
    status = response.status_code
    content_type = response.headers.get("Content-Type", "") or "no content type"
    what = "a JSON object without return_code" if data is not None else "no JSON object"
    kind = content_type.split(";")[0]
    message = f"Kiwoom sent {what} (HTTP {status}, {kind}, {len(response.content)} bytes)"
    if status == 429:
        return KiwoomRateLimited(message, http_status=status, api_id=api_id)
    if status == 401:
        return KiwoomInvalidToken(message, http_status=status, api_id=api_id)
    return KiwoomUnavailable(message, request_sent=True, http_status=status, api_id=api_id)


def _business_error(
    data: Mapping[str, Any],
    return_code: int,
    *,
    status: int,
    api_id: str,
    hidden: tuple[str, ...],
) -> KiwoomError:
    code, message = parse_error(return_code, data.get("return_msg")) if return_code != 0 else (None, "")
    cls = error_class_for(
        code=code, return_code=return_code if return_code != 0 else None, http_status=status, api_id=api_id
    )
    if cls is KiwoomError and not 200 <= status < 300:
        cls = KiwoomUnavailable
    message = _redact(message, hidden)[:_MESSAGE_LIMIT] or f"Kiwoom answered HTTP {status}"
    kwargs: dict[str, Any] = {
        "code": code,
        "return_code": return_code,
        "http_status": status,
        "api_id": api_id,
    }
    if cls is KiwoomUnavailable:
        return KiwoomUnavailable(message, request_sent=True, **kwargs)
    return cls(message, **kwargs)


def _transport_error(
    exc: requests.RequestException, *, api_id: str, hidden: tuple[str, ...], read_timeout: float
) -> KiwoomUnavailable:
    sent = not _connection_not_established(exc)
    detail = _redact(f"{type(exc).__name__}: {exc}", hidden)[:_MESSAGE_LIMIT]
    if isinstance(exc, requests.exceptions.ConnectTimeout) or not sent:
        message = f"could not connect to Kiwoom ({detail})"
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        message = f"Kiwoom did not answer within {read_timeout:g} s ({detail})"
    else:
        message = f"the connection to Kiwoom failed ({detail})"
    return KiwoomUnavailable(message, request_sent=sent, api_id=api_id)


def _connection_not_established(exc: requests.RequestException) -> bool:
    """True only when the request certainly never reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader,
            requests.exceptions.URLRequired,
        ),
    ):
        return True  # refused while preparing the request
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason: object = exc.args[0]
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, _Urllib3ProxyError):
            reason = reason.original_error
        # NewConnectionError and NameResolutionError are ConnectTimeoutErrors in urllib3 2.
        return isinstance(reason, ConnectTimeoutError)
    return False


def _redact(text: str, hidden: tuple[str, ...]) -> str:
    for secret in hidden:
        if len(secret) >= 4:
            text = text.replace(secret, "<redacted>")
    return text
