import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("brokerage", "0007_credential_app_key_fingerprint")]

    operations = [
        migrations.CreateModel(
            name="StreamState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "owner",
                    models.CharField(blank=True, default="", max_length=128, verbose_name="owner process"),
                ),
                ("fence", models.PositiveBigIntegerField(default=0, verbose_name="lease number")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("live", "Live"),
                            ("reconnecting", "Reconnecting"),
                            ("down", "Down"),
                            ("stopped", "Stopped"),
                        ],
                        default="stopped",
                        max_length=16,
                        verbose_name="state",
                    ),
                ),
                ("reason", models.CharField(blank=True, default="", max_length=255, verbose_name="reason")),
                (
                    "last_error",
                    models.CharField(blank=True, default="", max_length=255, verbose_name="last error"),
                ),
                ("last_event_at", models.DateTimeField(blank=True, null=True, verbose_name="last event at")),
                ("connected_at", models.DateTimeField(blank=True, null=True, verbose_name="connected at")),
                ("reconnects_today", models.PositiveIntegerField(default=0, verbose_name="reconnects today")),
                (
                    "reconnects_day",
                    models.DateField(blank=True, null=True, verbose_name="reconnects counted on"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "credential",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stream_state",
                        to="brokerage.kiwoomcredential",
                        verbose_name="Kiwoom credential",
                    ),
                ),
            ],
            options={"verbose_name": "live stream", "verbose_name_plural": "live streams"},
        ),
    ]
