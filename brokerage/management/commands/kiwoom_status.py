"""A table of Kiwoom credentials and the health of their tokens, for operators. Never shows a secret."""

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from brokerage.connections.errors import explain
from brokerage.connections.models import CredentialStatus, KiwoomCredential

KST = ZoneInfo("Asia/Seoul")
COLUMNS = (
    "ID",
    "USER",
    "MODE",
    "KEY",
    "HEALTH",
    "EXPIRES (KST)",
    "REFRESHED",
    "OUTCOME",
    "NEXT REFRESH",
    "ERROR",
)
HEALTHY = "ok"


class Command(BaseCommand):
    help = "Show every Kiwoom credential with its token's health, last and next refresh, and last error."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Only this user's credentials (username).")
        parser.add_argument("--problems", action="store_true", help="Only credentials that are not healthy.")

    def handle(self, *args, user: str | None, problems: bool, **options):
        now = timezone.now()
        # The encrypted columns are never even loaded.
        credentials = (
            KiwoomCredential.objects.select_related("user")
            .defer("app_key", "app_secret", "access_token")
            .order_by("token_expires_at", "pk")
        )
        if user:
            credentials = credentials.filter(user__username=user)

        rows, health_counts = [], Counter()
        for credential in credentials:
            health = token_health(credential, now=now)
            health_counts[health] += 1
            if problems and health == HEALTHY:
                continue
            rows.append(
                (
                    str(credential.pk),
                    credential.user.get_username(),
                    credential.mode,
                    f"…{credential.app_key_suffix}",
                    health,
                    _kst(credential.token_expires_at),
                    _kst(credential.last_refreshed_at),
                    credential.last_refresh_outcome or "-",
                    _kst(credential.next_refresh_at),
                    _error(credential),
                )
            )

        self._write_table(rows)
        total = sum(health_counts.values())
        counts = ", ".join(f"{name} {count}" for name, count in sorted(health_counts.items()))
        self.stdout.write(f"{total} credential(s){': ' + counts if counts else ''}.")

    def _write_table(self, rows: list[tuple[str, ...]]) -> None:
        if not rows:
            return
        widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
        for index, row in enumerate([COLUMNS, *rows]):
            line = "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
            self.stdout.write(self.style.MIGRATE_HEADING(line) if index == 0 else line)


def token_health(credential: KiwoomCredential, *, now: datetime) -> str:
    """ok, expiring (within the sweep window), expired, no token; or the status when not active."""
    if credential.status != CredentialStatus.ACTIVE:
        return credential.status
    expires = credential.token_expires_at
    if expires is None:
        return "no token"
    if expires <= now:
        return "expired"
    if expires - timedelta(seconds=settings.KIWOOM_TOKEN_SWEEP_WINDOW) <= now:
        return "expiring"
    return HEALTHY


def _kst(moment: datetime | None) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _error(credential: KiwoomCredential) -> str:
    if not credential.last_error_code:
        return ""
    return f"{credential.last_error_code}: {explain(credential.last_error_code)}"
