"""An investor's whole visit, in a real browser against the live site and the Kiwoom simulator."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from brokerage.connections.models import KiwoomCredential
from brokerage.orders.models import Order, OrderStatus
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import PASSWORD

from .conftest import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD_SECRET = "wrongSecretKey000000000000000001"


def canvas_is_drawn(page, selector: str) -> bool:
    """True when the canvas has a size and some non-transparent pixels."""
    return page.eval_on_selector(
        selector,
        """canvas => {
            if (!canvas.width || !canvas.height) return false;
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
            return false;
        }""",
    )


def nav(page, name: str):
    """A link of the site's main menu."""
    return page.locator(".site-nav").get_by_role("link", name=name, exact=True)


def holding_row(page, code: str):
    return page.locator(f'#holdings-body tr[data-code="{code}"]')


def test_investor_journey(page, site, kiwoom):
    stats_before = kiwoom.control.stats()["calls"]

    # --- Sign up, with a mistake first ----------------------------------------------------------------------
    page.goto(site.url)
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", level=1)).to_have_text("키움증권 계좌를 한눈에")
    shoot(page, "01-landing")
    page.get_by_role("link", name="회원가입").first.click()
    page.get_by_label("아이디").fill("minji")
    page.get_by_label("이메일").fill("minji@example.com")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD + "x")
    page.get_by_role("button", name="회원가입").click()
    expect(page.locator("#id_password2_error")).to_have_text("두 비밀번호가 일치하지 않습니다.")
    expect(page.get_by_label("비밀번호 확인")).to_have_attribute("aria-invalid", "true")
    shoot(page, "02-signup-errors")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="회원가입").click()
    expect(page.get_by_text("minji님, StockLab에 오신 것을 환영합니다.")).to_be_visible()
    assert User.objects.filter(username="minji").exists()
    badge = page.locator("#connection-badge")
    expect(badge).to_have_text("미연동")

    # --- Connect: Kiwoom refuses a wrong secret, then accepts the demo keys (by keyboard) -------------------
    page.get_by_role("button", name="증권사 연동하기").click()
    dialog = page.locator("#connect-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("앱 키").fill(DEMO_APP_KEY)
    dialog.get_by_label("시크릿 키").fill(BAD_SECRET)
    dialog.get_by_role("button", name="연동", exact=True).click()
    refusal = dialog.get_by_role("alert")
    expect(refusal).to_contain_text("키움증권이 키를 거부했습니다")
    expect(refusal).to_contain_text("App Key와 Secret Key 검증에 실패했습니다")
    shoot(page, "03-connect-refused")
    assert not KiwoomCredential.objects.exists()
    dialog.get_by_role("button", name="취소").click()
    expect(dialog).to_be_hidden()
    shoot(page, "04-home-not-connected")

    page.get_by_role("button", name="증권사 연동하기").focus()
    page.keyboard.press("Enter")
    expect(dialog.get_by_label("앱 키")).to_be_focused()
    page.keyboard.type(DEMO_APP_KEY)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_APP_SECRET)
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("status")).to_contain_text("연동되었습니다")
    expect(badge).to_have_text("연동됨 · 모의")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#connection-facts")).to_contain_text("••••••••0001")
    shoot(page, "05-home-connected")
    assert KiwoomCredential.objects.get().user.username == "minji"

    # --- The balance: the simulator's holdings, both charts, sorting ----------------------------------------
    nav(page, "나의 잔고").click()
    expect(holding_row(page, "005930")).to_contain_text("삼성전자")
    expect(page.locator("#holdings-body tr")).to_have_count(3)
    expect(holding_row(page, "005930").locator("td").nth(1)).to_have_text("10")
    expect(page.locator("#summary-cards")).to_contain_text("추정예탁자산")
    expect(page.locator("#summary-cards")).to_contain_text("주문가능금액")
    expect(page.locator("#summary-cards .summary-card__value").first).to_have_text(re.compile(r"^[\d,]+원$"))
    expect(page.locator("#fetched-at")).to_contain_text("조회 시각")
    assert canvas_is_drawn(page, "#allocation-chart")
    assert canvas_is_drawn(page, "#pnl-chart")
    profit_cells = page.locator("#holdings-body td.gain, #holdings-body td.loss")
    assert profit_cells.count() >= 2  # every holding's P&L is coloured (the simulator's prices moved)
    by_weight = page.locator("#holdings-body th").all_inner_texts()
    page.get_by_role("button", name="종목명").click()
    expect(page.locator("th[aria-sort='ascending']")).to_have_text("종목명")
    by_name = page.locator("#holdings-body th").all_inner_texts()
    assert sorted(by_name) == sorted(by_weight)
    page.get_by_role("button", name="종목명").click()
    expect(page.locator("th[aria-sort='descending']")).to_have_text("종목명")
    assert page.locator("#holdings-body th").all_inner_texts() == by_name[::-1]
    shoot(page, "06-balance")

    # --- Buy at market; a double click orders once ----------------------------------------------------------
    holding_row(page, "005930").get_by_role("link", name="삼성전자 매수").click()
    expect(page.locator("#stock-name")).to_have_text("삼성전자")
    expect(page.get_by_label("매수", exact=True)).to_be_checked()
    page.get_by_label("수량 (주)").fill("2")
    expect(page.get_by_label("주문 유형")).to_have_value("3")
    expect(page.locator("#price-field")).to_be_hidden()
    page.get_by_role("button", name="주문 확인").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm.locator("#confirm-headline")).to_have_text("삼성전자(005930) 2주 매수")
    expect(confirm).to_contain_text("시장가")
    shoot(page, "07-order-confirm")
    with page.expect_request(lambda request: request.url.endswith("/order/buy")) as sent:
        confirm.get_by_role("button", name="매수 주문하기").dblclick()
    key = sent.value.headers["idempotency-key"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    result = page.locator("#ticket-result")
    expect(result).to_contain_text("키움증권이 삼성전자 매수 주문을 접수했습니다.")
    shoot(page, "08-order-result")
    assert Order.objects.get(side="buy", stock_code="005930").idempotency_key == key
    calls = kiwoom.control.stats()["calls"]
    assert calls.get("kt10000", 0) - stats_before.get("kt10000", 0) == 1

    nav(page, "나의 잔고").click()
    expect(holding_row(page, "005930").locator("td").nth(1)).to_have_text("12")

    # --- A limit order below the market rests; the ticket puts its price on the grid; then cancel it --------
    kiwoom.control.set_price("005930", 70_000)
    nav(page, "주문").click()
    page.get_by_label("종목 코드").fill("005930")
    expect(page.locator("#stock-name")).to_have_text("삼성전자")
    page.get_by_label("수량 (주)").fill("1")
    page.get_by_label("주문 유형").select_option("0")
    price = page.get_by_label("주문 가격 (원)")
    price.fill("68950")
    expect(page.locator("#price-hint")).to_have_text("이 가격대의 호가 단위: 100원")
    page.locator("#price-grid").get_by_role("button", name="68,900원").click()
    expect(price).to_have_value("68900")
    expect(page.locator("#estimate")).to_have_text("주문 금액: 68,900원")
    shoot(page, "09-order-limit")
    page.get_by_role("button", name="주문 확인").click()
    expect(confirm).to_contain_text("68,900원")
    confirm.get_by_role("button", name="매수 주문하기").click()
    expect(result).to_contain_text("접수")
    limit_order = Order.objects.get(price=68_900)

    result.get_by_role("link", name="주문 내역 보기").click()
    row = page.locator(f'#orders-body tr[data-id="{limit_order.pk}"]')
    expect(row).to_contain_text("접수")
    expect(page.locator("#orders-body tr[data-status='filled']")).to_have_count(1)
    expect(page.locator("#fills-body tr")).to_have_count(1)
    shoot(page, "10-orders")
    row.get_by_role("button", name="취소").click()
    cancel = page.locator("#cancel-dialog")
    expect(cancel.get_by_label("취소할 수량")).to_have_value("1")
    shoot(page, "11-orders-cancel")
    cancel.get_by_role("button", name="주문 취소").click()
    expect(page.get_by_role("status")).to_have_text("키움증권이 취소 주문을 접수했습니다.")
    expect(row).to_contain_text("취소")
    limit_order.refresh_from_db()
    assert limit_order.status == OrderStatus.CANCELLED

    # --- English, by the switch -----------------------------------------------------------------------------
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders and fills")
    expect(page.locator(f'#orders-body tr[data-id="{limit_order.pk}"]')).to_contain_text("Cancelled")
    shoot(page, "12-orders-en")
    nav(page, "My balance").click()
    expect(page.locator("#summary-cards")).to_contain_text("Estimated deposit assets")
    expect(holding_row(page, "005930").locator("td").nth(2)).to_have_text(re.compile(r"^₩[\d,]+$"))
    shoot(page, "13-balance-en")

    # --- Disconnect, with confirmation ----------------------------------------------------------------------
    nav(page, "Home").click()
    page.get_by_role("button", name="Disconnect").click()
    confirm_disconnect = page.locator("#disconnect-dialog")
    expect(confirm_disconnect).to_contain_text("Disconnect Kiwoom?")
    shoot(page, "14-disconnect-confirm-en")
    confirm_disconnect.get_by_role("button", name="Disconnect").click()
    expect(page.locator("#connection-badge")).to_have_text("Not connected")
    expect(page.get_by_role("status").filter(has_text="Disconnected")).to_be_visible()
    assert not KiwoomCredential.objects.exists()
    assert kiwoom.control.stats()["calls"].get("au10002", 0) - stats_before.get("au10002", 0) >= 1

    nav(page, "My balance").click()
    expect(page.get_by_role("heading", name="Kiwoom is not connected")).to_be_visible()
    expect(page.get_by_role("link", name="Connect your brokerage")).to_have_attribute("href", "/")
    shoot(page, "15-balance-not-connected-en")
