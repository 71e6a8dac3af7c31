"""One app key, one credential on the whole site: `KiwoomCredential.app_key_fingerprint` (SHA-256 of the app
key alone), filled in for existing rows, then unique.

The backfill reads each row in Python (the keys are decrypted by their field, never in SQL). A row whose keys
the site cannot read keeps no fingerprint (it is replaced when its owner connects again), and so does each
later row of an app key that several users had already connected: the earliest connection keeps it, so that
the constraint can be created and nobody else can connect that key from now on.
"""

import hashlib

from django.db import migrations, models

from brokerage.connections.fields import DecryptionError


def app_key_fingerprint(app_key: str) -> str:
    # Frozen copy of brokerage.connections.services.credentials.app_key_fingerprint (a test holds them equal).
    return hashlib.sha256(app_key.encode()).hexdigest()


def fingerprint_app_keys(apps, schema_editor):
    KiwoomCredential = apps.get_model("brokerage", "KiwoomCredential")
    seen = set()
    for pk in KiwoomCredential.objects.order_by("created_at", "pk").values_list("pk", flat=True):
        try:
            app_key = KiwoomCredential.objects.filter(pk=pk).values_list("app_key", flat=True).get()
        except DecryptionError:
            continue
        fingerprint = app_key_fingerprint(app_key)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        KiwoomCredential.objects.filter(pk=pk).update(app_key_fingerprint=fingerprint)


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0006_order_answer"),
    ]

    operations = [
        migrations.AddField(
            model_name="kiwoomcredential",
            name="app_key_fingerprint",
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name="app key fingerprint"),
        ),
        migrations.RunPython(fingerprint_app_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="kiwoomcredential",
            constraint=models.UniqueConstraint(
                fields=("app_key_fingerprint",), name="one_credential_per_app_key"
            ),
        ),
    ]
