"""The users' admin in Korean (extended by brokerage/admin.py): Kiwoom connections and trading limits."""

import pytest
from django.test import Client
from django.urls import reverse

from brokerage.orders.models import TradingProfile
from tests.factories import KiwoomCredentialFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def korean_admin():
    client = Client(headers={"accept-language": "ko"})
    client.force_login(UserFactory(username="operator", is_staff=True, is_superuser=True))
    return client


def inline_labels(response) -> dict[str, list[str]]:
    """Each inline's title -> the labels of its fields."""
    return {
        str(inline.opts.verbose_name_plural): [str(field["label"]) for field in inline.fields()]
        for inline in response.context["inline_admin_formsets"]
    }


class TestKorean:
    def test_the_user_page_labels_the_connection_and_limits(self, korean_admin):
        credential = KiwoomCredentialFactory(user__username="minji")
        TradingProfile.objects.create(user=credential.user)
        response = korean_admin.get(reverse("admin:accounts_user_change", args=[credential.user.pk]))
        assert inline_labels(response) == {
            "거래 권한과 한도": ["실전투자 허용", "1회 주문 최대 수량(주)", "1회 주문 최대 금액(원)"],
            "키움증권 연동": ["투자 구분", "앱 키", "상태", "토큰 만료 시각", "마지막 오류 코드"],
        }
        html = response.content.decode()
        for english in ["token expires at", "last error code", "max order"]:
            assert english not in html.lower(), english

    def test_the_user_list_filters_in_korean(self, korean_admin):
        html = korean_admin.get(reverse("admin:accounts_user_changelist")).content.decode()
        assert "키움증권 연동 (으)로" in html
        assert "실전투자 허용 (으)로" in html
        assert "real trading enabled" not in html.lower()
