"""Run the token sweep now, in this process: renew every token the beat sweep would renew, and report."""

import sys
from collections import Counter

from django.core.management.base import BaseCommand
from tqdm import tqdm

from brokerage.connections.errors import KiwoomRateLimited, KiwoomUnavailable
from brokerage.connections.models import RefreshOutcome
from brokerage.connections.services.tokens import token_refresh, token_refresh_due

# Fewer refreshes than this finish before a progress bar would say anything useful.
PROGRESS_BAR_FROM = 20
NOT_DUE = "not_due"
UNREACHABLE = "unreachable"  # left for the next sweep (or a rerun) to try again
RATE_LIMITED = "rate_limited"  # Kiwoom answered 429: likewise


class Command(BaseCommand):
    help = (
        "Renew now, in this process, every token the beat sweep would renew (expiring within "
        "KIWOOM_TOKEN_SWEEP_WINDOW), and count the outcomes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List how many tokens are due without renewing them."
        )

    def handle(self, *args, dry_run: bool, verbosity: int, **options):
        credential_ids = [pk for pk, _expiry in token_refresh_due()]
        if dry_run or not credential_ids:
            self.stdout.write(f"{len(credential_ids)} token(s) due for renewal.")
            return

        outcomes: Counter[str] = Counter()
        progress = tqdm(
            credential_ids,
            desc="Renewing tokens",
            unit="token",
            file=sys.stderr,
            disable=len(credential_ids) < PROGRESS_BAR_FROM or verbosity == 0,
        )
        for credential_id in progress:
            try:
                outcome = token_refresh(credential_id=credential_id).outcome or NOT_DUE
            except KiwoomUnavailable:
                outcome = UNREACHABLE
            except KiwoomRateLimited:
                outcome = RATE_LIMITED
            outcomes[outcome] += 1

        # The outcome codes, as `kiwoom_status` shows them: refreshed, same_token, invalid_keys, ...
        summary = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()))
        clean = set(outcomes) <= {RefreshOutcome.REFRESHED, NOT_DUE}
        style = self.style.SUCCESS if clean else self.style.WARNING
        self.stdout.write(style(f"{len(credential_ids)} token(s) due. {summary}."))
