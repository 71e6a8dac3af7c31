"""Encrypted model fields that refuse to hand back ciphertext, and that dumps keep encrypted."""

import logging

from cryptography.fernet import InvalidToken
from encrypted_fields.fields import EncryptedCharField, EncryptedTextField

from brokerage.connections.errors import CredentialUnreadable

logger = logging.getLogger(__name__)

# Marks a value that `dumpdata` wrote encrypted: no backup or fixture holds a secret in the clear, and
# `loaddata` (which needs the site's keys to read it) stores it encrypted again.
DUMPED_PREFIX = "fernet:"


class DecryptionError(CredentialUnreadable):
    """A stored secret could not be decrypted: the encryption key or salt changed without re-encryption."""


class StrictDecryptionMixin:
    """django-fernet-encrypted-fields returns the raw ciphertext when decryption fails; raise instead.

    It also stores an empty string as NULL, which a NOT NULL column refuses: empty stays empty here.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self._decrypt(value)

    def get_prep_value(self, value):
        if value == "" and not self.null:
            return value
        return super().get_prep_value(value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        if not value:
            return value
        return DUMPED_PREFIX + self.f.encrypt(value.encode("utf-8")).decode("utf-8")

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(DUMPED_PREFIX):
            return self._decrypt(value.removeprefix(DUMPED_PREFIX))
        return super().to_python(value)

    def _decrypt(self, value: str) -> str:
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
