"""The sign-up, log-in and log-out pages (session authentication, CSRF, form errors)."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """A browser-like client in English (the site is Korean by default; see tests/web/test_pages.py)."""
    return Client(headers={"accept-language": "en"}, enforce_csrf_checks=True)


def csrf_post(client, url, data):
    """POST like a browser: first GET the page for its CSRF cookie, then send the token back."""
    client.get(url)
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def signup_data(**overrides):
    return {
        "username": "minji",
        "email": "minji@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


class TestSignup:
    url = reverse("signup")

    def test_the_form_labels_every_field(self, client):
        html = client.get(self.url).content.decode()
        for field, label in [("username", "Username"), ("email", "Email"), ("password1", "Password")]:
            assert f'<label for="id_{field}">{label}</label>' in html
        assert "csrfmiddlewaretoken" in html

    def test_signing_up_creates_the_account_and_logs_in(self, client):
        response = csrf_post(client, self.url, signup_data())
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        user = User.objects.get(username="minji")
        assert user.email == "minji@example.com"
        assert user.check_password(PASSWORD)
        assert client.session[SESSION_KEY] == str(user.pk)
        assert "Welcome to StockLab, minji." in client.get(reverse("home")).content.decode()

    def test_mismatched_passwords_are_shown_on_the_second_field(self, client):
        response = csrf_post(client, self.url, signup_data(password2=PASSWORD + "x"))
        assert response.status_code == 200
        assert response.context["form"].errors == {"password2": ["The two passwords do not match."]}
        html = response.content.decode()
        assert 'id="id_password2_error"' in html
        assert 'aria-invalid="true"' in html
        assert re.search(r'<input[^>]*name="password2"[^>]*autofocus', html)  # the cursor goes to the error
        assert not re.search(r'<input[^>]*name="username"[^>]*autofocus', html)
        assert not User.objects.exists()

    def test_a_taken_username_is_refused_whatever_its_case(self, client):
        UserFactory(username="Minji")
        response = csrf_post(client, self.url, signup_data())
        assert response.context["form"].errors == {"username": ["That username is already taken."]}
        assert User.objects.count() == 1

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("short1!", "This password is too short. It must contain at least 8 characters."),
            ("1234567890123", "This password is entirely numeric."),
            ("password123", "This password is too common."),
            ("correct horse " * 80_000, "This password is too long. It must contain at most 128 characters."),
        ],
    )
    def test_django_password_validators_apply(self, client, password, message):
        response = csrf_post(client, self.url, signup_data(password1=password, password2=password))
        assert message in response.context["form"].errors["password1"]
        assert not User.objects.exists()

    def test_an_invalid_email_is_refused(self, client):
        response = csrf_post(client, self.url, signup_data(email="not-an-email"))
        assert response.context["form"].errors == {"email": ["Enter a valid email address."]}

    def test_a_post_without_the_csrf_token_is_refused(self, client):
        response = client.post(self.url, signup_data())
        assert response.status_code == 403
        assert not User.objects.exists()

    def test_a_logged_in_user_goes_home(self, client):
        client.force_login(UserFactory())
        assert client.get(self.url)["Location"] == reverse("home")


class TestLogin:
    url = reverse("login")

    def test_a_wrong_password_says_so_and_keeps_the_visitor_out(self, client):
        user = UserFactory()
        response = csrf_post(client, self.url, {"username": user.username, "password": "wrong"})
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [
            "That username and password do not match an account. Both are case-sensitive."
        ]
        assert SESSION_KEY not in client.session

    def test_logging_in_goes_to_the_page_asked_for(self, client):
        user = UserFactory()
        client.get(reverse("balance"))
        response = csrf_post(
            client,
            f"{self.url}?next=/balance/",
            {"username": user.username, "password": PASSWORD, "next": "/balance/"},
        )
        assert response["Location"] == "/balance/"
        assert client.session[SESSION_KEY] == str(user.pk)

    def test_logging_in_goes_home_by_default(self, client):
        user = UserFactory()
        response = csrf_post(client, self.url, {"username": user.username, "password": PASSWORD})
        assert response["Location"] == reverse("home")

    def test_the_page_offers_a_way_to_recover_a_forgotten_password(self, client):
        html = client.get(self.url).content.decode()

        assert f'href="{reverse("password_reset")}"' in html
        assert "Forgot your password?" in html

    def test_an_outside_next_url_is_ignored(self, client):
        user = UserFactory()
        response = csrf_post(
            client,
            self.url,
            {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"},
        )
        assert response["Location"] == reverse("home")


class TestLogout:
    def test_logging_out_takes_a_post_and_ends_the_session(self, client):
        client.force_login(UserFactory())
        home = client.get(reverse("home"))
        token = home.context["csrf_token"]
        response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})
        assert response["Location"] == reverse("login")
        assert SESSION_KEY not in client.session
        assert "You have logged out." in client.get(reverse("login")).content.decode()

    def test_a_get_does_not_log_out(self, client):
        client.force_login(UserFactory())
        assert client.get(reverse("logout")).status_code == 405
        assert SESSION_KEY in client.session


def reset_link(message) -> str:
    [link] = re.findall(r"https?://testserver(/accounts/reset/\S+/)", message.body)
    return link


class TestPasswordReset:
    url = reverse("password_reset")

    def test_a_reset_link_is_mailed_and_sets_a_new_password(self, client, mailoutbox):
        user = UserFactory(email="minji@example.com")

        asked = csrf_post(client, self.url, {"email": "MINJI@example.com"})
        [message] = mailoutbox
        form = client.get(reset_link(message), follow=True)
        new_password = "a-different-passphrase-for-minji-7"
        done = client.post(
            form.redirect_chain[-1][0],
            {
                "new_password1": new_password,
                "new_password2": new_password,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )

        assert asked["Location"] == reverse("password_reset_done")
        assert message.to == ["minji@example.com"]
        assert user.username in message.body
        assert form.status_code == 200
        assert done["Location"] == reverse("password_reset_complete")
        user.refresh_from_db()
        assert user.check_password(new_password)
        complete = client.get(reverse("password_reset_complete")).content.decode()
        assert f'href="{reverse("login")}"' in complete

    def test_an_unknown_address_gets_the_same_answer_and_no_mail(self, client, mailoutbox):
        response = csrf_post(client, self.url, {"email": "nobody@example.com"})

        assert response["Location"] == reverse("password_reset_done")
        assert mailoutbox == []

    def test_the_new_password_meets_the_same_rules_as_at_sign_up(self, client, mailoutbox):
        UserFactory(email="minji@example.com")
        csrf_post(client, self.url, {"email": "minji@example.com"})
        form_url = client.get(reset_link(mailoutbox[0]), follow=True).redirect_chain[-1][0]
        token = client.cookies["csrftoken"].value

        response = client.post(
            form_url,
            {
                "new_password1": "x" * 129 + "7",
                "new_password2": "x" * 129 + "7",
                "csrfmiddlewaretoken": token,
            },
        )

        assert response.status_code == 200
        assert (
            "This password is too long. It must contain at most 128 characters."
            in response.context["form"].errors["new_password2"]
        )

    def test_a_used_or_forged_link_says_so(self, client):
        response = client.get(reverse("password_reset_confirm", args=["MQ", "set-password"]), follow=True)

        assert response.status_code == 200
        assert "This password reset link is no longer valid." in response.content.decode()
        assert f'href="{self.url}"' in response.content.decode()

    def test_the_pages_are_in_korean_by_default(self):
        html = Client().get(self.url).content.decode()

        assert "비밀번호 재설정" in html
