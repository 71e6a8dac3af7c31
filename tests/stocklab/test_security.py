"""Answers every response carries, and requests refused before any view: the Content-Security-Policy, and
query strings with a NUL byte (PostgreSQL cannot store or compare one)."""

import re

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Data blocks (`json_script`'s type="application/json") are never run, so the policy leaves them be.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def signed_in():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


class TestContentSecurityPolicy:
    @pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/auth/me", "/admin/login/"])
    def test_scripts_come_only_from_the_site_itself(self, path):
        policy = directives(Client().get(path))

        assert policy["script-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]

    def test_no_inline_script_or_eval_anywhere_in_the_policy(self):
        policy = Client().get("/accounts/login/")["Content-Security-Policy"]

        assert "'unsafe-inline'" not in policy
        assert "'unsafe-eval'" not in policy

    def test_a_signed_in_page_and_an_error_carry_it_too(self, signed_in):
        assert "script-src 'self'" in signed_in.get("/").get("Content-Security-Policy", "")
        assert "script-src 'self'" in Client().get("/api/v1/no-such-thing")["Content-Security-Policy"]

    @pytest.mark.parametrize("path", ["/", "/balance/", "/order/", "/orders/", "/accounts/password_reset/"])
    def test_the_sites_pages_have_nothing_inline_the_policy_would_block(self, signed_in, path):
        html = signed_in.get(path).content.decode()

        assert not INLINE_SCRIPT.search(html)
        assert not INLINE_HANDLER.search(html)
        assert not INLINE_STYLE.search(html)

    def test_swagger_ui_loads_its_start_script_from_the_site_not_inline(self, signed_in):
        html = signed_in.get("/api/docs/").content.decode()
        script = signed_in.get("/api/docs/?script=")

        assert not INLINE_SCRIPT.search(html)
        assert '<script src="/api/docs/?script="></script>' in html
        assert script["Content-Type"].startswith("application/javascript")
        assert "SwaggerUIBundle" in script.content.decode()


class TestNulInTheQueryString:
    @pytest.mark.parametrize(
        "path",
        [
            "/admin/brokerage/order/?status__exact=%00",
            "/admin/accounts/user/?q=%00",
            "/admin/accounts/user/?is_staff__exact=1%002",
            "/admin/accounts/user/?%00=1",
        ],
    )
    def test_an_admin_list_answers_400_not_500(self, signed_in, path):
        assert signed_in.get(path).status_code == 400

    def test_an_api_list_answers_400_in_the_apis_vocabulary(self, signed_in):
        response = signed_in.get("/api/v1/kiwoom/orders?status=%00")

        assert response.status_code == 400
        assert response.json()["code"] == "bad_request"

    def test_a_page_answers_400(self, signed_in):
        assert signed_in.get("/orders/?page=%00").status_code == 400

    def test_an_ordinary_query_string_still_works(self, signed_in):
        assert signed_in.get("/admin/accounts/user/?q=investor").status_code == 200


class TestRequestId:
    def test_a_new_id_is_made_and_sent_back(self):
        first, second = Client().get("/accounts/login/"), Client().get("/accounts/login/")

        assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
        assert first["X-Request-ID"] != second["X-Request-ID"]

    def test_a_sane_id_from_the_caller_is_kept_and_a_strange_one_replaced(self):
        kept = Client().get("/accounts/login/", headers={"X-Request-ID": "lb-7f3a.2"})
        replaced = Client().get("/accounts/login/", headers={"X-Request-ID": "bad id\n<script>" + "x" * 80})

        assert kept["X-Request-ID"] == "lb-7f3a.2"
        assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"])

    def test_the_id_is_on_every_log_record_of_the_request(self, caplog):
        import logging

        from stocklab.middleware import RequestIdLogFilter

        handler = logging.getLogger().handlers[0] if logging.getLogger().handlers else None
        caplog.handler.addFilter(RequestIdLogFilter())
        with caplog.at_level(logging.WARNING, logger="django.request"):
            response = Client().get("/api/v1/no-such-thing", headers={"X-Request-ID": "trace-42"})

        assert response.status_code == 404
        assert [r.request_id for r in caplog.records if r.name == "django.request"] == ["trace-42"]
        assert handler is None or any(isinstance(f, RequestIdLogFilter) for f in handler.filters)
