"""The order ticket in a real browser: what it offers, what it refuses before the confirmation step, what the
confirmation and the result say, and a session that ends on submit."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from brokerage.connections.services import credential_connect
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import PASSWORD, UserFactory

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ticket(page, site, kiwoom):
    """Opens the ticket for a side, once the account's holdings have loaded."""
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    log_in(page, site, user)

    def open_ticket(side):
        with page.expect_response(lambda response: response.url.endswith("/account/balance")):
            page.goto(f"{site.url}/order/?side={side}")
        return page

    return open_ticket


def test_selling_a_stock_you_do_not_hold_is_refused_before_review(ticket, kiwoom):
    ticket = ticket("sell")
    ticket.locator("#stock-code").fill("035720")  # not among the demo account's holdings
    ticket.locator("#quantity").fill("1")
    ticket.locator("#review").click()

    expect(ticket.locator("#stock_code-error")).to_have_text("보유하지 않은 종목입니다.")
    expect(ticket.locator("#confirm-dialog")).not_to_be_visible()
    assert "kt10001" not in kiwoom.control.stats()["calls"]


def test_a_quantity_in_scientific_notation_is_refused(ticket):
    ticket = ticket("buy")
    ticket.locator("#stock-code").fill("005930")
    ticket.locator("#quantity").fill("1e5")
    ticket.locator("#review").click()

    expect(ticket.locator("#quantity-error")).not_to_be_empty()
    expect(ticket.locator("#confirm-dialog")).not_to_be_visible()


def test_only_the_types_mock_takes_are_offered_and_a_limit_order_is_지정가(ticket):
    ticket = ticket("buy")
    options = ticket.locator("#trade-type option")
    expect(options.filter(has_text="지정가").first).to_have_text("지정가")
    for refused in ("중간가", "스톱지정가", "보통"):
        expect(options.filter(has_text=refused)).to_have_count(0)


def test_a_field_s_error_goes_once_the_field_is_changed(ticket):
    ticket = ticket("buy")
    ticket.locator("#review").click()
    expect(ticket.locator("#stock_code-error")).not_to_be_empty()
    expect(ticket.locator("#quantity-error")).not_to_be_empty()

    ticket.locator("#quantity").fill("2")
    expect(ticket.locator("#quantity-error")).to_be_empty()
    expect(ticket.locator("#quantity")).not_to_have_attribute("aria-invalid", "true")
    expect(ticket.locator("#stock_code-error")).not_to_be_empty()  # not changed: still wrong
    ticket.locator("#stock-code").fill("005930")
    expect(ticket.locator("#stock_code-error")).to_be_empty()


def test_a_market_buy_s_confirmation_shows_the_current_price_and_the_estimate(ticket, kiwoom):
    kiwoom.control.set_price("035720", 41_250)  # not held: its price comes from the stock's quote
    ticket = ticket("buy")
    ticket.locator("#stock-code").fill("035720")
    ticket.locator("#quantity").fill("3")
    ticket.locator("#review").click()

    facts = ticket.locator("#confirm-facts")
    expect(facts).to_contain_text("시장에서 결정 (현재가 41,250원)")
    expect(facts).to_contain_text("예상 금액")
    expect(facts).to_contain_text("123,750원")


def test_the_result_card_follows_an_instant_fill(ticket, kiwoom):
    kiwoom.control.set_price("005930", 70_000)
    ticket = ticket("buy")
    ticket.locator("#stock-code").fill("005930")
    ticket.locator("#quantity").fill("1")
    ticket.locator("#review").click()
    ticket.locator("#confirm-submit").click()

    status = ticket.locator("#ticket-result-status")
    expect(status).to_have_attribute("data-status", "filled")  # asked again a moment after the acceptance
    expect(status).to_have_text("체결")


def test_a_session_that_expired_before_submit_keeps_the_ticket_through_a_new_login(page, site, kiwoom):
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    log_in(page, site, user)
    with page.expect_response(lambda response: response.url.endswith("/account/balance")):
        page.goto(f"{site.url}/order/?side=buy")
    page.locator("#stock-code").fill("005930")
    page.locator("#quantity").fill("4")
    page.locator("#trade-type").select_option("0")
    page.locator("#price").fill("69000")
    page.locator("#review").click()
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # the session ends while the user reads

    page.locator("#confirm-submit").click()
    error = page.locator("#confirm-error")
    expect(error).to_contain_text("로그인이 만료되어 주문을 보내지 않았습니다.")
    assert page.url.startswith(f"{site.url}/order/")  # still here, with the ticket
    assert "kt10000" not in kiwoom.control.stats()["calls"]

    error.get_by_role("link", name="다시 로그인").click()
    page.get_by_label("아이디").fill(user.username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.locator("#stock-code")).to_have_value("005930")
    expect(page.locator("#quantity")).to_have_value("4")
    expect(page.locator("#trade-type")).to_have_value("0")
    expect(page.locator("#price")).to_have_value("69000")
