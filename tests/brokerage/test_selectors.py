"""Selectors: reads scoped to a user."""

import pytest

from brokerage import selectors
from brokerage.errors import KiwoomNotConnected
from tests.factories import KiwoomCredentialFactory, UserFactory


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

    def test_the_trading_read_leaves_the_key_pair_encrypted_too(self):
        stored = KiwoomCredentialFactory()

        found = selectors.credential_get_for_trading(user=stored.user)

        assert {"app_key", "app_secret"} <= found.get_deferred_fields()
        assert found.app_secret == stored.app_secret
