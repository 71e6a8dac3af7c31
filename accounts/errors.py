"""Account errors in the API's vocabulary (stocklab.errors maps every ApplicationError)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from stocklab.errors import ApplicationError


class UsernameTaken(ApplicationError):
    code = "username_taken"
    status_code = status.HTTP_409_CONFLICT


class LoginLockedOut(ApplicationError):
    code = "login_locked_out"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _(
        "Logging in with this username is paused after too many wrong passwords. Try again later."
    )


class InvalidRefreshToken(ApplicationError):
    code = "invalid_refresh_token"
    status_code = status.HTTP_400_BAD_REQUEST
