"""The website's pages without a browser: who may see them, what they are given, languages, assets."""

import gettext
import json
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from brokerage import kiwoom
from brokerage.orders.models import OrderStatus
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import KiwoomCredentialFactory, OrderFactory

pytestmark = pytest.mark.django_db

PAGES = ["home", "balance", "order-ticket", "orders"]
LOCALE = Path(settings.BASE_DIR) / "locale"


def json_script(response, element_id: str):
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert match, f"no {element_id} in the page"
    return json.loads(match.group(1))


@pytest.fixture
def investor_client(user):
    client = Client()
    client.force_login(user)
    return client


class TestAccess:
    @pytest.mark.parametrize("name", ["balance", "order-ticket", "orders"])
    def test_pages_need_a_login(self, client, name):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={reverse(name)}"

    def test_visitors_get_the_landing_page(self, client):
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert response.templates[0].name == "brokerage/landing.html"

    @pytest.mark.parametrize("name", PAGES)
    def test_every_page_renders_for_an_investor(self, investor_client, name):
        response = investor_client.get(reverse(name))
        assert response.status_code == 200
        assert '<meta name="csrf-token"' in response.content.decode()


class TestHome:
    def test_a_user_without_keys_is_shown_as_not_connected(self, investor_client):
        status = json_script(investor_client.get(reverse("home")), "connection-status")
        assert status["connected"] is False

    def test_a_connected_user_sees_the_masked_key_and_never_a_secret(self, client):
        credential = KiwoomCredentialFactory()
        client.force_login(credential.user)
        response = client.get(reverse("home"))
        status = json_script(response, "connection-status")
        assert status["connected"] is True
        assert status["mode"] == "mock"
        assert status["app_key_masked"] == "••••••••WXYZ"
        html = response.content.decode()
        for secret in (credential.app_key, credential.app_secret, credential.access_token):
            assert secret not in html

    def test_disconnecting_warns_of_orders_it_leaves_open_at_kiwoom(self, client):
        credential = KiwoomCredentialFactory()
        OrderFactory(credential=credential, status=OrderStatus.ACCEPTED, kiwoom_order_number="0000001")
        OrderFactory(credential=credential, status=OrderStatus.FILLED, kiwoom_order_number="0000002")
        client.force_login(credential.user)

        html = client.get(reverse("home"), headers={"accept-language": "en"}).content.decode()

        assert "You have 1 open order at Kiwoom. Disconnecting does not cancel it" in html

    def test_no_warning_without_open_orders(self, client):
        credential = KiwoomCredentialFactory()
        client.force_login(credential.user)

        html = client.get(reverse("home")).content.decode()

        assert 'id="disconnect-open-orders"' not in html


class TestOrderTicket:
    def test_the_types_mock_takes_are_offered_with_whether_they_take_a_price(self, investor_client):
        html = investor_client.get(reverse("order-ticket")).content.decode()
        offered = dict(re.findall(r'<option value="(\d+)" data-requires-price="(true|false)"', html))
        # Stop-limit needs a stop price the API does not take; mock refuses the mid-price types.
        refused = {"28", "29", "30", "31"}
        assert offered == {
            t.value: str(t.requires_price).lower() for t in kiwoom.TradeType if t not in refused
        }
        assert re.search(r'<option value="3" data-requires-price="false"\s+selected>시장가</option>', html)
        assert "중간가" not in html and "스톱지정가" not in html

    def test_a_limit_order_is_called_지정가_as_korean_apps_do(self, investor_client):
        html = investor_client.get(reverse("order-ticket")).content.decode()
        assert ">지정가</option>" in html and ">지정가 IOC</option>" in html
        assert "보통" not in html

    def test_english_names_the_type_first_and_keeps_the_korean_term(self, investor_client):
        investor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        html = investor_client.get(reverse("order-ticket")).content.decode()
        assert ">Market (시장가)</option>" in html
        assert ">Limit (지정가)</option>" in html

    def test_a_whole_ticket_can_be_given_in_the_address(self, investor_client):
        query = {"side": "sell", "code": "005930", "quantity": "3", "trade_type": "0", "price": "70000"}
        html = investor_client.get(reverse("order-ticket"), query).content.decode()
        assert re.search(r'id="quantity"[^>]*value="3"', html)
        assert re.search(r'id="price"[^>]*value="70000"', html)
        assert re.search(r'<option value="0" data-requires-price="true"\s+selected>', html)

    def test_a_type_mock_refuses_cannot_be_given_in_the_address(self, investor_client):
        html = investor_client.get(
            reverse("order-ticket"), {"trade_type": "29", "quantity": "1e5"}
        ).content.decode()
        assert re.search(r'<option value="3" data-requires-price="false"\s+selected>', html)
        assert re.search(r'id="quantity"[^>]*value=""', html)

    def test_the_side_and_code_can_be_given_in_the_address(self, investor_client):
        response = investor_client.get(reverse("order-ticket"), {"side": "sell", "code": "005930"})
        html = response.content.decode()
        assert re.search(r'id="side-sell"\s+checked', html)
        assert 'value="005930"' in html

    def test_an_unknown_side_falls_back_to_buy(self, investor_client):
        response = investor_client.get(reverse("order-ticket"), {"side": "short"})
        assert response.context["side"] == "buy"


class TestOrdersPage:
    def test_the_script_knows_which_keys_may_change_orders(self, client):
        credential = KiwoomCredentialFactory()
        client.force_login(credential.user)

        html = client.get(reverse("orders")).content.decode()

        assert f'data-keys-suffix="{credential.key_fingerprint[-8:]}"' in html

    def test_without_keys_no_order_can_be_changed(self, investor_client):
        html = investor_client.get(reverse("orders")).content.decode()

        assert 'data-keys-suffix=""' in html

    def test_the_scripts_get_the_ledger_s_words_in_the_page_s_language(self, investor_client):
        labels = json_script(investor_client.get(reverse("orders")), "ledger-labels")
        assert labels["statuses"][OrderStatus.PARTIALLY_FILLED] == "일부 체결"
        assert labels["sides"] == {"buy": "매수", "sell": "매도"}
        assert labels["trade_types"]["0"] == "지정가"  # what Korean apps call it (Kiwoom says 보통)
        assert sorted(labels["open_statuses"]) == ["accepted", "partially_filled"]


class TestLanguages:
    def test_korean_is_the_default(self, investor_client):
        html = investor_client.get(reverse("balance")).content.decode()
        assert '<html lang="ko">' in html
        assert "나의 잔고" in html

    def test_the_switch_turns_the_site_english_and_back(self, investor_client):
        response = investor_client.post(
            reverse("set_language"), {"language": "en", "next": reverse("balance")}
        )
        assert response["Location"] == reverse("balance")
        html = investor_client.get(reverse("balance")).content.decode()
        assert '<html lang="en">' in html
        assert "My balance" in html
        assert 'name="language" value="ko"' in html  # the way back
        investor_client.post(reverse("set_language"), {"language": "ko", "next": "/"})
        assert "나의 잔고" in investor_client.get(reverse("balance")).content.decode()

    @pytest.mark.parametrize(
        ("language", "detail"),
        [
            ("ko", "연동된 키움증권 계좌가 없습니다. 먼저 키움증권 앱 키와 시크릿 키를 연동하세요."),
            ("en", "No Kiwoom account is connected. Connect your Kiwoom app key and secret first."),
        ],
    )
    def test_api_errors_the_pages_show_come_in_the_page_s_language(self, investor_client, language, detail):
        investor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = investor_client.get(reverse("kiwoom-account-balance"))
        assert response.status_code == 409
        assert response.json() == {"code": "kiwoom_not_connected", "detail": detail}

    def test_kiwoom_s_refusal_is_explained_in_korean(self, investor_client, kiwoom):
        investor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
        response = investor_client.post(
            reverse("kiwoom-credentials"),
            {"app_key": DEMO_APP_KEY, "app_secret": DEMO_APP_SECRET[:-1] + "9"},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json()["detail"].startswith("키움증권이 앱 키와 시크릿 키를 거부했습니다.")

    @pytest.mark.parametrize(("language", "won"), [("ko", "%s원"), ("en", "₩%s")])
    def test_the_scripts_catalog_follows_the_language(self, client, language, won):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        script = client.get(reverse("javascript-catalog")).content.decode()
        catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", script, re.DOTALL).group(1))
        assert catalog["₩%s"] == won

    def test_times_are_korea_time(self):
        assert settings.TIME_ZONE == "Asia/Seoul"


class TestMessageFiles:
    @pytest.mark.parametrize("language", ["ko", "en"])
    @pytest.mark.parametrize("domain", ["django", "djangojs"])
    def test_every_message_is_translated_and_compiled(self, language, domain, tmp_path):
        po = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
        # msgfmt --statistics: "N translated messages." and nothing fuzzy or untranslated.
        compiled = tmp_path / "messages.mo"
        result = subprocess.run(
            ["msgfmt", "--check", "--statistics", "-o", compiled, po],
            capture_output=True,
            text=True,
            check=True,
        )
        assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr
        committed = po.with_suffix(".mo")
        with committed.open("rb") as ours, compiled.open("rb") as fresh:
            stale = gettext.GNUTranslations(ours)._catalog != gettext.GNUTranslations(fresh)._catalog
        assert not stale, f"{committed} is stale: run compilemessages"


class TestAssets:
    @pytest.mark.parametrize("name", PAGES)
    def test_pages_load_nothing_from_other_sites(self, investor_client, name):
        html = investor_client.get(reverse(name)).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', html)
        for path in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
            assert finders.find(path), f"missing static file {path}"

    def test_vendored_chart_js_ships_with_its_licence(self):
        assert finders.find("vendor/chartjs/chart.umd.min.js")
        assert "MIT License" in Path(finders.find("vendor/chartjs/LICENSE.md")).read_text()
