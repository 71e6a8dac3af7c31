"""The connection's input and status."""

from __future__ import annotations

from datetime import UTC

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from brokerage.connections.errors import explain
from brokerage.connections.models import KiwoomCredential, Mode, RefreshOutcome, key_fingerprint_suffix
from brokerage.kiwoom.parsing import KST


class StrictCharField(serializers.CharField):
    """A string, and only a string: a number or a boolean is refused rather than read as its text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CredentialInputSerializer(serializers.Serializer):
    app_key = StrictCharField(max_length=256, trim_whitespace=True)
    app_secret = StrictCharField(max_length=256, trim_whitespace=True, style={"input_type": "password"})
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.MOCK)

    def to_internal_value(self, data):
        # A form's blank `mode` is refused as in JSON, not read as "left out" (and so mock).
        if hasattr(data, "get") and data.get("mode") == "":
            raise serializers.ValidationError({"mode": [_("Choose mock or real, or leave it out.")]})
        return super().to_internal_value(data)


class CredentialErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(help_text=_("Kiwoom's own message."))
    explanation = serializers.CharField(help_text=_("What the error means, in plain words."))
    at = serializers.DateTimeField(default_timezone=UTC, help_text=_("UTC."))


class CredentialStatusSerializer(serializers.Serializer):
    """What a user may know of their connection: never the secret, the token or the full app key."""

    connected = serializers.BooleanField()
    mode = serializers.ChoiceField(choices=Mode.choices)
    status = serializers.CharField(allow_null=True)
    app_key_masked = serializers.CharField(allow_null=True)
    key_fingerprint_suffix = serializers.CharField(allow_null=True)
    token_expires_at = serializers.DateTimeField(allow_null=True, default_timezone=UTC, help_text=_("UTC."))
    token_expires_at_kst = serializers.DateTimeField(
        allow_null=True, default_timezone=KST, help_text=_("Korea time.")
    )
    # Every time here is UTC (with a Korea-time twin for the expiry), as one client reads them all alike.
    last_refreshed_at = serializers.DateTimeField(allow_null=True, default_timezone=UTC, help_text=_("UTC."))
    next_refresh_at = serializers.DateTimeField(
        allow_null=True, default_timezone=UTC, help_text=_("Next scheduled token renewal (UTC).")
    )
    last_refresh_outcome = serializers.ChoiceField(
        choices=RefreshOutcome.choices, allow_blank=True, allow_null=True
    )
    last_error = CredentialErrorSerializer(allow_null=True)

    @classmethod
    def for_credential(cls, credential: KiwoomCredential | None, *, mode: str = Mode.MOCK) -> dict:
        if credential is None:
            data = dict.fromkeys(cls._declared_fields)
            return cls({**data, "connected": False, "mode": mode}).data
        expires = credential.token_expires_at
        last_error = None
        if credential.last_error_code:
            last_error = {
                "code": credential.last_error_code,
                "message": credential.last_error_message,
                "explanation": explain(credential.last_error_code),
                "at": credential.last_error_at,
            }
        return cls(
            {
                "connected": True,
                "mode": credential.mode,
                "status": credential.status,
                "app_key_masked": credential.masked_app_key,
                "key_fingerprint_suffix": key_fingerprint_suffix(credential.key_fingerprint),
                "token_expires_at": expires,
                "token_expires_at_kst": expires,
                "last_refreshed_at": credential.last_refreshed_at,
                "next_refresh_at": credential.next_refresh_at,
                # null until the first renewal, as when not connected
                "last_refresh_outcome": credential.last_refresh_outcome or None,
                "last_error": last_error,
            }
        ).data
