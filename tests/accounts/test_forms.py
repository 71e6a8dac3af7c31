"""The website's account forms: labels in the visitor's language, the same words on every page."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.forms import LoginForm, SignupForm


def test_log_in_and_sign_up_call_the_username_the_same():
    with translation.override("ko"):
        assert (
            str(LoginForm().fields["username"].label)
            == str(SignupForm().fields["username"].label)
            == "아이디"
        )


@pytest.mark.parametrize("page", ["login", "signup"])
def test_the_korean_pages_say_아이디(page):
    html = Client(headers={"accept-language": "ko"}).get(reverse(page)).content.decode()
    assert '<label for="id_username">아이디</label>' in html
    assert "사용자 이름" not in html


@pytest.mark.django_db
def test_a_weak_password_that_is_also_mistyped_is_told_both_at_once():
    form = SignupForm(
        data={"username": "minji", "email": "minji@example.com", "password1": "short", "password2": "short2"}
    )

    assert not form.is_valid()
    assert form.errors["password2"]  # the two differ
    assert form.errors["password1"]  # and the first is too short, said now rather than after a retry
