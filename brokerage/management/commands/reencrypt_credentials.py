"""Rewrite every stored Kiwoom secret with the current (first) encryption key, after a key rotation."""

from django.core.management.base import BaseCommand
from django.db import transaction

from brokerage.connections.models import KiwoomCredential


class Command(BaseCommand):
    help = "Re-encrypt app keys, secrets and tokens with the first salt of FIELD_ENCRYPTION_SALTS."

    def handle(self, *args, **options):
        count = 0
        for pk in KiwoomCredential.objects.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                credential = KiwoomCredential.objects.select_for_update().get(pk=pk)
                # Saving encrypts with the first key; reading already decrypted with whichever key fit.
                credential.save(update_fields=["app_key", "app_secret", "access_token"])
            count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} credential(s)."))
