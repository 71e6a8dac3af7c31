from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from stocklab.errors import ApplicationError, InvalidInput

from .models import User


class UsernameTaken(ApplicationError):
    code = "username_taken"
    status_code = 409


class LoginLockedOut(ApplicationError):
    code = "login_locked_out"
    status_code = 429
    default_detail = gettext_lazy(
        "Logging in with this username is paused after too many wrong passwords. Try again later."
    )


class InvalidRefreshToken(ApplicationError):
    code = "invalid_refresh_token"
    status_code = 400


@transaction.atomic
def user_create(*, username: str, email: str, password: str) -> User:
    """Create an investor's account; Django's password validators apply."""
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(_("That username is already taken."))
    user = User(username=username, email=User.objects.normalize_email(email))
    try:
        user.full_clean(exclude=["password"])
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            exc = ValidationError({"password": exc.error_list})
        raise InvalidInput.from_django(exc) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another sign-up took the name (in any case) after the check above.
        raise UsernameTaken(_("That username is already taken.")) from None
    return user


def refresh_token_revoke(*, refresh: str) -> None:
    """Blacklist a refresh token, so that it can never mint access tokens again."""
    try:
        RefreshToken(refresh).blacklist()
    except TokenError as exc:
        raise InvalidRefreshToken(_("The refresh token is invalid or already revoked.")) from exc
