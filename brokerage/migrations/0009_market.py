from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("brokerage", "0008_live")]

    operations: list = []
