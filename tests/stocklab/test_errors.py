"""The API's error vocabulary: what an ApplicationError keeps when it is cached and raised again, and how
refused input comes back in the browsable API."""

import json
import pickle
import re

import pytest
from django.test import Client

from brokerage.connections.errors import KiwoomRateLimited, KiwoomUnavailable, translate
from brokerage.kiwoom import errors as kiwoom_errors
from stocklab.api.errors import status_of
from stocklab.errors import InvalidInput


def test_a_pickled_error_answers_as_the_original():
    error = translate(kiwoom_errors.KiwoomRateLimited("too many requests", code="1700", http_status=429))

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is KiwoomRateLimited
    assert (copy.code, status_of(copy)) == ("kiwoom_rate_limited", 429)
    assert (copy.detail, copy.extra, copy.retry_after) == (error.detail, error.extra, error.retry_after)
    assert copy.retry_after == 1
    assert copy.kiwoom_error is None  # Kiwoom's own exception stays behind; `extra` says what it was


def test_a_pickled_error_keeps_field_errors():
    error = InvalidInput("Bad price.", extra={"errors": {"price": ["Bad price."]}})

    copy = pickle.loads(pickle.dumps(error))

    assert copy.extra == {"errors": {"price": ["Bad price."]}}
    assert str(copy) == "Bad price."


def test_an_error_without_a_kiwoom_cause_pickles_too():
    copy = pickle.loads(pickle.dumps(KiwoomUnavailable()))

    assert copy.code == "kiwoom_unavailable"
    assert copy.detail == str(KiwoomUnavailable.default_detail)


class TestBrowsableApi:
    @pytest.fixture
    def browser(self, user):
        client = Client()
        client.force_login(user)
        return client

    def test_a_refused_form_comes_back_filled_in(self, browser):
        response = browser.post(
            "/api/v1/kiwoom/order/buy",
            {"stock_code": "035420", "quantity": "7", "trade_type": "0"},  # a limit order without its price
            HTTP_ACCEPT="text/html",
        )

        assert response.status_code == 400
        html = response.content.decode()
        assert 'value="035420"' in html
        assert 'value="7"' in html

    def test_the_order_form_starts_on_a_market_order_as_the_api_does(self, browser):
        html = browser.get("/api/v1/kiwoom/order/buy", HTTP_ACCEPT="text/html").content.decode()

        assert re.search(r'<option value="3"\s+selected', html)


@pytest.mark.django_db
class TestErrorsBeforeAnyApiView:
    """Unknown API paths and unreadable requests answer in the vocabulary; the website keeps its pages."""

    def test_an_unknown_api_path_is_a_json_404(self):
        response = Client().post("/api/v1/kiwoom/order/buyy", {}, content_type="application/json")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_a_body_over_djangos_limit_is_a_json_400(self, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

        response = Client().post(
            "/api/v1/auth/token", {"username": "x" * 2000, "password": "y"}, content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json()["code"] == "bad_request"

    def test_an_unknown_page_is_still_an_html_404(self):
        response = Client().get("/no-such-page/")

        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")

    def test_a_crash_under_the_api_is_a_json_500(self, rf):
        from stocklab.api.errors import server_error

        response = server_error(rf.get("/api/v1/kiwoom/account/balance"))

        assert response.status_code == 500
        assert json.loads(response.content)["code"] == "server_error"
