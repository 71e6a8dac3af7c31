"""The order ticket refuses, before the confirmation step, what could only come back refused."""

import pytest
from playwright.sync_api import expect

from brokerage.connections.services import credential_connect
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import UserFactory

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
