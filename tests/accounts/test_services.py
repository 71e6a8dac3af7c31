"""Accounts services: a username is one person whatever its case, even when two sign-ups race."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts import services
from accounts.errors import UsernameTaken
from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase-42"


def test_a_username_differing_only_in_case_is_taken():
    services.user_create(username="Minji", email="minji@example.com", password=PASSWORD)

    with pytest.raises(UsernameTaken):
        services.user_create(username="minji", email="other@example.com", password=PASSWORD)


def test_the_database_holds_to_it_when_a_sign_up_races_past_the_check(monkeypatch):
    original_full_clean = User.full_clean

    def a_racing_sign_up_lands_meanwhile(user, *args, **kwargs):
        original_full_clean(user, *args, **kwargs)
        User.objects.create(username=user.username.upper(), email="racer@example.com")

    monkeypatch.setattr(User, "full_clean", a_racing_sign_up_lands_meanwhile)

    with pytest.raises(UsernameTaken):
        services.user_create(username="jisoo", email="jisoo@example.com", password=PASSWORD)
    assert not User.objects.filter(username="jisoo").exists()


def test_the_constraint_itself():
    User.objects.create(username="Bob")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="bob")


def test_forms_and_the_admin_are_told_in_words():
    User.objects.create(username="Minji")

    with pytest.raises(ValidationError) as refused, translation.override("en"):
        User(username="MINJI", password="x").full_clean()

    assert refused.value.messages == ["That username is already taken."]
