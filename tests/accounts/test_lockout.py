"""Password guessing locks out one username from one IP (django-axes), on the web and through the API."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def low_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def web_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_the_web_login_locks_after_the_limit_even_for_the_right_password(user):
    client = Client()
    guesses = [web_login(client, user.username, f"guess-{n}").status_code for n in range(3)]

    response = web_login(client, user.username, PASSWORD)

    assert guesses == [200, 200, 429]  # the form with its error, then the lockout page at the limit

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "15" in response.content.decode()  # says when to try again (AXES_COOLOFF_MINUTES)


def test_a_right_password_before_the_limit_clears_the_count(user):
    client = Client()
    for n in range(2):
        web_login(client, user.username, f"guess-{n}")
    assert web_login(client, user.username, PASSWORD).status_code == 302
    client.logout()

    for n in range(2):
        web_login(client, user.username, f"guess-{n}")
    assert web_login(client, user.username, PASSWORD).status_code == 302


def test_the_api_token_endpoint_shares_the_lockout(api, user):
    for n in range(3):
        web_login(Client(), user.username, f"guess-{n}")

    response = api.post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 429
    assert response.json()["code"] == "login_locked_out"


def test_another_username_from_the_same_ip_is_not_locked(user):
    other_user = UserFactory()
    client = Client()
    for n in range(3):
        web_login(client, user.username, f"guess-{n}")

    assert web_login(client, other_user.username, PASSWORD).status_code == 302


def test_the_lockout_page_offers_a_way_back(user):
    client = Client()
    for n in range(3):
        response = web_login(client, user.username, f"guess-{n}")

    assert response.status_code == 429
    assert f'href="{reverse("password_reset")}"' in response.content.decode()


def test_resetting_the_password_by_mail_lifts_the_lockout(user, mailoutbox):
    client = Client()
    for n in range(3):
        web_login(client, user.username, f"guess-{n}")

    client.post(reverse("password_reset"), {"email": user.email})
    [link] = re.findall(r"https?://testserver(/accounts/reset/\S+/)", mailoutbox[0].body)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(
        form_url, {"new_password1": "a-fresh-passphrase-99", "new_password2": "a-fresh-passphrase-99"}
    )

    assert web_login(client, user.username, "a-fresh-passphrase-99").status_code == 302
