from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("brokerage", "0009_market")]

    operations: list = []
