"""Run a stream process: Kiwoom WebSockets for the credentials it leases, until SIGINT or SIGTERM."""

import asyncio
import logging
import signal

from django.core.management.base import BaseCommand

from brokerage.live.stream import StreamProcess


class Command(BaseCommand):
    help = (
        "Hold one Kiwoom WebSocket per connected credential this process leases (LIVE_MAX_SOCKETS at most), "
        "sharing the credentials with the other stream processes through leases in Redis. Stops cleanly on "
        "SIGINT/SIGTERM, giving its keys up to the others at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--id", default="", help="This process's name in leases and the admin.")
        parser.add_argument("--max-sockets", type=int, default=None, help="Overrides LIVE_MAX_SOCKETS.")

    def handle(self, *args, id: str, max_sockets: int | None, verbosity: int, **options):
        if verbosity > 1:
            logging.getLogger("brokerage.live").setLevel(logging.INFO)
        process = StreamProcess(owner=id or None, max_sockets=max_sockets)
        self.stdout.write(f"Stream process {process.owner} running; Ctrl-C stops it.")
        asyncio.run(self._run(process))
        self.stdout.write(f"Stream process {process.owner} stopped.")

    async def _run(self, process: StreamProcess) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, process.stop)
        await process.run()
