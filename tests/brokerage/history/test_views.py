"""The history pages as served: the connect prompt for a user with neither keys nor history, the estimates."""

import re

import pytest
from django.urls import reverse

from brokerage.history.selectors import history_needs_keys
from tests.factories import KiwoomCredentialFactory, OrderFactory

PAGES = ["journal", "history"]


def prompt(client, page) -> str:
    html = client.get(reverse(page)).content.decode()
    (tag,) = re.findall(r'<div class="card empty-state connect-prompt"[^>]*>', html)
    return tag


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


class TestConnectPrompt:
    @pytest.mark.parametrize("page", PAGES)
    def test_a_user_without_keys_or_history_is_asked_to_connect(self, signed_in, page):
        html = signed_in.get(reverse(page)).content.decode()

        assert 'data-needs-keys="true"' in html
        assert "hidden" not in prompt(signed_in, page).replace(":hidden", "")
        assert reverse("home") in html and "증권사 연동하기" in html

    @pytest.mark.parametrize("page", PAGES)
    def test_keys_or_a_history_hide_it(self, signed_in, user, page):
        OrderFactory(user=user, credential=None, key_fingerprint="")

        assert 'data-needs-keys="false"' in signed_in.get(reverse(page)).content.decode()
        assert " hidden " in prompt(signed_in, page)

    def test_either_keys_or_history_is_enough(self, user):
        assert history_needs_keys(user=user)
        KiwoomCredentialFactory(user=user)
        assert not history_needs_keys(user=user)


def test_history_labels_commission_and_tax_as_estimates_with_the_rates(signed_in):
    html = signed_in.get(reverse("history")).content.decode()

    assert 'id="history-commission-head"' in html and 'id="history-rates"' in html
    assert re.search(r'id="history-commission-head">[^<]*\(', html)  # "(est.)" beside the column name
