"""`demo_setup`: the README's run command leaves a demo user with Kiwoom connected, and can run twice."""

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from brokerage.connections.models import KiwoomCredential
from brokerage.management.commands.demo_setup import DEMO_PASSWORD, DEMO_USERNAME

pytestmark = pytest.mark.django_db


def test_creates_the_demo_user_with_the_simulators_keys_connected_and_is_idempotent(kiwoom):
    call_command("demo_setup", stdout=io.StringIO())
    call_command("demo_setup", stdout=io.StringIO())

    demo = User.objects.get(username=DEMO_USERNAME)
    assert demo.check_password(DEMO_PASSWORD)
    assert KiwoomCredential.objects.get(user=demo).status == "active"
    assert User.objects.get(username="admin").is_superuser
