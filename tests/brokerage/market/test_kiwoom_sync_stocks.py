"""`manage.py kiwoom_sync_stocks`: the stock master from Kiwoom now, with a progress bar."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from brokerage.market.models import Stock

pytestmark = pytest.mark.django_db


def test_the_command_syncs_with_a_progress_bar_and_says_what_changed(connected_api, kiwoom, capsys):
    out = StringIO()

    call_command("kiwoom_sync_stocks", stdout=out)

    assert Stock.objects.filter(is_listed=True).count() >= 2_500
    assert "listed codes" in out.getvalue() and "new" in out.getvalue()
    progress = capsys.readouterr().err
    assert "ka10099" in progress and "4/4" in progress


def test_another_user_s_keys_can_be_named(connected_api, user, kiwoom):
    out = StringIO()

    call_command("kiwoom_sync_stocks", "--user", user.username, "--no-progress", stdout=out)

    assert f"keys of {user}" in out.getvalue()


def test_without_connected_keys_the_command_fails_with_the_reason(kiwoom):
    with pytest.raises(CommandError, match="market_data_not_connected"):
        call_command("kiwoom_sync_stocks", "--no-progress", stdout=StringIO())
