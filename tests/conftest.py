"""Fixtures shared by every test: users, API clients, and the Kiwoom simulator over real HTTP."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory

DEMO_APP_KEY = "demoAppKey00000000000000000000001"
DEMO_APP_SECRET = "demoSecretKey0000000000000000001"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (cached balances, rate-limit buckets) on the test Redis, and with
    no quote kept in this process."""
    from django.core.cache import cache

    from brokerage.market.services import stock_info_forget

    cache.clear()
    stock_info_forget()
    yield
    cache.clear()
    stock_info_forget()


@pytest.fixture(scope="session")
def simulator():
    """One simulator for the session; a high rate limit so that only the tests about limits meet it."""
    from kiwoom_sim.testing import running_simulator

    with running_simulator(rate_limit=1000, seed=1, auto_provision=True) as sim:
        yield sim


@pytest.fixture
def kiwoom(simulator, settings):
    """The simulator, reset, with the site pointed at it."""
    simulator.control.reset()
    simulator.control.configure(rate_limit=1000)
    settings.KIWOOM_MOCK_BASE_URL = simulator.base_url
    settings.KIWOOM_RATE_LIMIT_MOCK = 1000  # the simulator's limit: only the tests about limits meet ours
    return simulator


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api():
    return APIClient()


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def user_api(user):
    """An API client authenticated as `user` with a real JWT."""
    return bearer_client(user)


@pytest.fixture
def connected_api(user_api, kiwoom):
    """`user_api` whose user has connected the simulator's demo keys."""
    response = user_api.post(
        "/api/v1/kiwoom/credentials", {"app_key": DEMO_APP_KEY, "app_secret": DEMO_APP_SECRET}, format="json"
    )
    assert response.status_code == 201, response.content
    return user_api
