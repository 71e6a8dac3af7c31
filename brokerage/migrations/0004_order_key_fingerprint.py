from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fingerprint_existing_orders(apps, schema_editor):
    """Orders placed before: the keys their credential holds now (the best knowledge there is). Orders whose
    credential was disconnected keep no fingerprint, and no keys can change or sync them any more."""
    Order = apps.get_model("brokerage", "Order")
    KiwoomCredential = apps.get_model("brokerage", "KiwoomCredential")
    held = KiwoomCredential.objects.filter(pk=OuterRef("credential_id")).values("key_fingerprint")[:1]
    Order.objects.filter(credential__isnull=False).update(key_fingerprint=Subquery(held))


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0003_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="key_fingerprint",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="key fingerprint"),
        ),
        migrations.RunPython(fingerprint_existing_orders, migrations.RunPython.noop),
    ]
