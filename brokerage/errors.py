"""Brokerage errors in the API's vocabulary, and the one place that translates Kiwoom's errors into them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from stocklab.errors import ApplicationError

from . import kiwoom


class KiwoomNotConnected(ApplicationError):
    code = "kiwoom_not_connected"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("No Kiwoom account is connected. Connect your Kiwoom app key and secret first.")


class CredentialUnreadable(ApplicationError):
    """Stored keys the site cannot decrypt (its encryption key changed): reconnecting helps, a retry not."""

    code = "credential_unreadable"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "Your stored Kiwoom keys can no longer be read by the site. Disconnect them and connect them again."
    )


class RealTradingDisabled(ApplicationError):
    code = "real_trading_disabled"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = _("Real trading is not enabled on this site.")


# --- Orders: their idempotency keys, and changes of an order ---------------------------------------------


class OrderPlacedWithOtherKeys(ApplicationError):
    """A change of an order placed with Kiwoom keys the user has since replaced: through the new keys it would
    reach another account, where the same order number can name another order."""

    code = "order_placed_with_other_keys"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "This order was placed with Kiwoom keys you have since replaced, so StockLab cannot change it. "
        "Change it in Kiwoom's own app, or connect those keys again."
    )


class OrderChangeUnresolved(ApplicationError):
    """A modification or cancellation while an earlier one of the same order has no known outcome: another
    could change the order twice, so nothing is resent after an ambiguous failure."""

    code = "order_change_unresolved"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "An earlier change of this order is not confirmed by Kiwoom yet: it may have reached Kiwoom and is "
        "being checked against Kiwoom's orders. This change was not sent; try again once the earlier one is "
        "settled."
    )


class IdempotencyKeyInvalid(ApplicationError):
    code = "idempotency_key_invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _(
        "The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID."
    )


class IdempotencyKeyInFlight(ApplicationError):
    code = "idempotency_key_in_flight"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "A request with this Idempotency-Key is still being processed. Wait for its answer, then repeat it "
        "to get the same answer."
    )


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used for a different request. Use a new key for a new request."
    )


class OrderNotOpen(ApplicationError):
    code = "order_not_open"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The order is no longer open at Kiwoom.")


class OrderNotModifiable(ApplicationError):
    code = "order_not_modifiable"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "Only orders with a price (limit types) can be modified; cancel this one and place a new order."
    )


class OrderQuantityOverRemainder(ApplicationError):
    code = "order_quantity_over_remainder"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("The quantity is more than the order has left open.")


class OrderModifyUnchanged(ApplicationError):
    code = "order_modify_unchanged"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("That is the order's price already: a modification would change nothing.")

    def __init__(self) -> None:
        super().__init__(extra={"errors": {"price": [str(self.default_detail)]}})


class KiwoomApiError(ApplicationError):
    """An error that Kiwoom reported; carries Kiwoom's own code and message."""

    # The Kiwoom error it translates; None once unpickled (what the API shows is kept in `extra`).
    kiwoom_error: kiwoom.KiwoomError | None = None

    def __init__(self, detail=None, *, kiwoom_error: kiwoom.KiwoomError | None = None, headers=None) -> None:
        self.kiwoom_error = kiwoom_error
        extra = {}
        # The detail is ours, in the user's language; Kiwoom's own words (Korean) come beside it. A transport
        # failure's text (hosts, ports, exception names) is for the logs only.
        if kiwoom_error is not None and kiwoom_error.answered:
            extra = {"kiwoom_code": kiwoom_error.code or "", "kiwoom_message": kiwoom_error.message}
        super().__init__(detail, extra=extra, headers=headers)


class KiwoomInvalidCredentials(KiwoomApiError):
    code = "kiwoom_invalid_credentials"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Kiwoom refused the app key and secret.")


class KiwoomTokenRejected(KiwoomApiError):
    code = "kiwoom_token_rejected"
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = _("Kiwoom rejected the access token even after it was renewed.")


class KiwoomRateLimited(KiwoomApiError):
    code = "kiwoom_rate_limited"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many requests to Kiwoom; try again in a moment.")


class KiwoomUnknownSymbol(KiwoomApiError):
    code = "kiwoom_unknown_symbol"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Kiwoom does not know that stock code.")


class KiwoomOrderRejected(KiwoomApiError):
    code = "kiwoom_order_rejected"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("Kiwoom rejected the order.")


class KiwoomModeMismatch(KiwoomApiError):
    code = "kiwoom_mode_mismatch"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("These keys belong to the other trading mode (real versus mock).")


class KiwoomDeviceNotAllowed(KiwoomApiError):
    code = "kiwoom_ip_not_allowed"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = _("Kiwoom refused this server's IP address or device.")


class KiwoomBadRequest(KiwoomApiError):
    code = "kiwoom_bad_request"
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = _("Kiwoom could not read the request.")


class KiwoomUnavailable(KiwoomApiError):
    code = "kiwoom_unavailable"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Kiwoom cannot be reached right now. Try again shortly.")


_TRANSLATIONS: list[tuple[type[kiwoom.KiwoomError], type[KiwoomApiError]]] = [
    (kiwoom.KiwoomInvalidCredentials, KiwoomInvalidCredentials),
    (kiwoom.KiwoomInvalidToken, KiwoomTokenRejected),
    (kiwoom.KiwoomRateLimited, KiwoomRateLimited),
    (kiwoom.KiwoomUnknownSymbol, KiwoomUnknownSymbol),
    (kiwoom.KiwoomOrderRejected, KiwoomOrderRejected),
    (kiwoom.KiwoomModeMismatch, KiwoomModeMismatch),
    (kiwoom.KiwoomDeviceNotAllowed, KiwoomDeviceNotAllowed),
    (kiwoom.KiwoomBadRequest, KiwoomBadRequest),
    (kiwoom.KiwoomUnavailable, KiwoomUnavailable),
]


def translate(error: kiwoom.KiwoomError) -> KiwoomApiError:
    """The API error for a Kiwoom error (raise it `from` the original)."""
    for kiwoom_class, api_class in _TRANSLATIONS:
        if isinstance(error, kiwoom_class):
            headers = {"Retry-After": "1"} if api_class is KiwoomRateLimited else None
            return api_class(kiwoom_error=error, headers=headers)
    return KiwoomUnavailable(kiwoom_error=error)


# What a stored Kiwoom error code means, in words a user can act on.
_EXPLANATIONS = {
    "8001": _(
        "Kiwoom did not accept the app key and secret. Check them on Kiwoom's API portal and reconnect."
    ),
    "8002": _(
        "Kiwoom did not accept the app key and secret. Check them on Kiwoom's API portal and reconnect."
    ),
    "8005": _("The access token expired or was revoked; StockLab issues a new one automatically."),
    "8010": _("The token was issued from a different IP address than the one using it."),
    "8030": _("These keys are for the other trading mode (real versus mock)."),
    "8031": _("The token belongs to the other trading mode (real versus mock)."),
    "8040": _("Kiwoom's device authentication failed for this server."),
    "8050": _(
        "This server's IP address is not registered for your keys. Register it on Kiwoom's API portal."
    ),
    "8103": _("Kiwoom could not authenticate the token or this server's device."),
    "1700": _("Kiwoom's request limit was reached; requests are slowed down automatically."),
}


def explain(code: str) -> str:
    """Plain words for a Kiwoom error code ('' when there is no code)."""
    if not code:
        return ""
    return str(_EXPLANATIONS.get(code, _("Kiwoom reported error %(code)s.") % {"code": code}))
