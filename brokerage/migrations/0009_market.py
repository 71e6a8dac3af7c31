"""The stock master and 관심종목 (issue 15), seeded with the names the project knew before the first sync."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The 26 names of the first releases (the simulator's own): a fresh install finds them before the first
# `kiwoom_sync_stocks`, which then adds every other code and replaces these rows' figures with Kiwoom's.
# (code, name, previous close, listed shares) — shares approximate, only ranking search results with them.
SEED = (
    ("005930", "삼성전자", 71_500, 5_969_782_550),
    ("000660", "SK하이닉스", 176_000, 728_002_365),
    ("035420", "NAVER", 201_000, 158_437_008),
    ("035720", "카카오", 41_350, 444_000_000),
    ("005380", "현대차", 215_500, 209_416_191),
    ("000270", "기아", 98_700, 397_672_632),
    ("068270", "셀트리온", 178_300, 216_000_000),
    ("105560", "KB금융", 84_600, 393_528_466),
    ("373220", "LG에너지솔루션", 362_500, 234_000_000),
    ("323410", "카카오뱅크", 21_850, 476_000_000),
    ("003280", "흥아해운", 1_790, 240_000_000),
    ("051910", "LG화학", 310_500, 70_592_343),
    ("006400", "삼성SDI", 285_000, 68_764_530),
    ("207940", "삼성바이오로직스", 1_012_000, 71_174_000),
    ("012330", "현대모비스", 245_500, 93_000_000),
    ("055550", "신한지주", 52_300, 509_000_000),
    ("028260", "삼성물산", 138_200, 169_976_544),
    ("066570", "LG전자", 78_400, 163_647_814),
    ("096770", "SK이노베이션", 112_300, 148_000_000),
    ("017670", "SK텔레콤", 55_600, 214_790_053),
    ("030200", "KT", 41_250, 252_000_000),
    ("015760", "한국전력", 22_350, 641_964_077),
    ("086790", "하나금융지주", 61_800, 290_000_000),
    ("009150", "삼성전기", 131_400, 74_693_696),
    ("011200", "HMM", 21_550, 1_025_000_000),
    ("005490", "POSCO홀딩스", 318_000, 84_571_230),
)

_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"


def _initials_key(name: str) -> str:
    # A copy of brokerage.market.hangul.initials_key as of this migration (migrations keep their own code).
    return "".join(
        _INITIALS[(ord(c) - 0xAC00) // 588] if 0xAC00 <= ord(c) <= 0xD7A3 else c.lower() for c in name
    )


def seed(apps, schema_editor):
    Stock = apps.get_model("brokerage", "Stock")
    if Stock.objects.exists():
        return
    Stock.objects.bulk_create(
        Stock(
            code=code,
            name=name,
            market="KOSPI",
            search_key=_initials_key(name),
            base_price=price,
            listed_shares=shares,
        )
        for code, name, price, shares in SEED
    )


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0008_live"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Stock",
            fields=[
                (
                    "code",
                    models.CharField(max_length=12, primary_key=True, serialize=False, verbose_name="code"),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "market",
                    models.CharField(
                        choices=[
                            ("KOSPI", "KOSPI"),
                            ("KOSDAQ", "KOSDAQ"),
                            ("ETF", "ETF"),
                            ("ETN", "ETN"),
                            ("KONEX", "KONEX"),
                            ("OTHER", "Other"),
                        ],
                        max_length=8,
                        verbose_name="market",
                    ),
                ),
                ("search_key", models.CharField(editable=False, max_length=100, verbose_name="초성")),
                ("listed_shares", models.BigIntegerField(default=0, verbose_name="listed shares")),
                ("base_price", models.BigIntegerField(default=0, verbose_name="previous close")),
                ("sector", models.CharField(blank=True, max_length=100, verbose_name="sector")),
                ("warnings", models.JSONField(blank=True, default=list, verbose_name="warnings")),
                ("nxt_enabled", models.BooleanField(default=False, verbose_name="tradable on NXT")),
                ("is_listed", models.BooleanField(default=True, verbose_name="listed")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={"verbose_name": "stock", "verbose_name_plural": "stocks", "ordering": ["code"]},
        ),
        migrations.CreateModel(
            name="Watchlist",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=40, verbose_name="name")),
                ("position", models.PositiveIntegerField(default=0, verbose_name="position")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="watchlists",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "watchlist",
                "verbose_name_plural": "watchlists",
                "ordering": ["user", "position", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("user", "name"), name="market_watchlist_unique_name")
                ],
            },
        ),
        migrations.CreateModel(
            name="WatchlistItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stock_code", models.CharField(max_length=12, verbose_name="stock code")),
                ("position", models.PositiveIntegerField(default=0, verbose_name="position")),
                ("added_at", models.DateTimeField(auto_now_add=True, verbose_name="added at")),
                (
                    "watchlist",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="brokerage.watchlist",
                        verbose_name="watchlist",
                    ),
                ),
            ],
            options={
                "verbose_name": "watchlist item",
                "verbose_name_plural": "watchlist items",
                "ordering": ["watchlist", "position", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("watchlist", "stock_code"), name="market_watchlist_item_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
