from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from stocklab.errors import InvalidInput

from .errors import InvalidRefreshToken, RefreshTokenNotYours, UsernameTaken
from .models import User


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


def refresh_token_revoke(*, user: User, refresh: str) -> None:
    """Blacklist one of the user's refresh tokens, so that it can never mint access tokens again; another
    user's token is refused (whoever holds it must not be able to log its owner out)."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidRefreshToken(_("The refresh token is invalid or already revoked.")) from exc
    owner = token.get(jwt_settings.USER_ID_CLAIM)
    if str(owner) != str(getattr(user, jwt_settings.USER_ID_FIELD)):
        raise RefreshTokenNotYours()
    token.blacklist()
