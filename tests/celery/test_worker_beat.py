"""A real Celery worker with beat (`celery -A stocklab worker --beat`, as the README runs it) renews tokens.

The worker runs in its own process on the test database, the test Redis (as broker) and the simulator; beat
keeps its schedule in the database (DatabaseScheduler) and sweeps every second.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import credential_connect
from tests.factories import UserFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

CELERY = str(Path(sys.executable).with_name("celery"))
DEADLINE_SECONDS = 30


def connect(name: str) -> KiwoomCredential:
    user = UserFactory()
    app_key = f"beat{name}{user.pk:026d}"
    return credential_connect(user=user, app_key=app_key, app_secret=f"secret-{app_key}")


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker(kiwoom, settings):
    """Start `celery worker --beat` for the test; stop it (the whole process group) afterwards."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "stocklab.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "KIWOOM_MOCK_BASE_URL": kiwoom.base_url,
        "KIWOOM_TOKEN_SWEEP_INTERVAL": "1",
    }
    command = [CELERY, "-A", "stocklab", "worker", "--beat", "--pool", "threads", "--concurrency", "4"]
    command += ["--without-mingle", "--without-gossip", "--loglevel", "INFO"]
    processes: list[subprocess.Popen] = []

    with tempfile.NamedTemporaryFile("w+", prefix="celery-worker-", suffix=".log") as log:

        def start():
            """Start the worker; its combined output goes to the log file returned."""
            processes.append(
                subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
            return log

        yield start
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_beat_sweeps_and_the_worker_renews_each_token_once(kiwoom, worker):
    # Two tokens inside the sweep window (for us; at Kiwoom they live on).
    near = [connect("Near"), connect("Soon")]
    for credential in near:
        KiwoomCredential.objects.filter(pk=credential.pk).update(
            token_expires_at=timezone.now() + timedelta(minutes=5)
        )
    far = connect("Far")
    # One token that Kiwoom will hand back unchanged while it lives (12 s more).
    kiwoom.control.configure(token_ttl=12)
    same = connect("Same")
    kiwoom.control.configure(token_ttl=86400, reissue_mode="same")
    kiwoom.control.reset_stats()

    log = worker()
    seen_same_token = False
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        outcomes = {
            c.pk: c.last_refresh_outcome for c in KiwoomCredential.objects.filter(pk__in=[c.pk for c in near])
        }
        same_now = KiwoomCredential.objects.get(pk=same.pk)
        seen_same_token |= same_now.last_refresh_outcome == "same_token"
        if set(outcomes.values()) == {"refreshed"} and same_now.last_refresh_outcome == "refreshed":
            break
        time.sleep(0.2)
    log.seek(0)
    worker_log = log.read()

    assert set(outcomes.values()) == {"refreshed"}, worker_log
    assert seen_same_token, worker_log
    assert same_now.last_refresh_outcome == "refreshed", worker_log
    # The same token was asked for again only after it had expired, and then renewed.
    assert same_now.token_expires_at > timezone.now() + timedelta(hours=23)
    assert same_now.last_refreshed_at >= same.token_expires_at
    by_key = kiwoom.control.stats()["calls_by_app_key"]
    assert [by_key[c.app_key]["au10001"] for c in near] == [1, 1]
    assert by_key[same.app_key]["au10001"] == 2
    assert far.app_key not in by_key
    assert "kiwoom_token_sweep" in worker_log and "Scheduler: Sending due task" in worker_log
