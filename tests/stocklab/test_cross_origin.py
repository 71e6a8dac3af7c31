"""The prototype's front end runs on its own origin: CORS allows exactly the configured origins."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]


def test_a_configured_origin_may_call_the_api(api):
    response = api.options(
        "/api/v1/kiwoom/credentials/status",
        HTTP_ORIGIN="http://localhost:3000",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )

    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "authorization" in response["Access-Control-Allow-Headers"].lower()


def test_another_origin_gets_no_cors_header(api):
    response = api.get("/api/v1/kiwoom/credentials/status", HTTP_ORIGIN="http://evil.example")

    assert "Access-Control-Allow-Origin" not in response


def test_the_front_end_may_send_an_idempotency_key(api):
    response = api.options(
        "/api/v1/kiwoom/order/buy",
        HTTP_ORIGIN="http://localhost:3000",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key",
    )

    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].lower().split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed


def test_the_front_end_may_read_retry_after_and_whether_an_answer_was_replayed(api):
    response = api.get("/api/v1/kiwoom/credentials/status", HTTP_ORIGIN="http://localhost:3000")

    exposed = {name.strip() for name in response["Access-Control-Expose-Headers"].lower().split(",")}
    assert {"retry-after", "idempotent-replayed"} <= exposed
