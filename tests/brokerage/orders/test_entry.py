"""The ledger: every attempt is written before it is sent, and keeps what became of it, whatever fails."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.connections.errors import KiwoomBusy, KiwoomUnavailable
from brokerage.connections.services import kiwoom_call, tokens
from brokerage.kiwoom import KiwoomClient
from brokerage.orders.errors import OrderQuantityOverRemainder
from brokerage.orders.models import Order, OrderStatus
from brokerage.orders.services import entry as orders
from brokerage.orders.services import order_settle_abandoned
from brokerage.orders.services.timing import pending_timeout
from tests.brokerage.orders.helpers import (
    SAMSUNG,
    SELL,
    calls,
    credential_of,
    limit_buy,
    market_buy,
    order_url,
    post,
)
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


class TestOutcomes:
    def test_an_accepted_order_has_kiwooms_number_and_was_sent_once(self, connected_api, user, kiwoom):
        response = limit_buy(connected_api, 2, 60_000)

        order = Order.objects.get(user=user)
        assert response.status_code == 201
        assert order.status == OrderStatus.ACCEPTED
        assert order.kiwoom_order_number == response.json()["order_number"]
        # Written as sent along with the entry (the token was in hand): the two stamps are a moment apart.
        assert order.sent_at is not None and abs(order.sent_at - order.created_at) < timedelta(seconds=1)
        assert (order.stock_name, order.price, order.exchange, order.kind) == (
            "삼성전자",
            60_000,
            "KRX",
            "new",
        )
        assert order.credential == credential_of(user)
        assert calls(kiwoom, "kt10000") == 1

    def test_a_rejection_keeps_kiwooms_code_and_message(self, connected_api, user, kiwoom):
        response = post(connected_api, SELL, {"stock_code": SAMSUNG, "quantity": 11, "trade_type": "3"})

        order = Order.objects.get(user=user)
        assert response.status_code == 422
        assert response.json()["order_id"] == order.pk
        assert response.json()["order_status"] == "rejected"
        assert (order.status, order.kiwoom_code) == (OrderStatus.REJECTED, "800033")
        assert "매도가능수량" in order.kiwoom_message
        assert order.kiwoom_order_number == ""

    def test_a_connection_dropped_after_kiwoom_took_the_order_leaves_it_unresolved(
        self, connected_api, user, kiwoom
    ):
        kiwoom.control.inject_fault("drop_after", api_id="kt10000", count=1)

        response = market_buy(connected_api, 1)

        order = Order.objects.get(user=user)
        assert response.status_code == 503
        assert response.json()["code"] == "kiwoom_unavailable"
        assert response.json()["order_status"] == "unresolved"
        assert order.status == OrderStatus.UNRESOLVED
        assert order.sent_at is not None
        assert calls(kiwoom, "kt10000") == 1
        assert len(kiwoom.control.orders(credential_of(user).app_key)) == 1  # it did reach Kiwoom

    def test_a_refused_connection_certainly_placed_nothing(self, connected_api, user, kiwoom, settings):
        assert market_buy(connected_api, 1).status_code == 201  # the quote is now cached
        settings.KIWOOM_MOCK_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port

        response = market_buy(connected_api, 1)

        order = Order.objects.filter(user=user).first()
        assert response.status_code == 503
        assert response.json()["order_status"] == "not_placed"
        assert order.status == OrderStatus.NOT_PLACED
        assert calls(kiwoom, "kt10000") == 1

    def test_no_token_to_send_it_with_means_not_placed(self, connected_api, user, kiwoom):
        market_buy(connected_api, 1)  # the quote is now cached
        credential_of(user).__class__.objects.filter(user=user).update(token_expires_at=timezone.now())
        kiwoom.control.inject_fault("http_5xx", api_id="au10001", count=1)

        response = market_buy(connected_api, 1)

        order = Order.objects.filter(user=user).first()
        assert response.status_code == 503
        assert (order.status, order.sent_at) == (OrderStatus.NOT_PLACED, None)
        assert calls(kiwoom, "kt10000") == 1

    def test_a_token_due_for_renewal_is_renewed_before_the_order_is_marked_sent(
        self, connected_api, user, kiwoom
    ):
        # Within the refresh margin: the token is renewed (au10001) after the entry is written, and the entry
        # is marked sent only once the new token is in hand.
        market_buy(connected_api, 1)  # the quote is now cached
        credential_of(user).__class__.objects.filter(user=user).update(
            token_expires_at=timezone.now() + timedelta(minutes=5)
        )

        response = market_buy(connected_api, 1)

        order = Order.objects.filter(user=user).first()
        assert response.status_code == 201
        assert order.status == OrderStatus.ACCEPTED
        assert order.sent_at > credential_of(user).last_refresh_attempt_at > order.created_at
        assert calls(kiwoom, "au10001") == 2  # connecting, then the renewal

    def test_an_entry_written_as_sent_is_not_placed_if_no_request_left(
        self, connected_api, user, kiwoom, monkeypatch
    ):
        # The token looked good when the entry was written, but none could be had when sending (another
        # process renewing it held the lock too long): nothing left, and the entry says so.
        def locked_out(*, credential):
            raise KiwoomUnavailable("Another request is renewing the Kiwoom access token.")

        market_buy(connected_api, 1)  # the quote is now cached
        monkeypatch.setattr(tokens, "token_get_valid", locked_out)

        response = market_buy(connected_api, 1)

        order = Order.objects.filter(user=user).first()
        assert response.status_code == 503
        assert response.json()["order_status"] == "not_placed"
        assert (order.status, order.sent_at) == (OrderStatus.NOT_PLACED, None)
        assert calls(kiwoom, "kt10000") == 1

    def test_a_token_lock_timing_out_after_a_send_leaves_it_unresolved_and_its_key_held(
        self, connected_api, user, kiwoom, monkeypatch
    ):
        # Kiwoom refused the token (8005); renewing it timed out on another process's lock. The error carries
        # no Kiwoom answer saying the order stayed away: it may have left, so it is reconciled, never resent.
        def locked_out(*, credential, rejected):
            raise KiwoomBusy()

        market_buy(connected_api, 1)  # the quote is now cached
        kiwoom.control.expire_tokens()
        monkeypatch.setattr(tokens, "token_replace_rejected", locked_out)

        response = market_buy(connected_api, 1, key="sent-then-locked-out")
        monkeypatch.undo()
        repeat = market_buy(connected_api, 1, key="sent-then-locked-out")

        order = Order.objects.filter(user=user).first()
        assert (response.status_code, response.json()["order_status"]) == (503, "unresolved")
        assert order.status == OrderStatus.UNRESOLVED
        assert order.sent_at is not None and order.idempotency_key == "sent-then-locked-out"
        assert (repeat.status_code, repeat["Idempotent-Replayed"]) == (503, "true")
        assert repeat.json() == response.json()
        assert calls(kiwoom, "kt10000") == 2  # the first order, and this one once

    def test_a_request_that_leaves_late_is_stamped_when_it_left(
        self, connected_api, user, kiwoom, monkeypatch
    ):
        # The entry was written as sent, but the request waited (for a rate-limit slot, say) before it went
        # out: reconciliation measures from when it left, so the stamp follows it.
        token_get_valid = tokens.token_get_valid
        market_buy(connected_api, 1)  # the quote is now cached
        with time_machine.travel(timezone.now(), tick=True) as clock:

            def slow_token(*, credential):
                clock.shift(timedelta(seconds=30))
                return token_get_valid(credential=credential)

            monkeypatch.setattr(tokens, "token_get_valid", slow_token)
            response = market_buy(connected_api, 1)

        order = Order.objects.filter(user=user).first()
        assert response.status_code == 201
        assert order.sent_at >= order.created_at + timedelta(seconds=30)

    def test_a_rate_limit_at_kiwoom_is_not_placed_and_no_order_exists(self, connected_api, user, kiwoom):
        # Kiwoom refuses a rate-limited call unprocessed; `kiwoom_call` tries once more in a later slot.
        kiwoom.control.inject_fault("rate_limit", api_id="kt10000", count=2)

        response = market_buy(connected_api, 1, key="refused-twice")

        order = Order.objects.get(user=user)
        assert (response.status_code, response.json()["order_status"]) == (429, "not_placed")
        assert "Retry-After" in response
        assert (order.status, order.sent_at, order.idempotency_key) == (OrderStatus.NOT_PLACED, None, "")
        assert order.kiwoom_code == "1700"
        assert kiwoom.control.orders(credential_of(user).app_key) == []

    def test_a_send_tried_again_is_stamped_when_the_retry_left(
        self, connected_api, user, kiwoom, monkeypatch
    ):
        # Kiwoom refuses the first request unprocessed (429), after a while: only the retry can have placed
        # the order, so `sent_at`, which reconciliation measures from, is when the retry left.
        kiwoom.control.inject_fault("rate_limit", api_id="kt10000", count=1)
        place_order = KiwoomClient.place_order
        with time_machine.travel(timezone.now(), tick=True) as clock:

            def slow_answer(client, *args, **kwargs):
                try:
                    return place_order(client, *args, **kwargs)
                finally:
                    clock.shift(timedelta(seconds=30))

            monkeypatch.setattr(KiwoomClient, "place_order", slow_answer)
            first_sent = timezone.now()
            response = market_buy(connected_api, 1)

        order = Order.objects.get(user=user)
        assert response.status_code == 201
        assert order.sent_at >= first_sent + timedelta(seconds=30)
        assert calls(kiwoom, "kt10000") == 2
        assert len(kiwoom.control.orders(credential_of(user).app_key)) == 1


class TestAnAbandonedAttempt:
    """A process that dies between writing the entry and hearing Kiwoom's answer leaves it `pending`."""

    def pending(self, user, *, sent: bool, age: timedelta, **fields) -> Order:
        credential = credential_of(user)
        order = Order.objects.create(
            user=user,
            credential=credential,
            key_fingerprint=credential.key_fingerprint,  # as the service writes it
            side="buy",
            stock_code=SAMSUNG,
            quantity=1,
            trade_type="3",
            **fields,
        )
        created = timezone.now() - age
        Order.objects.filter(pk=order.pk).update(created_at=created, sent_at=created if sent else None)
        return order

    def test_never_sent_is_not_placed_once_no_send_can_be_running(self, connected_api, user, kiwoom):
        stale = self.pending(user, sent=False, age=pending_timeout() + timedelta(seconds=1))
        fresh = self.pending(user, sent=False, age=timedelta(seconds=5))

        order_settle_abandoned()

        stale.refresh_from_db()
        fresh.refresh_from_db()
        assert stale.status == OrderStatus.NOT_PLACED
        assert fresh.status == OrderStatus.PENDING  # may still be on its way

    def test_is_left_alone_while_its_send_could_still_be_running(self, connected_api, user, kiwoom):
        # With the default timeouts a send lasts up to 86 s: two waits for a token renewal (15 s) and two
        # au10001 (13.05 s), two waits for a rate-limit slot (2 s) and two requests (13.05 s), the second
        # after an 8005.
        sent = self.pending(user, sent=True, age=timedelta(seconds=85))

        order_settle_abandoned()

        sent.refresh_from_db()
        assert sent.status == OrderStatus.PENDING

    def test_sent_is_reconciled_and_found_at_kiwoom(self, connected_api, user, kiwoom):
        abandoned = self.pending(user, sent=True, age=timedelta(0))
        # What the dead process sent: it reached Kiwoom, but nobody recorded the answer.
        ack = kiwoom_call(
            credential=credential_of(user),
            operation=lambda client, token: client.place_order(
                token, side="buy", stock_code=SAMSUNG, quantity=1, trade_type="3", price=None
            ),
        )

        # Later, rather than an entry dated earlier: the entry and Kiwoom's order stay on one Korean day,
        # even when the test runs just after midnight there.
        with time_machine.travel(timezone.now() + pending_timeout() + timedelta(seconds=1)):
            response = connected_api.get(order_url(abandoned.pk))

        assert response.status_code == 200
        assert response.json()["status"] == "filled"
        assert response.json()["order_number"] == ack.order_number
        assert calls(kiwoom, "kt10000") == 1

    def test_sent_and_not_at_kiwoom_is_not_placed(self, connected_api, user, kiwoom):
        abandoned = self.pending(user, sent=True, age=pending_timeout() + timedelta(seconds=1))

        response = connected_api.post(order_url(abandoned.pk, "reconcile"))

        assert response.status_code == 200
        assert response.json()["status"] == "not_placed"
        assert calls(kiwoom, "kt00007") == 1
        assert calls(kiwoom, "kt10000") == 0


@pytest.mark.django_db(transaction=True)
class TestCost:
    """The ledger's own work for one order, outside any test transaction, as in production."""

    def test_a_market_buy_takes_four_sql_statements_and_its_audit_event(self, connected_api, user, kiwoom):
        market_buy(connected_api, 1)  # the quote is now cached

        with CaptureQueriesContext(connection) as queries:
            response = market_buy(connected_api, 1, key="cost-of-one-order")

        assert response.status_code == 201
        # The user (JWT); the credential with its limits and the key; the entry, written as sent; the outcome;
        # then, once the outcome is committed, the request's line in the audit trail.
        statements = [query["sql"] for query in queries.captured_queries]
        assert [sql.split()[0] for sql in statements] == ["SELECT", "SELECT", "INSERT", "UPDATE", "INSERT"]
        assert "accounts_securityevent" in statements[-1]


class TestAChangeRacingAnother:
    def test_is_checked_against_the_remainder_again_with_its_order_locked(self):
        """Its first check read the order before another change, accepted meanwhile, took shares of it."""
        order = OrderFactory(
            quantity=3,
            trade_type="0",
            price=60_000,
            status=OrderStatus.ACCEPTED,
            kiwoom_order_number="0000001",
        )
        stale = Order.objects.get(pk=order.pk)
        Order.objects.filter(pk=order.pk).update(cancelled_quantity=2)  # the other change, accepted
        child = orders._child_of(stale, kind="cancel", credential=stale.credential, quantity=2, price=None)

        with pytest.raises(OrderQuantityOverRemainder):
            orders._order_reserve(child, idempotency=None, asked_quantity=2)

        assert not Order.objects.filter(parent=order).exists()
