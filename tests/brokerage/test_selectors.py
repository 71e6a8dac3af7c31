"""Selectors: reads scoped to a user."""

import pytest

from brokerage import selectors
from brokerage.errors import KiwoomNotConnected
from tests.factories import KiwoomCredentialFactory, OrderFactory, UserFactory


@pytest.mark.django_db
class TestCredentials:
    def test_a_credential_is_found_with_its_key_pair_still_encrypted(self, django_assert_num_queries):
        stored = KiwoomCredentialFactory()

        with django_assert_num_queries(1):
            found = selectors.credential_find(user=stored.user)
            assert found.access_token == stored.access_token
        assert {"app_key", "app_secret"} <= found.get_deferred_fields()

        with django_assert_num_queries(1):  # decrypted when used, as issuing a token does
            assert found.app_key == stored.app_key

    def test_another_users_credential_is_never_found(self):
        KiwoomCredentialFactory()

        assert selectors.credential_find(user=UserFactory()) is None
        with pytest.raises(KiwoomNotConnected):
            selectors.credential_get_connected(user=UserFactory())

    def test_the_order_read_leaves_the_key_pair_encrypted_too(self):
        stored = KiwoomCredentialFactory()

        found = selectors.credential_find_for_order(user=stored.user)

        assert {"app_key", "app_secret"} <= found.get_deferred_fields()
        assert found.app_secret == stored.app_secret

    def test_the_order_read_says_whether_the_users_orders_hold_the_key(self, django_assert_num_queries):
        stored = KiwoomCredentialFactory()
        OrderFactory(credential=stored, idempotency_key="key-1")
        OrderFactory(idempotency_key="key-2")  # another user's

        with django_assert_num_queries(1):
            used = selectors.credential_find_for_order(user=stored.user, idempotency_key="key-1")
        other = selectors.credential_find_for_order(user=stored.user, idempotency_key="key-2")

        assert used.idempotency_key_used is True
        assert other.idempotency_key_used is False
