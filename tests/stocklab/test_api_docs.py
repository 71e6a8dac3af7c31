"""The API documents itself: an OpenAPI 3 schema, Swagger UI served locally, the browsable API."""

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("/api/v1/auth/signup", "post"),
    ("/api/v1/auth/token", "post"),
    ("/api/v1/auth/token/refresh", "post"),
    ("/api/v1/auth/token/verify", "post"),
    ("/api/v1/auth/logout", "post"),
    ("/api/v1/auth/me", "get"),
    ("/api/v1/kiwoom/credentials", "post"),
    ("/api/v1/kiwoom/credentials", "delete"),
    ("/api/v1/kiwoom/credentials/status", "get"),
    ("/api/v1/kiwoom/account/balance", "get"),
    ("/api/v1/kiwoom/order/buy", "post"),
    ("/api/v1/kiwoom/order/sell", "post"),
]


@pytest.fixture
def schema(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def find_operation(schema, path, method):
    for candidate, operations in schema["paths"].items():
        if candidate == path and method in operations:
            return operations[method]
    raise AssertionError(f"{method.upper()} {path} is not in the schema")


@pytest.mark.parametrize("path, method", ENDPOINTS)
def test_every_endpoint_is_in_the_schema_with_its_errors(schema, path, method):
    operation = find_operation(schema, path, method)

    assert operation["responses"], path
    assert any(code.startswith(("4", "5")) for code in operation["responses"]), f"{path} documents no error"


def test_the_error_body_is_a_documented_component(schema):
    error = schema["components"]["schemas"]["Error"]

    assert {"code", "detail"} <= set(error["properties"])


def test_swagger_ui_loads_nothing_from_a_cdn(api):
    html = api.get("/api/docs/").content.decode()

    assert "swagger-ui" in html
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html


def test_the_browsable_api_renders_for_a_logged_in_user(user):
    client = Client()
    client.force_login(user)

    response = client.get("/api/v1/kiwoom/credentials/status", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"Credential" in response.content


@pytest.mark.parametrize("path", sorted({path for path, _ in ENDPOINTS}))
def test_every_endpoint_renders_in_the_browsable_api(user, path):
    client = Client()
    client.force_login(user)

    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code in {200, 405, 409}, path
    assert b"<html" in response.content.lower()


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/kiwoom/order/buy", "stock_code"),
        ("/api/v1/kiwoom/credentials", "app_secret"),
        ("/api/v1/auth/signup", "password"),
    ],
)
def test_the_browsable_api_offers_a_form_for_writes(user, path, field):
    client = Client()
    client.force_login(user)

    html = client.get(path, HTTP_ACCEPT="text/html").content.decode()

    assert f'name="{field}"' in html


def test_the_schema_generates_without_a_single_warning(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yml"))

    assert "/api/v1/kiwoom/orders" in (tmp_path / "schema.yml").read_text()


def test_the_documented_paths_are_the_ones_the_prototype_calls(schema):
    """Without a trailing slash (which the API also accepts), as the prototype's front end calls them."""
    assert [path for path in schema["paths"] if path.endswith("/")] == []
    assert "/api/v1/kiwoom/orders/{id}/cancel" in schema["paths"]


def test_the_api_root_lists_the_endpoints(user_api):
    response = user_api.get("/api/v1/")

    assert response.status_code == 200
    assert response.json()["orders"].endswith("/api/v1/kiwoom/orders")
    assert response.json()["balance"].endswith("/api/v1/kiwoom/account/balance")


def test_the_favicon_is_where_browsers_look_for_it():
    response = Client().get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
