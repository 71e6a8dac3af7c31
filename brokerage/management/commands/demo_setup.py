"""Create the demo user (with the simulator's demo keys connected) and a demo operator; idempotent."""

import socket
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_create
from brokerage.connections.errors import KiwoomUnavailable
from brokerage.connections.services import credential_connect

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "kiwoom-demo-2026"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "stocklab-admin"
# The simulator's built-in demo account (kiwoom_sim/README.md).
DEMO_APP_KEY = "demoAppKey00000000000000000000001"
DEMO_APP_SECRET = "demoSecretKey0000000000000000001"


class Command(BaseCommand):
    help = "Create the demo user with the simulator's demo Kiwoom keys connected, and a demo operator."

    def add_arguments(self, parser):
        parser.add_argument("--wait-for-simulator", type=float, default=0, metavar="SECONDS")

    def handle(self, *args, wait_for_simulator: float, **options):
        self._wait_for(settings.KIWOOM_MOCK_BASE_URL, wait_for_simulator)
        user = User.objects.filter(username=DEMO_USERNAME).first() or user_create(
            username=DEMO_USERNAME, email="demo@example.com", password=DEMO_PASSWORD
        )
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
        try:
            credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
        except KiwoomUnavailable as exc:
            url = settings.KIWOOM_MOCK_BASE_URL
            raise CommandError(f"The Kiwoom simulator at {url} is unreachable.") from exc
        self.stdout.write(self.style.SUCCESS(f"Demo user '{DEMO_USERNAME}' is ready with Kiwoom connected."))

    def _wait_for(self, base_url: str, seconds: float) -> None:
        """Wait until the simulator accepts connections (it is started just before this command)."""
        url = urlsplit(base_url)
        address = (url.hostname, url.port or (443 if url.scheme == "https" else 80))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                socket.create_connection(address, timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
