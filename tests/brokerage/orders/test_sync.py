"""Open orders follow Kiwoom: fills, partial fills, modifications and cancellations, cheaply."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from brokerage.kiwoom import KiwoomClient
from brokerage.orders.models import Order, OrderStatus
from brokerage.orders.services import sync
from tests.brokerage.orders.helpers import (
    FILLS,
    ORDERS,
    SAMSUNG,
    calls,
    kiwoom_view,
    limit_buy,
    market_buy,
    order_url,
    post,
)
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db

KST = ZoneInfo("Asia/Seoul")


def entry(api, order_id: int) -> dict:
    response = api.get(order_url(order_id))
    assert response.status_code == 200, response.content
    return response.json()


def samsung_holding(api) -> int:
    holdings = api.get("/api/v1/kiwoom/account/balance").json()["holdings"]
    return next(h["quantity"] for h in holdings if h["stock_code"] == SAMSUNG)


@pytest.fixture
def every_look_syncs(monkeypatch):
    """Prices move here between looks a few milliseconds apart: let each look ask Kiwoom."""
    monkeypatch.setattr(sync, "SYNC_INTERVAL_SECONDS", 0)


@pytest.mark.usefixtures("every_look_syncs")
class TestALimitOrdersLife:
    def test_partial_fill_modify_and_cancel_leave_ledger_and_kiwoom_agreeing(
        self, connected_api, user, kiwoom
    ):
        kiwoom.control.set_price(SAMSUNG, 71_000)
        parent = limit_buy(connected_api, 10, 70_000).json()
        assert entry(connected_api, parent["id"])["status"] == "accepted"

        # Four shares trade at 70,000: the rest waits.
        kiwoom.control.set_price(SAMSUNG, 70_000, liquidity=4)
        partly = entry(connected_api, parent["id"])
        assert (partly["status"], partly["filled_quantity"], partly["remaining_quantity"]) == (
            "partially_filled",
            4,
            6,
        )
        assert partly["average_fill_price"] == 70_000

        # The remaining six move to 69,000 under a new order number.
        modification = post(connected_api, order_url(parent["id"], "modify"), {"price": 69_000}).json()
        assert (modification["kind"], modification["parent"], modification["quantity"]) == (
            "modify",
            parent["id"],
            6,
        )
        assert entry(connected_api, parent["id"])["status"] == "modified"

        # Two of them trade at 69,000, then the other four are cancelled.
        kiwoom.control.set_price(SAMSUNG, 69_000, liquidity=2)
        assert entry(connected_api, modification["id"])["status"] == "partially_filled"
        cancellation = post(connected_api, order_url(modification["id"], "cancel"), {}).json()
        assert (cancellation["kind"], cancellation["quantity"], cancellation["status"]) == (
            "cancel",
            4,
            "accepted",
        )

        ledger = {o["id"]: o for o in connected_api.get(ORDERS).json()["results"]}
        fills = {f.order_number: f for f in kiwoom_view(user, lambda c, t: c.get_fills(t))}
        open_orders = kiwoom_view(user, lambda c, t: c.get_open_orders(t))
        deposit = kiwoom_view(user, lambda c, t: c.get_deposit(t))

        parent_now, modified_now = ledger[parent["id"]], ledger[modification["id"]]
        assert (parent_now["status"], parent_now["filled_quantity"], parent_now["modified_quantity"]) == (
            "modified",
            4,
            6,
        )
        assert (
            modified_now["status"],
            modified_now["filled_quantity"],
            modified_now["cancelled_quantity"],
        ) == (
            "cancelled",
            2,
            4,
        )
        assert ledger[cancellation["id"]]["parent"] == modification["id"]
        # Kiwoom agrees: nothing open, the same fills, and the balance moved by exactly those fills.
        assert open_orders == ()
        assert fills[parent_now["order_number"]].fill_quantity == 4
        assert fills[modified_now["order_number"]].fill_quantity == 2
        assert (fills[modified_now["order_number"]].fill_price, modified_now["average_fill_price"]) == (
            69_000,
            69_000,
        )
        assert samsung_holding(connected_api) == 10 + 4 + 2
        spent = sum(f.fill_price * f.fill_quantity + f.fee for f in fills.values())
        assert deposit.deposit == 10_000_000 - spent
        assert deposit.orderable_amount == deposit.deposit  # no open order ties up cash any more

    def test_a_partial_cancel_keeps_the_rest_open(self, connected_api, user, kiwoom):
        order = limit_buy(connected_api, 5, 60_000).json()

        post(connected_api, order_url(order["id"], "cancel"), {"quantity": 2})

        now = entry(connected_api, order["id"])
        [at_kiwoom] = kiwoom_view(user, lambda c, t: c.get_open_orders(t))
        assert (now["status"], now["cancelled_quantity"], now["remaining_quantity"]) == ("accepted", 2, 3)
        assert at_kiwoom.remaining_quantity == 3

    def test_a_cancellation_accepted_during_a_sync_is_not_undone(
        self, connected_api, user, kiwoom, monkeypatch
    ):
        order = limit_buy(connected_api, 5, 60_000).json()
        before_the_cancel = kiwoom_view(user, lambda c, t: c.get_open_orders(t))
        post(connected_api, order_url(order["id"], "cancel"), {"quantity": 2})
        # The sync read the open orders just before Kiwoom took the cancellation.
        monkeypatch.setattr(
            KiwoomClient, "get_open_orders", lambda client, token, **kwargs: before_the_cancel
        )

        now = entry(connected_api, order["id"])

        assert (now["status"], now["cancelled_quantity"], now["remaining_quantity"]) == ("accepted", 2, 3)

    def test_a_market_order_is_seen_filled(self, connected_api, kiwoom):
        order = market_buy(connected_api, 2).json()

        now = entry(connected_api, order["id"])

        assert (now["status"], now["filled_quantity"], now["remaining_quantity"]) == ("filled", 2, 0)

    def test_a_cancellation_made_elsewhere_is_noticed(self, connected_api, user, kiwoom):
        order = limit_buy(connected_api, 5, 60_000).json()
        kiwoom_view(
            user,
            lambda c, t: c.cancel_order(t, original_order_number=order["order_number"], stock_code=SAMSUNG),
        )

        kiwoom.control.reset_stats()

        now = entry(connected_api, order["id"])

        assert (now["status"], now["cancelled_quantity"]) == ("cancelled", 5)
        assert calls(kiwoom, "kt00007") == 1  # in neither list: the day's complete list confirms it


def tally(order: dict) -> tuple[str, int, int, int]:
    """Status, filled, cancelled and still open, as the ledger shows an order."""
    fields = ("status", "filled_quantity", "cancelled_quantity", "remaining_quantity")
    return tuple(order[field] for field in fields)


@pytest.mark.usefixtures("every_look_syncs")
class TestTheTwoListsAreReadAMomentApart:
    """ka10075 and ka10076 are sent together but answered at slightly different moments: shares can trade in
    between, and the two lists then disagree."""

    @pytest.fixture
    def four_filled(self, connected_api, user, kiwoom):
        """A buy of 10 with 4 filled, and ka10076 as it was then (4 filled, 6 open)."""
        kiwoom.control.set_price(SAMSUNG, 71_000)
        order = limit_buy(connected_api, 10, 70_000).json()
        kiwoom.control.set_price(SAMSUNG, 70_000, liquidity=4)
        assert tally(entry(connected_api, order["id"])) == ("partially_filled", 4, 0, 6)
        return order, kiwoom_view(user, lambda c, t: c.get_fills(t))

    def test_a_fill_between_them_is_not_taken_for_a_cancellation(
        self, connected_api, kiwoom, monkeypatch, four_filled
    ):
        order, fills_before = four_filled
        kiwoom.control.set_price(SAMSUNG, 70_000, liquidity=4)  # four more trade: 2 left open
        # ka10076 was answered just before those four traded, ka10075 just after.
        monkeypatch.setattr(KiwoomClient, "get_fills", lambda client, token, **kwargs: fills_before)
        kiwoom.control.reset_stats()

        now = entry(connected_api, order["id"])

        assert tally(now) == ("partially_filled", 8, 0, 2)
        assert calls(kiwoom, "kt00007") == 1  # the lists disagree: the day's complete list decides

    def test_an_order_filled_up_between_them_is_filled_not_cancelled(
        self, connected_api, kiwoom, monkeypatch, four_filled
    ):
        order, fills_before = four_filled
        kiwoom.control.set_price(SAMSUNG, 70_000)  # the other six trade: gone from ka10075
        monkeypatch.setattr(KiwoomClient, "get_fills", lambda client, token, **kwargs: fills_before)

        now = entry(connected_api, order["id"])

        assert tally(now) == ("filled", 10, 0, 0)

    def test_a_first_fill_between_them_is_not_taken_for_a_cancellation(
        self, connected_api, kiwoom, monkeypatch
    ):
        kiwoom.control.set_price(SAMSUNG, 71_000)
        order = limit_buy(connected_api, 10, 70_000).json()
        kiwoom.control.set_price(SAMSUNG, 70_000, liquidity=3)
        # ka10076 was answered before the first fill (no row yet), ka10075 after it (7 open).
        monkeypatch.setattr(KiwoomClient, "get_fills", lambda client, token, **kwargs: ())

        now = entry(connected_api, order["id"])

        assert tally(now) == ("partially_filled", 3, 0, 7)

    def test_without_a_list_that_settles_it_the_order_waits_for_the_next_look(
        self, connected_api, kiwoom, monkeypatch, four_filled
    ):
        order, fills_before = four_filled
        kiwoom.control.set_price(SAMSUNG, 70_000)  # the other six trade: gone from ka10075
        with monkeypatch.context() as patch:
            patch.setattr(KiwoomClient, "get_fills", lambda client, token, **kwargs: fills_before)
            patch.setattr(KiwoomClient, "get_order_details", lambda client, token, **kwargs: ())
            meanwhile = entry(connected_api, order["id"])

        later = entry(connected_api, order["id"])

        # ka10076's row alone still said 6 open: nothing is called cancelled, and the order is still synced.
        assert tally(meanwhile) == ("partially_filled", 4, 0, 6)
        assert tally(later) == ("filled", 10, 0, 0)


class TestCheapness:
    def test_one_open_orders_and_one_fills_call_per_look_whatever_the_number_of_orders(
        self, connected_api, kiwoom
    ):
        for price in (60_000, 60_100, 60_200):
            limit_buy(connected_api, 1, price)
        kiwoom.control.reset_stats()

        connected_api.get(ORDERS)
        connected_api.get(ORDERS)  # within the sync interval: the ledger as it is

        assert calls(kiwoom, "ka10075") == 1
        assert calls(kiwoom, "ka10076") == 1
        assert calls(kiwoom, "kt00007") == 0

    def test_the_fills_a_look_read_answer_a_look_at_todays_fills(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 1, 60_000).json()
        kiwoom.control.set_price(SAMSUNG, 60_000)  # it fills
        kiwoom.control.reset_stats()

        connected_api.get(ORDERS)
        fills = connected_api.get(FILLS)

        assert fills.status_code == 200
        assert [fill["order_id"] for fill in fills.json()["fills"]] == [order["id"]]
        assert calls(kiwoom, "ka10076") == 1

    def test_a_look_at_todays_fills_brings_open_orders_up_to_date_first(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 1, 60_000).json()
        kiwoom.control.set_price(SAMSUNG, 60_000)
        kiwoom.control.reset_stats()

        [fill] = connected_api.get(FILLS).json()["fills"]
        ledger = connected_api.get(ORDERS).json()["results"]

        assert fill["order_id"] == order["id"]
        assert ledger[0]["status"] == "filled"
        assert (calls(kiwoom, "ka10075"), calls(kiwoom, "ka10076")) == (1, 1)

    def test_an_order_placed_since_the_last_look_is_among_the_fills(self, connected_api, kiwoom):
        first = market_buy(connected_api, 1).json()
        connected_api.get(ORDERS)
        second = market_buy(connected_api, 2).json()

        fills = connected_api.get(FILLS).json()["fills"]

        assert {fill["order_id"] for fill in fills} == {first["id"], second["id"]}

    def test_without_open_orders_a_look_at_fills_asks_for_the_fills_alone(self, connected_api, kiwoom):
        kiwoom.control.reset_stats()

        fills = connected_api.get(FILLS)

        assert fills.json()["fills"] == []
        assert kiwoom.control.stats()["calls"] == {"ka10076": 1}

    def test_nothing_open_means_no_call_at_all(self, connected_api, kiwoom):
        market_buy(connected_api, 1)
        connected_api.get(ORDERS)  # the market order is seen filled
        kiwoom.control.reset_stats()

        connected_api.get(ORDERS)

        assert kiwoom.control.stats()["calls"] == {}

    def test_when_kiwoom_cannot_answer_the_ledger_is_shown_as_it_stands(self, connected_api, kiwoom):
        order = limit_buy(connected_api, 1, 60_000).json()
        kiwoom.control.inject_fault("http_5xx", api_id="ka10075", count=1)

        response = connected_api.get(ORDERS)

        assert response.status_code == 200
        assert response.json()["results"][0]["status"] == "accepted"
        assert response.json()["results"][0]["id"] == order["id"]


@pytest.mark.django_db(transaction=True)
class TestTheOrdersPage:
    """The page asks for the ledger and for today's fills at the same moment."""

    def test_its_two_requests_at_once_cost_kiwoom_one_sync(self, connected_api, user, kiwoom):
        limit_buy(connected_api, 1, 60_000)
        # The sync stays in flight while the other request comes, whichever of the two is first.
        kiwoom.control.inject_fault("latency", api_id="ka10075", count=1, latency_ms=300)
        kiwoom.control.reset_stats()
        start = threading.Barrier(2)
        answers = {}

        def look(url):
            client = bearer_client(user)
            try:
                start.wait()
                answers[url] = client.get(url)
            finally:
                connection.close()

        threads = [threading.Thread(target=look, args=(url,)) for url in (ORDERS, FILLS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert {url: answer.status_code for url, answer in answers.items()} == {ORDERS: 200, FILLS: 200}
        assert (calls(kiwoom, "ka10075"), calls(kiwoom, "ka10076")) == (1, 1)


class TestAnEarlierDay:
    def test_an_order_left_open_yesterday_is_closed_from_that_days_details(self, connected_api, user, kiwoom):
        yesterday = timezone.localtime(timezone.now(), KST) - timedelta(days=1)
        kiwoom.control.set_clock(yesterday.replace(hour=10, minute=0).strftime("%Y%m%d%H%M%S"))
        kiwoom.control.set_price(SAMSUNG, 71_000)
        order = limit_buy(connected_api, 10, 70_000).json()
        kiwoom.control.set_price(SAMSUNG, 70_000, liquidity=3)
        placed = datetime(yesterday.year, yesterday.month, yesterday.day, 10, 0, tzinfo=KST)
        Order.objects.filter(pk=order["id"]).update(created_at=placed, sent_at=placed)
        kiwoom.control.set_clock(timezone.localtime(timezone.now(), KST).strftime("%Y%m%d%H%M%S"))
        kiwoom.control.reset_stats()

        now = entry(connected_api, order["id"])

        # What had not filled by the close expired with the day.
        assert (now["status"], now["filled_quantity"], now["cancelled_quantity"]) == ("cancelled", 3, 7)
        assert calls(kiwoom, "kt00007") == 1
        assert calls(kiwoom, "ka10075", "ka10076") == 0
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.CANCELLED
