"""Operator commands: `kiwoom_refresh_tokens` (the sweep, now, in-process) and `kiwoom_status` (a table)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from brokerage.connections.errors import explain
from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import credential_connect
from tests.factories import KiwoomCredentialFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def connect() -> KiwoomCredential:
    user = UserFactory()
    app_key = f"commandTest{user.pk:022d}"
    return credential_connect(user=user, app_key=app_key, app_secret=f"secret-{app_key}")


class TestRefreshTokens:
    def test_renews_every_due_token_and_counts_the_outcomes(self, kiwoom):
        due = [connect() for _ in range(2)]
        for credential in due:
            KiwoomCredential.objects.filter(pk=credential.pk).update(
                token_expires_at=timezone.now() + timedelta(minutes=3)
            )
        later = connect()
        kiwoom.control.reset_stats()

        output = run("kiwoom_refresh_tokens")

        assert "2 token(s) due" in output
        assert "refreshed 2" in output
        assert kiwoom.control.stats()["calls"]["au10001"] == 2
        for credential in due:
            credential.refresh_from_db()
            assert credential.token_expires_at > timezone.now() + timedelta(hours=23)
        assert KiwoomCredential.objects.get(pk=later.pk).token_expires_at == later.token_expires_at

    def test_a_dry_run_renews_nothing(self, kiwoom):
        credential = connect()
        KiwoomCredential.objects.filter(pk=credential.pk).update(token_expires_at=timezone.now())
        kiwoom.control.reset_stats()

        output = run("kiwoom_refresh_tokens", "--dry-run")

        assert "1 token(s) due" in output
        assert kiwoom.control.stats()["calls"].get("au10001", 0) == 0

    def test_refused_keys_and_an_unreachable_kiwoom_are_counted_not_fatal(self, kiwoom):
        soon = timezone.now() + timedelta(minutes=3)
        refused, fine = connect(), connect()
        KiwoomCredential.objects.filter(pk=refused.pk).update(app_secret="wrong", token_expires_at=soon)
        KiwoomCredential.objects.filter(pk=fine.pk).update(token_expires_at=soon + timedelta(seconds=1))

        output = run("kiwoom_refresh_tokens")

        assert "invalid_keys 1" in output
        assert "refreshed 1" in output

    def test_a_429_on_one_token_is_counted_and_the_others_are_renewed(self, kiwoom):
        soon = timezone.now() + timedelta(minutes=3)
        first, second = connect(), connect()
        KiwoomCredential.objects.filter(pk=first.pk).update(token_expires_at=soon)
        KiwoomCredential.objects.filter(pk=second.pk).update(token_expires_at=soon + timedelta(seconds=1))
        kiwoom.control.inject_fault("rate_limit", api_id="au10001", count=1)

        output = run("kiwoom_refresh_tokens")

        assert "rate_limited 1" in output
        assert "refreshed 1" in output

    def test_many_tokens_show_a_progress_bar(self, kiwoom, capsys):
        # The simulator provisions an account for any key pair it does not know.
        KiwoomCredentialFactory.create_batch(25, token_expires_at=timezone.now() + timedelta(minutes=3))

        output = run("kiwoom_refresh_tokens")

        assert "refreshed 25" in output
        progress = capsys.readouterr().err
        assert "Renewing tokens" in progress and "25/25" in progress

    def test_nothing_due_says_so(self, db):
        KiwoomCredentialFactory()

        assert "0 token(s) due" in run("kiwoom_refresh_tokens")


class TestStatus:
    def test_a_row_per_credential_with_its_token_health(self, settings):
        settings.KIWOOM_TOKEN_SWEEP_WINDOW = 600
        now = timezone.now()
        healthy = KiwoomCredentialFactory(token_expires_at=now + timedelta(hours=20))
        expiring = KiwoomCredentialFactory(token_expires_at=now + timedelta(minutes=5))
        expired = KiwoomCredentialFactory(token_expires_at=now - timedelta(minutes=5))
        blocked = KiwoomCredentialFactory(status="blocked", last_error_code="8050")

        lines = run("kiwoom_status").splitlines()

        def row(credential):
            return next(
                line for line in lines if line.split()[:2] == [str(credential.pk), credential.user.username]
            )

        assert "HEALTH" in lines[0] and "NEXT REFRESH" in lines[0]
        assert " ok " in row(healthy)
        assert " expiring " in row(expiring)
        assert " expired " in row(expired)
        assert " blocked " in row(blocked)
        assert f"8050: {explain('8050')}" in row(blocked)
        assert lines[-1].startswith("4 credential(s)")

    def test_never_shows_a_secret(self):
        credential = KiwoomCredentialFactory()

        output = run("kiwoom_status")

        assert f"…{credential.app_key[-4:]}" in output
        for secret in (credential.app_key, credential.app_secret, credential.access_token):
            assert secret not in output

    def test_problems_only(self):
        KiwoomCredentialFactory()
        invalid = KiwoomCredentialFactory(status="invalid")

        lines = run("kiwoom_status", "--problems").splitlines()

        assert [line.split()[0] for line in lines[1:-1]] == [str(invalid.pk)]
        assert "ok 1" in lines[-1] and "invalid 1" in lines[-1]

    def test_one_users_credentials(self):
        mine = KiwoomCredentialFactory()
        KiwoomCredentialFactory()

        lines = run("kiwoom_status", "--user", mine.user.username).splitlines()

        assert [line.split()[0] for line in lines[1:-1]] == [str(mine.pk)]
