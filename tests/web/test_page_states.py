"""The pages' other states in a real browser: loading, empty, errors, auto-refresh, rejections, modify."""

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import credential_connect
from brokerage.kiwoom.market import is_on_tick, tick_size
from brokerage.orders.models import Order, OrderKind, OrderStatus
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import UserFactory

from .conftest import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMPTY_KEY = "emptyAppKey0000000000000000000001"
EMPTY_SECRET = "emptySecretKey000000000000000001"


def test_balance_loading_empty_error_and_auto_refresh(page, site, kiwoom):
    kiwoom.control.add_account(EMPTY_KEY, EMPTY_SECRET, cash=3_000_000, holdings=[])
    user = UserFactory()
    credential_connect(user=user, app_key=EMPTY_KEY, app_secret=EMPTY_SECRET)
    log_in(page, site, user)
    page.clock.install()

    # Loading: Kiwoom answers slowly.
    kiwoom.control.inject_fault("latency", api_id="kt00018", latency_ms=1500, count=1)
    page.goto(f"{site.url}/balance/")
    expect(page.locator("#balance-loading")).to_have_text("키움증권에서 잔고를 불러오는 중…")
    expect(page.locator("#balance-root")).to_have_attribute("aria-busy", "true")
    shoot(page, "20-balance-loading")

    # Empty: cash only, no holdings, no charts.
    expect(page.get_by_role("heading", name="보유 종목이 없습니다")).to_be_visible(timeout=15_000)
    expect(page.locator("#summary-cards")).to_contain_text("3,000,000원")
    expect(page.locator("#holdings-section")).to_be_hidden()
    shoot(page, "21-balance-empty")

    # Error: Kiwoom fails; the last figures stay, with a way to try again.
    kiwoom.control.inject_fault("http_5xx", api_id="kt00018", status=500, count=3)
    page.get_by_role("button", name="새로 고침").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("새로 고치지 못했습니다")
    expect(page.locator("#summary-cards")).to_contain_text("3,000,000원")
    shoot(page, "22-balance-error")
    kiwoom.control.clear_faults()
    alert.get_by_role("button", name="다시 시도").click()
    expect(alert).to_be_hidden()

    # Auto-refresh: on, every 10 s, remembered across visits.
    page.get_by_label("새로 고침 간격").select_option("10")
    page.get_by_role("switch", name="자동 새로 고침").check()
    with page.expect_request(lambda request: request.url.endswith("/account/balance")):
        page.clock.run_for(10_500)
    assert page.evaluate("() => JSON.parse(localStorage.getItem('stocklab.balance.refresh'))") == {
        "auto": True,
        "interval": "10",
    }


def test_kiwoom_rejecting_an_order_is_shown_with_its_reason(page, site, kiwoom):
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    log_in(page, site, user)
    kiwoom.control.set_price("005930", 70_000)
    page.goto(f"{site.url}/order/?code=005930")
    page.get_by_label("수량 (주)").fill("200")  # 14,000,000 KRW; the account has 10,000,000 in cash
    page.get_by_role("button", name="주문 확인").click()
    confirm = page.locator("#confirm-dialog")
    confirm.get_by_role("button", name="매수 주문하기").click()
    alert = confirm.get_by_role("alert")
    expect(alert).to_contain_text("주문이 접수되지 않았습니다")
    expect(alert).to_contain_text("키움증권이 주문을 거부했습니다.")
    shoot(page, "23-order-rejected")
    assert Order.objects.get().status == OrderStatus.REJECTED


def test_an_order_whose_answer_was_lost_is_being_checked_and_is_never_sent_twice(page, site, kiwoom):
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    log_in(page, site, user)
    page.goto(f"{site.url}/order/?code=005930")
    page.get_by_label("수량 (주)").fill("1")
    page.get_by_label("주문 유형").select_option("3")
    # Kiwoom takes the order, and its answer is lost on the way back.
    kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)
    page.get_by_role("button", name="주문 확인").click()
    confirm = page.locator("#confirm-dialog")
    with page.expect_response(lambda response: response.url.endswith("/order/buy")) as first:
        confirm.get_by_role("button", name="매수 주문하기").click()
    alert = confirm.get_by_role("alert")
    expect(alert).to_contain_text("주문이 키움증권에 접수되었을 수 있어 확인 중입니다")
    expect(alert).not_to_contain_text("주문이 접수되지 않았습니다")
    shoot(page, "26-order-unresolved")

    # Reviewed and submitted again, the same order carries the same key: the answer is replayed.
    confirm.get_by_role("button", name="수정").click()
    page.get_by_role("button", name="주문 확인").click()
    with page.expect_response(lambda response: response.url.endswith("/order/buy")) as again:
        confirm.get_by_role("button", name="매수 주문하기").click()
    expect(alert).to_contain_text("확인 중입니다")
    assert again.value.request.headers["idempotency-key"] == first.value.request.headers["idempotency-key"]
    assert again.value.headers["idempotent-replayed"] == "true"
    assert kiwoom.control.stats()["calls"]["kt10000"] == 1
    assert Order.objects.get().status == OrderStatus.UNRESOLVED


def open_modify_dialog(page, site, kiwoom):
    """A resting limit buy of 3 at 69,000, and its modify dialog opened from the orders page; (id, dialog)."""
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    kiwoom.control.set_price("005930", 70_000)
    api = APIClient()
    api.force_authenticate(user)
    placed = api.post(
        "/api/v1/kiwoom/order/buy",
        {"stock_code": "005930", "quantity": 3, "trade_type": "0", "price": 69_000},
        format="json",
    )
    assert placed.status_code == 201, placed.content
    log_in(page, site, user)
    page.goto(f"{site.url}/orders/")
    row = page.locator(f'#orders-body tr[data-id="{placed.json()["id"]}"]')
    expect(row).to_contain_text("접수")
    row.get_by_role("button", name="정정").click()
    return placed.json()["id"], page.locator("#modify-dialog")


def test_an_open_order_is_modified_from_the_orders_page(page, site, kiwoom):
    placed_id, dialog = open_modify_dialog(page, site, kiwoom)
    price = dialog.get_by_label("새 주문 가격 (원)")
    expect(price).to_have_value("69000")
    expect(dialog.get_by_label("새 가격으로 옮길 수량")).to_have_value("3")
    price.fill("69050")
    dialog.get_by_role("button", name="주문 정정").click()
    off_grid = "이 가격대에서는 가격이 100원 단위여야 합니다."
    expect(dialog.locator("#modify-price-error")).to_have_text(off_grid)
    price.fill("69100")
    expect(dialog.locator("#modify-price-hint")).to_have_text("이 가격대의 호가 단위: 100원")
    shoot(page, "24-orders-modify")
    dialog.get_by_role("button", name="주문 정정").click()
    expect(page.get_by_role("status")).to_have_text("키움증권이 정정 주문을 접수했습니다.")
    modification = Order.objects.get(kind=OrderKind.MODIFY)
    assert (modification.price, modification.quantity) == (69_100, 3)
    expect(page.locator(f'#orders-body tr[data-id="{modification.pk}"]')).to_contain_text("69,100원")
    page.get_by_label("상태").select_option("modified")
    page.get_by_role("button", name="조회").click()
    expect(page.locator("#orders-body tr")).to_have_count(1)
    expect(page.locator("#orders-body tr")).to_have_attribute("data-id", str(placed_id))


def test_a_modification_whose_answer_was_lost_keeps_its_key(page, site, kiwoom):
    _placed_id, dialog = open_modify_dialog(page, site, kiwoom)
    dialog.get_by_label("새 주문 가격 (원)").fill("69100")
    kiwoom.control.inject_fault("drop_after", api_id="kt10002", count=1)
    with page.expect_response(lambda response: response.url.endswith("/modify")) as first:
        dialog.get_by_role("button", name="주문 정정").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("정정 주문이 키움증권에 접수되었을 수 있어 확인 중입니다")
    shoot(page, "27-orders-modify-unresolved")

    with page.expect_response(lambda response: response.url.endswith("/modify")) as again:
        dialog.get_by_role("button", name="주문 정정").click()

    assert again.value.request.headers["idempotency-key"] == first.value.request.headers["idempotency-key"]
    assert again.value.headers["idempotent-replayed"] == "true"
    assert kiwoom.control.stats()["calls"]["kt10002"] == 1
    assert Order.objects.filter(kind=OrderKind.MODIFY).count() == 1  # (the list's refresh reconciled it)


def test_connecting_while_kiwoom_is_down_says_so_and_saves_nothing(page, site, kiwoom):
    log_in(page, site, UserFactory())
    kiwoom.control.inject_fault("http_5xx", api_id="au10001", status=503, count=5)
    page.goto(site.url)
    page.get_by_role("button", name="증권사 연동하기").click()
    dialog = page.locator("#connect-dialog")
    dialog.get_by_label("앱 키").fill(DEMO_APP_KEY)
    dialog.get_by_label("시크릿 키").fill(DEMO_APP_SECRET)
    dialog.get_by_role("button", name="연동", exact=True).click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("키움증권에 연결할 수 없습니다")
    expect(alert).to_contain_text("아무것도 저장하지 않았으니 잠시 후 다시 시도하세요.")
    shoot(page, "25-connect-kiwoom-down")
    assert not KiwoomCredential.objects.exists()
    expect(page.locator("#connection-badge")).to_have_text("미연동")


def test_the_pages_tick_grid_is_the_servers(page, live_server):
    """The ticket's script reads brokerage.kiwoom.market's grid (PROTOCOL.md 6.2) from the page."""
    log_in(page, live_server, UserFactory())
    page.goto(f"{live_server.url}/order/")
    edges = [2_000, 5_000, 20_000, 50_000, 200_000, 500_000]
    prices = sorted({1, 999_999, 1_012_000} | {p + d for p in edges for d in (-1, 0, 1)})
    in_browser = page.evaluate(
        """async prices => {
            const { market } = await import("/static/js/stocklab.js");
            return prices.map(p => [market.tickSize(p), market.isOnTick(p)]);
        }""",
        prices,
    )
    assert in_browser == [[tick_size(p), is_on_tick(p)] for p in prices]
    source = page.evaluate("() => fetch('/static/js/stocklab.js').then(r => r.text())")
    assert "500000" not in source.replace("_", "")  # no copy of the grid left in the scripts


def test_connecting_other_keys_says_they_replace_the_connected_ones_and_leaves_no_key_behind(
    page, site, kiwoom
):
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    log_in(page, site, user)
    page.goto(site.url)

    page.get_by_role("button", name="다른 키로 연동").click()
    dialog = page.locator("#connect-dialog")
    expect(dialog.get_by_role("heading")).to_have_text("키움증권 키 바꾸기")
    expect(dialog.locator(".notice--warning")).to_contain_text(DEMO_APP_KEY[-4:])
    dialog.get_by_label("앱 키").fill("secondAccountKey000000000000001")
    dialog.get_by_label("시크릿 키").fill(DEMO_APP_SECRET)
    dialog.get_by_role("button", name="연동", exact=True).click()

    expect(dialog.get_by_role("status")).to_be_visible()
    expect(dialog.get_by_label("앱 키")).to_have_value("")
