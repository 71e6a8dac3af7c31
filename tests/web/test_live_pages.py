"""Live updates in a real browser: a fill shows on the balance and orders pages without a reload.

The pages are served by the ASGI application under uvicorn (the WebSocket needs it; pytest-django's live
server speaks WSGI only), in a thread of this process against the test database, with the Kiwoom stream
running inside it (LIVE_STREAM_IN_PROCESS) over the real Redis channel layer, against the simulator.
"""

import asyncio
import socket
import threading
import time
from contextlib import closing
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from brokerage.connections.services import credential_connect
from brokerage.orders.models import Order, OrderStatus
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import UserFactory

from .conftest import CHROMIUM, CHROMIUM_ARGS, _environment, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "005930"
FILL_BUDGET_MS = 1000


@dataclass
class AsgiServer:
    url: str


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    """The harness's Chromium, letting the page reach its own loopback WebSocket: the strict-CSP route serves
    documents from Playwright, which Chromium's Local Network Access checks take for a public origin."""
    from playwright.sync_api import sync_playwright

    with _environment(DJANGO_ALLOW_ASYNC_UNSAFE="true"), sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def asgi_site(transactional_db, kiwoom, settings):
    """stocklab.asgi under uvicorn in a thread, with the stream in it, talking to the simulator."""
    import uvicorn

    settings.KIWOOM_MOCK_WS_URL = kiwoom.ws_url
    settings.KIWOOM_BALANCE_CACHE_SECONDS = 0
    settings.LIVE_STREAM_IN_PROCESS = True
    settings.LIVE_DISCOVERY_INTERVAL = 0.5
    from stocklab.asgi import application

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield AsgiServer(url=f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=15)


def test_a_fill_shows_on_the_balance_and_orders_pages_within_a_second(asgi_site, kiwoom, browser, page):
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    api = APIClient()
    api.force_authenticate(user)
    kiwoom.control.set_price(CODE, 70000)

    log_in(page, asgi_site, user)
    page.goto(f"{asgi_site.url}/orders/")
    balance = page.context.new_page()
    balance.goto(f"{asgi_site.url}/balance/")
    for tab in (page, balance):
        expect(tab.locator("#live-status")).to_have_attribute("data-state", "live", timeout=10_000)
        indicator = tab.locator("#live-status")
        expect(indicator).to_contain_text(indicator.get_attribute("data-live"))  # 실시간 연결됨
    expect(balance.locator("#balance-content")).to_be_visible()
    holding = balance.locator(f'#holdings-body tr[data-code="{CODE}"]')
    held = int(holding.get_attribute("data-quantity")) if holding.count() else 0

    # A limit order below the price rests; the orders page shows it without a reload.
    answer = api.post(
        "/api/v1/kiwoom/order/buy",
        {"stock_code": CODE, "quantity": 3, "trade_type": "0", "price": 69000},
        format="json",
        HTTP_IDEMPOTENCY_KEY="live-pages-1",
    )
    assert answer.status_code == 201, answer.content
    order_id = answer.json()["id"]
    row = page.locator(f'#orders-body tr[data-id="{order_id}"]')
    expect(row).to_have_attribute("data-status", "accepted", timeout=5_000)

    # The simulator moves the price through it: Kiwoom's 00 frame, the stream, the ledger, both pages.
    kiwoom.control.set_price(CODE, 68900)
    moved = time.monotonic()
    expect(row).to_have_attribute("data-status", "filled", timeout=FILL_BUDGET_MS)
    expect(holding).to_have_attribute(
        "data-quantity", str(held + 3), timeout=max(1, FILL_BUDGET_MS - (time.monotonic() - moved) * 1000)
    )
    elapsed_ms = (time.monotonic() - moved) * 1000
    assert elapsed_ms < FILL_BUDGET_MS, f"the fill took {elapsed_ms:.0f} ms to reach both pages"
    order = Order.objects.get(pk=order_id)
    assert order.status == OrderStatus.FILLED

    # A toast on each page, and no reload: the pages are the ones opened before the fill.
    for tab in (page, balance):
        expect(tab.locator(".live-toast")).to_have_count(1)
        expect(tab.locator(".live-toast")).to_contain_text(order.stock_name or CODE)
        assert tab.evaluate("performance.getEntriesByType('navigation').length") == 1
    expect(row).to_contain_text("3 / 3")
