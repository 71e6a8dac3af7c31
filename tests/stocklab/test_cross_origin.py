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
