"""`00` events into the ledger: at once, idempotent, and counted once with the sync's view of the fills."""

import json

import pytest
from django.db import transaction

from brokerage.kiwoom.realtime import OrderEvent, parse_message
from brokerage.orders.models import Order, OrderStatus
from brokerage.orders.services import sync
from brokerage.orders.services.events import AccountEvent, order_event_apply, order_events_apply
from brokerage.orders.signals import order_changed
from tests.brokerage.orders.helpers import SAMSUNG, connected_client, credential_of, limit_buy, order_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def event(number: str, state: str, *, quantity=10, filled=0, amount=0, remaining=10) -> OrderEvent:
    """An event as Kiwoom sends it (FIDs of PROTOCOL.md 5.4), read by the client library."""
    values = {
        "9203": number,
        "9001": SAMSUNG,
        "913": state,
        "900": str(quantity),
        "901": "70000",
        "902": str(remaining),
        "903": str(amount),
        "905": "+매수",
        "907": "2",
        "911": str(filled) if filled else "",
    }
    frame = {"trnm": "REAL", "data": [{"type": "00", "item": SAMSUNG, "values": values}]}
    [parsed] = parse_message(json.dumps(frame))
    return parsed


def apply(user, event: OrderEvent):
    """The stream process's call for an event of the user's connected account."""
    credential = credential_of(user)
    return order_event_apply(
        user_id=user.pk, mode=credential.mode, key_fingerprint=credential.key_fingerprint, event=event
    )


@pytest.fixture
def resting(connected_api, user, kiwoom):
    """A limit buy of 10 at 70,000 resting at Kiwoom (the price is 71,000)."""
    kiwoom.control.set_price(SAMSUNG, 71_000)
    answer = limit_buy(connected_api, 10, 70_000).json()
    order = Order.objects.get(pk=answer["id"])
    assert order.status == OrderStatus.ACCEPTED and order.kiwoom_order_number
    return order


@pytest.fixture
def every_look_syncs(monkeypatch):
    monkeypatch.setattr(sync, "SYNC_INTERVAL_SECONDS", 0)


@pytest.mark.usefixtures("every_look_syncs")
class TestFillsCountedOnce:
    def test_an_event_then_the_sync_of_the_same_fill(self, resting, user, kiwoom):
        kiwoom.control.set_price(SAMSUNG, 70_000, liquidity=4)
        fill = event(resting.kiwoom_order_number, "체결", filled=4, amount=280_000, remaining=6)

        apply(user, fill)
        apply(user, fill)  # delivered twice
        resting.refresh_from_db()
        assert (resting.status, resting.filled_quantity, resting.average_fill_price) == (
            OrderStatus.PARTIALLY_FILLED,
            4,
            70_000,
        )

        sync.order_sync(user=user, force=True)  # ka10076 shows the same four shares
        resting.refresh_from_db()
        assert (resting.filled_quantity, resting.cancelled_quantity) == (4, 0)
        assert resting.status == OrderStatus.PARTIALLY_FILLED

    def test_the_sync_first_then_a_late_event(self, resting, user, connected_api, kiwoom):
        kiwoom.control.set_price(SAMSUNG, 70_000)  # unlimited liquidity: all ten fill
        connected_api.get(order_url(resting.pk))  # the look syncs
        resting.refresh_from_db()
        assert (resting.status, resting.filled_quantity) == (OrderStatus.FILLED, 10)

        late = event(resting.kiwoom_order_number, "체결", filled=4, amount=280_000, remaining=6)
        apply(user, late)
        resting.refresh_from_db()
        assert (resting.status, resting.filled_quantity) == (OrderStatus.FILLED, 10)

    def test_the_last_fill_closes_the_order(self, resting, user):
        done = event(resting.kiwoom_order_number, "체결", filled=10, amount=700_000, remaining=0)
        apply(user, done)
        resting.refresh_from_db()
        assert (resting.status, resting.filled_quantity, resting.average_fill_price) == (
            OrderStatus.FILLED,
            10,
            70_000,
        )


class TestOtherEvents:
    def test_a_remainder_cancelled_at_kiwoom_closes_the_order(self, resting, user):
        apply(
            user,
            event(resting.kiwoom_order_number, "체결", filled=4, amount=280_000, remaining=6),
        )
        apply(
            user,
            event(resting.kiwoom_order_number, "취소", filled=4, amount=280_000, remaining=0),
        )
        resting.refresh_from_db()
        assert (resting.status, resting.filled_quantity, resting.cancelled_quantity) == (
            OrderStatus.CANCELLED,
            4,
            6,
        )

    def test_an_unknown_number_is_none_and_changes_nothing(self, resting, user):
        assert apply(user, event("0999999", "체결", filled=1)) is None
        resting.refresh_from_db()
        assert resting.filled_quantity == 0

    def test_an_acceptance_of_an_accepted_order_changes_nothing(self, resting, user):
        before = resting.updated_at
        order = apply(user, event(resting.kiwoom_order_number, "접수"))
        assert order.pk == resting.pk and order.updated_at == before

    def test_another_users_order_is_never_touched(self, resting, kiwoom):
        other = UserFactory()
        connected_client(other, app_key="simEventsOther00000001")
        fill = event(resting.kiwoom_order_number, "체결", filled=10, amount=700_000, remaining=0)
        assert apply(other, fill) is None
        resting.refresh_from_db()
        assert resting.filled_quantity == 0


class TestABatchOfEvents:
    """The stream process applies the events waiting together: in one transaction, each as if alone."""

    def of(self, user, event: OrderEvent) -> AccountEvent:
        credential = credential_of(user)
        return AccountEvent(
            user_id=user.pk, mode=credential.mode, key_fingerprint=credential.key_fingerprint, event=event
        )

    def test_each_event_gets_its_own_order_in_order(self, resting, user, kiwoom):
        other = UserFactory()
        connected_client(other, app_key="simEventsOther00000002")
        number = resting.kiwoom_order_number
        applied = order_events_apply(
            events=[
                self.of(user, event(number, "체결", filled=4, amount=280_000, remaining=6)),
                self.of(other, event(number, "체결", filled=10, amount=700_000, remaining=0)),  # not theirs
                self.of(user, event("0999999", "체결", filled=1)),
                self.of(user, event(number, "체결", filled=3, amount=210_000, remaining=7)),  # an older one
            ]
        )
        assert [order and order.pk for order in applied] == [resting.pk, None, None, resting.pk]
        resting.refresh_from_db()
        assert (resting.filled_quantity, resting.status) == (4, OrderStatus.PARTIALLY_FILLED)

    @pytest.mark.django_db(transaction=True)
    def test_order_changed_is_sent_once_per_changed_order(self, resting, user):
        heard = []

        def receiver(sender, order, **kwargs):
            heard.append((order.pk, order.filled_quantity))

        order_changed.connect(receiver)
        try:
            with transaction.atomic():
                order_events_apply(
                    events=[
                        self.of(
                            user,
                            event(resting.kiwoom_order_number, "체결", filled=4, amount=280_000, remaining=6),
                        ),
                        self.of(
                            user,
                            event(
                                resting.kiwoom_order_number, "체결", filled=10, amount=700_000, remaining=0
                            ),
                        ),
                    ]
                )
                assert heard == []  # after commit only
        finally:
            order_changed.disconnect(receiver)
        assert heard == [(resting.pk, 10)]
        resting.refresh_from_db()
        assert resting.status == OrderStatus.FILLED


@pytest.mark.django_db(transaction=True)
def test_order_changed_is_sent_after_commit_with_the_order(resting, user):
    received = []

    def receiver(sender, order, **kwargs):
        received.append((sender, order.pk, order.filled_quantity))

    order_changed.connect(receiver)
    try:
        fill = event(resting.kiwoom_order_number, "체결", filled=4, amount=280_000, remaining=6)
        with transaction.atomic():
            apply(user, fill)
            assert received == []  # not before the commit
        assert received == [(Order, resting.pk, 4)]
        apply(user, fill)
        assert len(received) == 1  # nothing changed, nothing sent
    finally:
        order_changed.disconnect(receiver)


@pytest.mark.usefixtures("every_look_syncs")
def test_a_list_read_before_a_later_event_does_not_take_the_average_back(resting, user):
    """The stream applied six shares at 69,900 on average; a list read earlier knew only four at 70,000."""
    six = event(resting.kiwoom_order_number, "체결", filled=6, amount=419_400, remaining=4)
    apply(user, six)
    stale = sync._Seen(filled=4, average_price=70_000, remaining=6)

    sync._apply_seen({resting.pk: stale}, resting.created_at)

    resting.refresh_from_db()
    assert (resting.filled_quantity, resting.average_fill_price) == (6, 69_900)
