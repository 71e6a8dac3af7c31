"""Account errors in the API's vocabulary (stocklab.errors maps every ApplicationError)."""

from django.utils.translation import gettext_lazy as _

from stocklab.errors import ApplicationError, ErrorKind


class UsernameTaken(ApplicationError):
    code = "username_taken"
    kind = ErrorKind.CONFLICT


class LoginLockedOut(ApplicationError):
    code = "login_locked_out"
    kind = ErrorKind.RATE_LIMITED
    default_detail = _(
        "Logging in with this username is paused after too many wrong passwords. Try again later."
    )


class InvalidRefreshToken(ApplicationError):
    code = "invalid_refresh_token"
    kind = ErrorKind.INVALID


class RefreshTokenNotYours(ApplicationError):
    code = "refresh_token_not_yours"
    kind = ErrorKind.FORBIDDEN
    default_detail = _("This refresh token belongs to another account: log out with your own.")


class OtpInvalid(ApplicationError):
    code = "otp_invalid"
    kind = ErrorKind.INVALID
    default_detail = _("That code is not right. Type the 6 digits your authenticator app shows now.")


class OtpThrottled(ApplicationError):
    code = "otp_throttled"
    kind = ErrorKind.RATE_LIMITED
    default_detail = _("Too many wrong codes. Wait a moment before the next one.")


class OtpAlreadyEnabled(ApplicationError):
    code = "otp_already_enabled"
    kind = ErrorKind.CONFLICT
    default_detail = _("Two-step verification is already on.")


class OtpNotEnabled(ApplicationError):
    code = "otp_not_enabled"
    kind = ErrorKind.CONFLICT
    default_detail = _("Two-step verification is not on.")
