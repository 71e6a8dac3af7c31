"""Read every listed KOSPI, KOSDAQ and ETF code from Kiwoom (ka10099) into the stock master, now."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from brokerage.market.services import MASTER_MARKETS, master_credential, stock_master_sync
from stocklab.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Sync the stock master from Kiwoom's ka10099 with MARKET_DATA_CREDENTIAL_USER's keys (else any "
        "connected keys), with a progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Use this user's connected keys instead (a username).")
        parser.add_argument("--mode", choices=["mock", "real"], help="Only keys of this mode.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, cron).")

    def handle(self, *args, user: str | None, mode: str | None, no_progress: bool, **options):
        try:
            credential = master_credential(username=user, mode=mode)
            # One step per market asked, and the write; on stderr, so that stdout keeps the summary alone.
            with tqdm(
                total=len(MASTER_MARKETS) + 1,
                desc="ka10099",
                unit="step",
                disable=no_progress,
                file=self.stderr._out,
            ) as bar:

                def progress(step: str, done: int, total: int) -> None:
                    bar.set_postfix_str(step)
                    bar.update(done - bar.n)

                result = stock_master_sync(credential=credential, progress=progress)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.listed} listed codes: {result.created} new, {result.updated} updated, "
                f"{result.delisted} no longer listed (keys of {credential.user}, {credential.mode})."
            )
        )
