from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import UntypedToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from .errors import OtpInvalid

User = get_user_model()


class StrictCharField(serializers.CharField):
    """A string, and only a string: a number or a boolean is refused rather than read as its text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SignupSerializer(serializers.Serializer):
    username = StrictCharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only (409 `username_taken` when taken, in any case)."),
    )
    email = serializers.EmailField()
    password = StrictCharField(
        write_only=True,
        style={"input_type": "password"},
        trim_whitespace=False,
        help_text=_(
            "8 to 128 characters; also refused (`invalid_input`) when all digits, too common, or too like "
            "the username or e-mail."
        ),
    )


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined"]
        read_only_fields = fields


class LogoutSerializer(serializers.Serializer):
    refresh = StrictCharField()


def _require_current_user(token) -> None:
    """The token's user still exists, is active, and has not changed the password since it was issued: what
    every endpoint checks of an access token (CHECK_REVOKE_TOKEN)."""
    user = User.objects.filter(**{api_settings.USER_ID_FIELD: token.get(api_settings.USER_ID_CLAIM)}).first()
    if user is None or not user.is_active:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    if token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's rotating refresh, refusing the token of a deleted user or of a password changed since."""

    def validate(self, attrs):
        _require_current_user(self.token_class(attrs["refresh"]))
        return super().validate(attrs)


class TokenVerifySerializer(jwt_serializers.TokenVerifySerializer):
    """simplejwt's verify (signature, expiry, blacklist), saying no where every other endpoint would."""

    def validate(self, attrs):
        validated = super().validate(attrs)
        _require_current_user(UntypedToken(attrs["token"]))
        return validated


class OtpRequired(AuthenticationFailed):
    default_detail = _("This account uses two-step verification: send the code from its app as `otp`.")
    default_code = "otp_required"


class OtpRefused(AuthenticationFailed):
    default_detail = _("That verification code is not right.")
    default_code = "otp_invalid"


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    """simplejwt's pair for a username and password; and, for an account with two-step verification on, the
    current code from its app (`otp`), checked before any token is made."""

    otp = serializers.CharField(
        required=False,
        write_only=True,
        max_length=12,
        help_text="The 6-digit code from the authenticator app; required when the account has two-step "
        "verification on (else `otp_required`).",
    )

    def validate(self, attrs):
        from . import services

        # The password (and django-axes' lockout) first: the code is asked of the account's holder only.
        data = jwt_serializers.TokenObtainSerializer.validate(self, attrs)
        if services.totp_device_confirmed(user=self.user) is not None:
            if not attrs.get("otp"):
                raise OtpRequired()
            try:
                services.otp_verify(user=self.user, token=attrs["otp"], request=self.context.get("request"))
            except OtpInvalid:
                raise OtpRefused() from None
        refresh = self.get_token(self.user)
        data["refresh"] = str(refresh)
        data["access"] = str(refresh.access_token)
        if api_settings.UPDATE_LAST_LOGIN:
            update_last_login(None, self.user)
        return data
