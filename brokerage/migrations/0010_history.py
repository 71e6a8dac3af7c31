import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0009_market"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountSnapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "mode",
                    models.CharField(
                        choices=[("mock", "Mock trading"), ("real", "Real trading")],
                        default="mock",
                        max_length=8,
                        verbose_name="mode",
                    ),
                ),
                ("date", models.DateField(help_text="Korea-time trading day.", verbose_name="trading day")),
                (
                    "kind",
                    models.CharField(
                        choices=[("daily", "Daily (after the close)"), ("intraday", "Intraday")],
                        default="daily",
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("ok", "Taken"), ("gap", "Missing")],
                        default="ok",
                        max_length=4,
                        verbose_name="status",
                    ),
                ),
                ("taken_at", models.DateTimeField(verbose_name="taken at")),
                ("estimated_assets", models.BigIntegerField(default=0, verbose_name="estimated assets")),
                ("deposit", models.BigIntegerField(default=0, verbose_name="deposit")),
                ("orderable_cash", models.BigIntegerField(default=0, verbose_name="orderable cash")),
                ("holdings_value", models.BigIntegerField(default=0, verbose_name="holdings value")),
                ("cost_basis", models.BigIntegerField(default=0, verbose_name="cost basis")),
                ("unrealized_pnl", models.BigIntegerField(default=0, verbose_name="unrealized P&L")),
                ("settlement_deposit", models.BigIntegerField(default=0, verbose_name="D+2 deposit")),
                ("net_flow", models.BigIntegerField(default=0, verbose_name="deposits and withdrawals")),
                ("note", models.CharField(blank=True, default="", max_length=200, verbose_name="note")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "credential",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="snapshots",
                        to="brokerage.kiwoomcredential",
                        verbose_name="Kiwoom credential",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="account_snapshots",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "account snapshot",
                "verbose_name_plural": "account snapshots",
                "ordering": ["-taken_at", "-id"],
                "indexes": [models.Index(fields=["user", "mode", "kind", "date"], name="snapshot_user_day")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("kind", "daily")),
                        fields=("user", "mode", "date"),
                        name="one_daily_snapshot_per_day",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("kind", "intraday")),
                        fields=("user", "mode", "taken_at"),
                        name="one_intraday_snapshot_per_slot",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="HoldingSnapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stock_code", models.CharField(max_length=12, verbose_name="stock code")),
                (
                    "stock_name",
                    models.CharField(blank=True, default="", max_length=64, verbose_name="stock name"),
                ),
                ("quantity", models.BigIntegerField(verbose_name="quantity")),
                ("average_price", models.BigIntegerField(verbose_name="average price")),
                ("close", models.BigIntegerField(verbose_name="close")),
                ("previous_close", models.BigIntegerField(default=0, verbose_name="previous close")),
                (
                    "snapshot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="holdings",
                        to="brokerage.accountsnapshot",
                        verbose_name="snapshot",
                    ),
                ),
            ],
            options={
                "verbose_name": "holding snapshot",
                "verbose_name_plural": "holding snapshots",
                "ordering": ["snapshot", "stock_code"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("snapshot", "stock_code"), name="one_holding_per_snapshot_code"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="IndexDaily",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "index_code",
                    models.CharField(
                        choices=[("001", "KOSPI"), ("101", "KOSDAQ")], max_length=3, verbose_name="index"
                    ),
                ),
                ("date", models.DateField(verbose_name="trading day")),
                ("close", models.DecimalField(decimal_places=2, max_digits=12, verbose_name="close")),
                ("fetched_at", models.DateTimeField(auto_now=True, verbose_name="fetched at")),
            ],
            options={
                "verbose_name": "index close",
                "verbose_name_plural": "index closes",
                "ordering": ["index_code", "date"],
                "constraints": [
                    models.UniqueConstraint(fields=("index_code", "date"), name="one_index_close_per_day")
                ],
            },
        ),
    ]
