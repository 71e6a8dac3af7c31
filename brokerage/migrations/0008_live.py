from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("brokerage", "0007_credential_app_key_fingerprint")]

    operations: list = []
