"""The orders page in a real browser: a change's confirmation, the ledger's width, what changes look like."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.models import User
from brokerage.connections.services import credential_connect
from brokerage.orders.api import OrderPagination
from brokerage.orders.models import Order, OrderKind, OrderStatus
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import UserFactory

from .conftest import PHONE, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Whether the ledger's table is wider than its scroll box; with the cells that stick out past its right edge.
LEDGER_WIDTH_SCRIPT = """() => {
    const region = document.querySelector("#orders-table").closest(".table-scroll");
    const right = region.getBoundingClientRect().right;
    const cut = [...region.querySelectorAll("th, td")]
        .filter(cell => cell.getBoundingClientRect().right > right + 0.5)
        .map(cell => cell.textContent.trim() || cell.className);
    return { table: region.scrollWidth, box: region.clientWidth, cut: [...new Set(cut)].slice(0, 8) };
}"""

# The share of pure white pixels in a PNG (given as base64), decoded by the browser itself.
WHITE_SHARE_SCRIPT = """async (png) => {
    const image = new Image();
    image.src = `data:image/png;base64,${png}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, image.width, image.height).data;
    let white = 0;
    for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i] === 255 && pixels[i + 1] === 255 && pixels[i + 2] === 255) white += 1;
    }
    return white / (pixels.length / 4);
}"""


def connected_investor() -> tuple[User, APIClient]:
    """A user connected with the simulator's demo keys, and an API client of theirs to place orders with."""
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    api = APIClient()
    api.force_authenticate(user)
    return user, api


def place(api: APIClient, path: str, **body) -> dict:
    response = api.post(f"/api/v1/kiwoom/{path}", body, format="json")
    assert response.status_code in (201, 422), response.content  # 422: Kiwoom refused it
    return response.json()


def ledger_of_every_kind(kiwoom) -> User:
    """A user whose ledger has a row of each kind the page draws, long names and prices included."""
    user, api = connected_investor()
    kiwoom.control.set_price("005930", 70_000)
    kiwoom.control.set_price("373220", 362_500, liquidity=2)  # two shares trade there, then none
    kiwoom.control.set_price("207940", 1_012_000)
    place(api, "order/buy", stock_code="005930", quantity=1, trade_type="3")
    partial = place(api, "order/buy", stock_code="373220", quantity=5, trade_type="0", price=362_500)
    place(api, f"orders/{partial['id']}/cancel", quantity=1)
    resting = place(api, "order/buy", stock_code="207940", quantity=2, trade_type="0", price=1_000_000)
    place(api, f"orders/{resting['id']}/modify", price=1_001_000, quantity=1)
    place(api, "order/buy", stock_code="005930", quantity=200, trade_type="0", price=70_000)  # over the cash
    return user


def is_ledger_list(response) -> bool:
    """The ledger list's answer (not an order's, nor a change's)."""
    return urlsplit(response.url).path == "/api/v1/kiwoom/orders"


def open_orders_page(page, site, *, language: str, width: int) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": site.url}])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site.url}/orders/")
    expect(page.locator("#orders-body tr")).to_have_count(6)
    expect(page.locator('#orders-body tr[data-status="partially_filled"]')).to_have_count(1)  # synced


def test_a_change_s_confirmation_stays_once_the_ledger_has_reloaded(page, site, kiwoom):
    user, api = connected_investor()
    kiwoom.control.set_price("005930", 70_000)
    placed = place(api, "order/buy", stock_code="005930", quantity=2, trade_type="0", price=69_000)
    log_in(page, site, user)
    page.goto(f"{site.url}/orders/")
    rows = page.locator("#orders-body tr")
    order_row = page.locator(f'#orders-body tr[data-id="{placed["id"]}"]')

    order_row.get_by_role("button", name="정정").click()
    dialog = page.locator("#modify-dialog")
    dialog.get_by_label("새 주문 가격 (원)").fill("69100")
    dialog.get_by_label("새 가격으로 옮길 수량").fill("1")
    with page.expect_response(is_ledger_list):
        dialog.get_by_role("button", name="주문 정정").click()
    expect(rows).to_have_count(2)  # the list has reloaded, with the modification
    expect(page.get_by_role("status")).to_have_text("키움증권이 정정 주문을 접수했습니다.")

    order_row.get_by_role("button", name="취소").click()
    expect(page.get_by_role("status")).to_have_count(0)  # a new change: the last one's news is old
    with page.expect_response(is_ledger_list):
        page.locator("#cancel-dialog").get_by_role("button", name="주문 취소").click()
    expect(rows).to_have_count(3)
    expect(page.get_by_role("status")).to_have_text("키움증권이 취소 주문을 접수했습니다.")
    shoot(page, "30-orders-change-confirmed")


def test_a_cancellation_says_what_it_cancelled_and_its_order_what_became_of_its_shares(page, site, kiwoom):
    log_in(page, site, ledger_of_every_kind(kiwoom))
    open_orders_page(page, site, language="ko", width=1280)
    partial = Order.objects.get(stock_code="373220", kind=OrderKind.NEW)
    cancellation = Order.objects.get(kind=OrderKind.CANCEL)
    modified = Order.objects.get(stock_code="207940", kind=OrderKind.NEW)

    cells = page.locator(f'#orders-body tr[data-id="{cancellation.pk}"]').locator("td")
    # Ordered at, side, type, quantity, price, filled, status, order number, actions (the stock is a th).
    expect(cells.nth(1).locator(".cell-note")).to_have_text("취소")  # what the row is, under its side
    expect(cells.nth(1)).to_have_class("flat")  # buys and sells nothing: not in a buy's red
    expect(cells.nth(2)).to_have_text("–")  # a cancellation has no type of its own
    expect(cells.nth(3)).to_have_text("1")
    expect(cells.nth(4)).to_have_text("–")  # nor a price: it is no market order
    expect(cells.nth(5)).to_have_text("–")  # and fills nothing
    expect(cells.nth(6)).to_have_text("접수")  # as the API and the admin say it
    expect(cells.nth(6).locator(".badge")).to_have_class(re.compile(r"badge--done"))  # but drawn as settled
    assert cancellation.status == OrderStatus.ACCEPTED

    cells = page.locator(f'#orders-body tr[data-id="{partial.pk}"]').locator("td")
    expect(cells.nth(3).locator(".cell-note")).to_have_text("1주 취소")
    expect(cells.nth(5).locator(".cell-note")).to_have_text("평균 362,500원")
    expect(cells.nth(6)).to_have_text("일부 체결")

    cells = page.locator(f'#orders-body tr[data-id="{modified.pk}"]').locator("td")
    expect(cells.nth(3).locator(".cell-note")).to_have_text("1주 정정")
    shoot(page, "32-orders-changes")

    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": site.url}])
    page.reload()
    cells = page.locator(f'#orders-body tr[data-id="{partial.pk}"]').locator("td")
    expect(cells.nth(3).locator(".cell-note")).to_have_text("1 cancelled")
    expect(cells.nth(5).locator(".cell-note")).to_have_text("avg. ₩362,500")
    expect(page.locator(f'#orders-body tr[data-id="{cancellation.pk}"] td').nth(6)).to_have_text("Accepted")
    # Kiwoom's Korean reason for a rejection comes after our English words, not alone.
    rejected = page.locator('#orders-body tr[data-status="rejected"] .status-note')
    expect(rejected).to_have_text(re.compile(r"^Kiwoom said: \S.* \(code \w+\)$"))


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_ledger_fits_a_desktop_page_and_is_cards_on_a_phone(page, site, kiwoom, language):
    log_in(page, site, ledger_of_every_kind(kiwoom))
    for width in (1440, 1280):
        open_orders_page(page, site, language=language, width=width)
        measured = page.evaluate(LEDGER_WIDTH_SCRIPT)
        assert measured["table"] <= measured["box"], f"{language} at {width} px: {measured}"
        assert not measured["cut"], f"{language} at {width} px: {measured}"

    # On a phone each order is a card, its values beside their column's names: status and actions are in
    # view without scrolling sideways (the page itself never scrolls sideways: `shoot` checks that).
    open_orders_page(page, site, language=language, width=PHONE["width"])
    shoot(page, f"31-orders-ledger-{language}")
    page.set_viewport_size(PHONE)
    measured = page.evaluate(LEDGER_WIDTH_SCRIPT)
    assert measured["table"] <= measured["box"], measured
    first = page.locator("#orders-body tr").first
    status = first.locator("td").nth(6)
    expect(status).to_have_attribute("data-label", "Status" if language == "en" else "상태")
    status.scroll_into_view_if_needed()
    box = status.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    modify = page.get_by_role("button", name="Modify" if language == "en" else "정정").first
    modify.scroll_into_view_if_needed()
    expect(modify).to_be_in_viewport()


def test_on_a_phone_a_cell_s_notes_sit_under_its_value_and_labels_keep_the_page_s_font(page, site, kiwoom):
    log_in(page, site, ledger_of_every_kind(kiwoom))
    open_orders_page(page, site, language="ko", width=PHONE["width"])
    partial = Order.objects.get(stock_code="373220", kind=OrderKind.NEW)
    quantity = page.locator(f'#orders-body tr[data-id="{partial.pk}"] td').nth(3)
    value, note = quantity.locator("span").first.bounding_box(), quantity.locator(".cell-note").bounding_box()
    assert note["y"] >= value["y"] + value["height"] - 1, (value, note)  # a line of its own, not a column
    label_font = "(cell) => getComputedStyle(cell, '::before').fontFamily"
    number = page.locator(f'#orders-body tr[data-id="{partial.pk}"] td').nth(7)
    expect(number).to_have_attribute("data-label", "주문번호")
    assert "monospace" not in number.evaluate(label_font)
    assert "monospace" in number.locator(".mono").evaluate("(value) => getComputedStyle(value).fontFamily")


def test_an_empty_ledger_says_there_are_no_orders_yet_and_links_to_the_ticket(page, site, kiwoom):
    user, _ = connected_investor()
    log_in(page, site, user)
    page.goto(f"{site.url}/orders/")
    empty = page.locator("#orders-empty")
    expect(empty.get_by_text("아직 주문이 없습니다.")).to_be_visible()
    expect(empty.get_by_text("조건에 맞는 주문이 없습니다.")).to_be_hidden()
    expect(empty.get_by_role("link", name="첫 주문 넣기")).to_have_attribute("href", "/order/")


def test_filters_and_page_live_in_the_address_and_a_refused_filter_shows_no_list(
    page, site, kiwoom, monkeypatch
):
    monkeypatch.setattr(OrderPagination, "page_size", 2)
    log_in(page, site, ledger_of_every_kind(kiwoom))
    page.goto(f"{site.url}/orders/")
    rows = page.locator("#orders-body tr")
    expect(rows).to_have_count(2)

    page.locator("#orders-next").click()
    expect(page).to_have_url(re.compile(r"/orders/\?page=2$"))
    page.locator("#filter-side").select_option("buy")
    page.locator("#order-filters").get_by_role("button", name="조회").click()
    expect(page).to_have_url(re.compile(r"/orders/\?side=buy$"))
    page.reload()
    expect(page.locator("#filter-side")).to_have_value("buy")  # a reload keeps them
    expect(rows.first).to_have_attribute("data-id", re.compile(r"\d+"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/orders/\?page=2$"))  # Back walks the ledger, not off the page
    expect(page.locator("#filter-side")).to_have_value("")
    expect(page.locator("#orders-range")).to_contain_text("2쪽")

    page.locator("#filter-code").fill("abc")
    page.locator("#order-filters").get_by_role("button", name="조회").click()
    expect(page.locator("#orders-status")).to_contain_text("6자리")
    expect(rows).to_have_count(0)  # the list on screen would not answer this filter
    expect(page.locator("#orders-empty")).to_be_hidden()
