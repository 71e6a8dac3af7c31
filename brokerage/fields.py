"""Encrypted model fields that refuse to hand back ciphertext."""

import logging

from cryptography.fernet import InvalidToken
from encrypted_fields.fields import EncryptedCharField, EncryptedTextField

from .errors import CredentialUnreadable

logger = logging.getLogger(__name__)


class DecryptionError(CredentialUnreadable):
    """A stored secret could not be decrypted: the encryption key or salt changed without re-encryption."""


class StrictDecryptionMixin:
    """django-fernet-encrypted-fields returns the raw ciphertext when decryption fails; raise instead."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return self.f.decrypt(value.encode("utf-8")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            model = self.model._meta.label if hasattr(self, "model") else "?"
            # The operator's half of the story; the user's is the error's own detail.
            logger.error(
                "%s.%s cannot be decrypted with the configured keys. Check DJANGO_SECRET_KEY, "
                "DJANGO_SECRET_KEY_FALLBACKS and FIELD_ENCRYPTION_SALTS (see README: rotating the key).",
                model,
                self.name,
            )
            raise DecryptionError() from exc


class StrictEncryptedCharField(StrictDecryptionMixin, EncryptedCharField):
    pass


class StrictEncryptedTextField(StrictDecryptionMixin, EncryptedTextField):
    pass
