"""Errors of a user's Kiwoom connection, and the one place that translates the Kiwoom client's errors."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from brokerage import kiwoom
from stocklab.errors import ApplicationError, ErrorKind, ServiceDegraded


class KiwoomNotConnected(ApplicationError):
    code = "kiwoom_not_connected"
    kind = ErrorKind.CONFLICT
    default_detail = _("No Kiwoom account is connected. Connect your Kiwoom app key and secret first.")


class CredentialUnreadable(ApplicationError):
    """Stored keys the site cannot decrypt (its encryption key changed): reconnecting helps, a retry not."""

    code = "credential_unreadable"
    kind = ErrorKind.CONFLICT
    default_detail = _(
        "Your stored Kiwoom keys can no longer be read by the site. Disconnect them and connect them again."
    )


class KiwoomKeysInUse(ApplicationError):
    """The app key is connected already, by another user (one app key is one Kiwoom account: two users would
    share it, and each one's token issue would knock the other's token out) or for the other mode."""

    code = "kiwoom_keys_in_use"
    kind = ErrorKind.CONFLICT
    default_detail = _(
        "This Kiwoom app key is already connected to StockLab, by another user or for the other trading "
        "mode. An app key can be connected once."
    )


class RealTradingDisabled(ApplicationError):
    code = "real_trading_disabled"
    kind = ErrorKind.FORBIDDEN
    default_detail = _("Real trading is not enabled on this site.")


class KiwoomApiError(ApplicationError):
    """An error that Kiwoom reported; carries Kiwoom's own code and message."""

    # The Kiwoom error it translates; None once unpickled (what the API shows is kept in `extra`).
    kiwoom_error: kiwoom.KiwoomError | None = None

    def __init__(
        self, detail=None, *, kiwoom_error: kiwoom.KiwoomError | None = None, retry_after: int | None = None
    ) -> None:
        self.kiwoom_error = kiwoom_error
        extra = {}
        # The detail is ours, in the user's language; Kiwoom's own words (Korean) come beside it. A transport
        # failure's text (hosts, ports, exception names) is for the logs only.
        if kiwoom_error is not None and kiwoom_error.answered:
            extra = {"kiwoom_code": kiwoom_error.code or "", "kiwoom_message": kiwoom_error.message}
        super().__init__(detail, extra=extra, retry_after=retry_after)


class KiwoomInvalidCredentials(KiwoomApiError):
    code = "kiwoom_invalid_credentials"
    kind = ErrorKind.INVALID
    default_detail = _("Kiwoom refused the app key and secret.")


class KiwoomTokenRejected(KiwoomApiError):
    code = "kiwoom_token_rejected"
    kind = ErrorKind.UPSTREAM_FAILED
    default_detail = _("Kiwoom rejected the access token even after it was renewed.")


class KiwoomRateLimited(KiwoomApiError):
    code = "kiwoom_rate_limited"
    kind = ErrorKind.RATE_LIMITED
    default_detail = _("Too many requests to Kiwoom; try again in a moment.")


class KiwoomUnknownSymbol(KiwoomApiError):
    code = "kiwoom_unknown_symbol"
    kind = ErrorKind.INVALID
    default_detail = _("Kiwoom does not know that stock code.")


class KiwoomOrderRejected(KiwoomApiError):
    code = "kiwoom_order_rejected"
    kind = ErrorKind.REFUSED
    default_detail = _("Kiwoom rejected the order.")


class KiwoomModeMismatch(KiwoomApiError):
    code = "kiwoom_mode_mismatch"
    kind = ErrorKind.INVALID
    default_detail = _("These keys belong to the other trading mode (real versus mock).")


class KiwoomNotSupportedInMode(KiwoomApiError):
    """Kiwoom does not offer this query in the connection's mode (mock): callers fall back to our records."""

    code = "kiwoom_not_supported_in_mode"
    kind = ErrorKind.CONFLICT
    default_detail = _("Kiwoom does not offer this information in this trading mode.")


class KiwoomDeviceNotAllowed(KiwoomApiError):
    code = "kiwoom_ip_not_allowed"
    kind = ErrorKind.FORBIDDEN
    default_detail = _("Kiwoom refused this server's IP address or device.")


class KiwoomBadRequest(KiwoomApiError):
    code = "kiwoom_bad_request"
    kind = ErrorKind.UPSTREAM_FAILED
    default_detail = _("Kiwoom could not read the request.")


class KiwoomUnavailable(KiwoomApiError):
    code = "kiwoom_unavailable"
    kind = ErrorKind.UNAVAILABLE
    default_detail = _("Kiwoom cannot be reached right now. Try again shortly.")


class KiwoomBusy(KiwoomUnavailable):
    """A lock this request waited for stayed taken past the wait: another request is renewing the token (or
    syncing the account). Raised where the wait runs out (`coordination`), never translated again."""

    default_detail = _("Another request is renewing the Kiwoom access token; try again in a moment.")


class KiwoomCoordinationUnavailable(KiwoomApiError, ServiceDegraded):
    """Redis, where every process shares the rate limiter's buckets and the token's lock, cannot be reached:
    nothing was sent to Kiwoom (raised before any request leaves, so an order entry is `not_placed`).
    Calling Kiwoom without them could break Kiwoom's limits or issue tokens that knock each other out."""

    default_detail = _(
        "Requests to Kiwoom are paused for a moment while the service recovers. Nothing was sent."
    )


_TRANSLATIONS: list[tuple[type[kiwoom.KiwoomError], type[KiwoomApiError]]] = [
    (kiwoom.KiwoomInvalidCredentials, KiwoomInvalidCredentials),
    (kiwoom.KiwoomInvalidToken, KiwoomTokenRejected),
    (kiwoom.KiwoomRateLimited, KiwoomRateLimited),
    (kiwoom.KiwoomUnknownSymbol, KiwoomUnknownSymbol),
    (kiwoom.KiwoomOrderRejected, KiwoomOrderRejected),
    (kiwoom.KiwoomModeMismatch, KiwoomModeMismatch),
    (kiwoom.KiwoomNotSupportedInMode, KiwoomNotSupportedInMode),
    (kiwoom.KiwoomDeviceNotAllowed, KiwoomDeviceNotAllowed),
    (kiwoom.KiwoomBadRequest, KiwoomBadRequest),
    (kiwoom.KiwoomUnavailable, KiwoomUnavailable),
]


def translate(error: kiwoom.KiwoomError) -> KiwoomApiError:
    """The API error for a Kiwoom error (raise it `from` the original)."""
    for kiwoom_class, api_class in _TRANSLATIONS:
        if isinstance(error, kiwoom_class):
            retry_after = 1 if api_class is KiwoomRateLimited else None
            return api_class(kiwoom_error=error, retry_after=retry_after)
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
