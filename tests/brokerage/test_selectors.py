"""Selectors: reads scoped to a user."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from brokerage.connections.errors import KiwoomNotConnected
from brokerage.connections.selectors import credential_find, credential_get_connected
from brokerage.orders.models import OrderStatus
from brokerage.orders.selectors import (
    credential_find_for_order,
    order_find_by_idempotency_key,
    order_get,
    order_has_fresh_attempt,
    order_ids_by_number,
    order_list,
    order_numbers_claimed,
    orders_to_sync,
)
from tests.factories import KiwoomCredentialFactory, OrderFactory, UserFactory

KST = ZoneInfo("Asia/Seoul")


@pytest.mark.django_db
class TestCredentials:
    def test_a_credential_is_found_with_its_key_pair_still_encrypted(self, django_assert_num_queries):
        stored = KiwoomCredentialFactory()

        with django_assert_num_queries(1):
            found = credential_find(user=stored.user)
            assert found.access_token == stored.access_token
        assert {"app_key", "app_secret"} <= found.get_deferred_fields()

        with django_assert_num_queries(1):  # decrypted when used, as issuing a token does
            assert found.app_key == stored.app_key

    def test_another_users_credential_is_never_found(self):
        KiwoomCredentialFactory()

        assert credential_find(user=UserFactory()) is None
        with pytest.raises(KiwoomNotConnected):
            credential_get_connected(user=UserFactory())

    def test_the_order_read_leaves_the_key_pair_encrypted_too(self):
        stored = KiwoomCredentialFactory()

        found = credential_find_for_order(user=stored.user)

        assert {"app_key", "app_secret"} <= found.get_deferred_fields()
        assert found.app_secret == stored.app_secret

    def test_the_order_read_says_whether_the_users_orders_hold_the_key(self, django_assert_num_queries):
        stored = KiwoomCredentialFactory()
        OrderFactory(credential=stored, idempotency_key="key-1")
        OrderFactory(idempotency_key="key-2")  # another user's

        with django_assert_num_queries(1):
            used = credential_find_for_order(user=stored.user, idempotency_key="key-1")
        other = credential_find_for_order(user=stored.user, idempotency_key="key-2")

        assert used.idempotency_key_used is True
        assert other.idempotency_key_used is False


@pytest.mark.django_db
class TestOrdersAreTheUsersOwn:
    """Two users with look-alike orders (each account numbers its orders from 0000001): every read sees only
    the asking user's."""

    @pytest.fixture
    def mine_and_theirs(self):
        mine = OrderFactory(status=OrderStatus.ACCEPTED, kiwoom_order_number="0000001", idempotency_key="k")
        theirs = OrderFactory(status=OrderStatus.ACCEPTED, kiwoom_order_number="0000001", idempotency_key="k")
        return mine, theirs

    def test_the_ledger_and_one_entry(self, mine_and_theirs):
        mine, theirs = mine_and_theirs

        assert list(order_list(user=mine.user)) == [mine]
        assert order_get(user=mine.user, order_id=theirs.pk) is None
        assert order_get(user=mine.user, order_id=mine.pk) == mine

    def test_an_idempotency_key(self, mine_and_theirs):
        mine, theirs = mine_and_theirs

        assert order_find_by_idempotency_key(user=mine.user, key="k").pk == mine.pk
        assert order_find_by_idempotency_key(user=theirs.user, key="k").pk == theirs.pk

    def test_what_a_sync_works_on(self, mine_and_theirs):
        mine, _theirs = mine_and_theirs

        assert list(orders_to_sync(user=mine.user)) == [mine]

    def test_kiwoom_order_numbers(self, mine_and_theirs):
        mine, theirs = mine_and_theirs
        day = timezone.localdate(mine.created_at, KST)
        theirs_only = OrderFactory(credential=theirs.credential, kiwoom_order_number="0000002")

        keys = mine.key_fingerprint
        assert order_numbers_claimed(user=mine.user, mode=mine.mode, key_fingerprint=keys, day=day) == {
            "0000001"
        }
        ids = order_ids_by_number(
            user=mine.user,
            mode=mine.mode,
            key_fingerprint=keys,
            numbers={"0000001", theirs_only.kiwoom_order_number},
            day=day,
        )
        assert ids == {"0000001": mine.pk}

    def test_kiwoom_order_numbers_of_other_keys(self):
        """Each account numbers its own orders: a number names an order only together with the keys."""
        earlier = OrderFactory(
            status=OrderStatus.ACCEPTED, kiwoom_order_number="0000001", key_fingerprint="a" * 64
        )
        later = OrderFactory(
            user=earlier.user,
            credential=earlier.credential,
            status=OrderStatus.ACCEPTED,
            kiwoom_order_number="0000001",
            key_fingerprint="b" * 64,
        )
        day = timezone.localdate(later.created_at, KST)

        ids = order_ids_by_number(
            user=later.user, mode=later.mode, key_fingerprint="b" * 64, numbers={"0000001"}, day=day
        )
        claimed = order_numbers_claimed(user=later.user, mode=later.mode, key_fingerprint="a" * 64, day=day)

        assert ids == {"0000001": later.pk}
        assert claimed == {"0000001"}

    def test_an_attempt_in_flight(self):
        theirs = OrderFactory(status=OrderStatus.PENDING)
        since = theirs.created_at - timedelta(seconds=1)
        me = KiwoomCredentialFactory().user

        assert not order_has_fresh_attempt(user=me, stock_code=theirs.stock_code, side="buy", since=since)
        assert order_has_fresh_attempt(
            user=theirs.user, stock_code=theirs.stock_code, side="buy", since=since
        )
