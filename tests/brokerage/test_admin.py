"""The operators' admin: no secret ever shown or decrypted, token actions at the simulator, the ledger."""

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from brokerage.connections.models import CredentialStatus, KiwoomCredential
from brokerage.connections.services import credential_connect
from brokerage.orders.models import Order, OrderStatus, TradingProfile
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import KiwoomCredentialFactory, UserFactory

pytestmark = pytest.mark.django_db

CREDENTIALS = reverse("admin:brokerage_kiwoomcredential_changelist")
ORDERS = reverse("admin:brokerage_order_changelist")
USERS = reverse("admin:accounts_user_changelist")


@pytest.fixture
def operator():
    return UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(operator):
    client = Client(headers={"accept-language": "en"})
    client.force_login(operator)
    return client


@pytest.fixture
def connected(kiwoom):
    """An investor connected to the simulator with the demo keys (a real token)."""
    investor = UserFactory(username="minji")
    return credential_connect(user=investor, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)


def secrets_of(credential: KiwoomCredential) -> list[str]:
    credential = KiwoomCredential.objects.get(pk=credential.pk)
    return [credential.app_key, credential.app_secret, credential.access_token]


def assert_no_secret(html: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in html


def run_action(client, url, action, objects):
    return client.post(
        url, {"action": action, "_selected_action": [o.pk for o in objects], "index": 0}, follow=True
    )


def issued(kiwoom, api_id: str) -> int:
    return kiwoom.control.stats()["calls"].get(api_id, 0)


class TestCredentialPages:
    def test_the_list_shows_masked_key_fingerprint_and_token_health(self, admin_client):
        credential = KiwoomCredentialFactory(user__username="minji")
        html = admin_client.get(CREDENTIALS).content.decode()
        assert "minji" in html
        assert "••••••••WXYZ" in html
        assert f"…{credential.key_fingerprint[-8:]}" in html
        assert_no_secret(html, secrets_of(credential))

    def test_the_detail_page_is_view_only_and_has_no_secret_field(self, admin_client):
        credential = KiwoomCredentialFactory()
        response = admin_client.get(reverse("admin:brokerage_kiwoomcredential_change", args=[credential.pk]))
        html = response.content.decode()
        assert response.status_code == 200
        assert "••••••••WXYZ" in html
        assert credential.key_fingerprint in html
        for field in ("app_key", "app_secret", "access_token"):
            assert f'name="{field}"' not in html
        assert 'name="_save"' not in html
        assert_no_secret(html, secrets_of(credential))

    def test_search_filters_and_history_show_no_secret(self, admin_client, connected):
        secrets = secrets_of(connected)
        pages = [
            f"{CREDENTIALS}?q=minji",
            f"{CREDENTIALS}?q=0001",
            f"{CREDENTIALS}?q={connected.key_fingerprint[:16]}",
            f"{CREDENTIALS}?status__exact=active",
            f"{CREDENTIALS}?token=valid",
            reverse("admin:brokerage_kiwoomcredential_history", args=[connected.pk]),
        ]
        for url in pages:
            response = admin_client.get(url)
            assert response.status_code == 200, url
            assert_no_secret(response.content.decode(), secrets)
        assert "minji" in admin_client.get(pages[2]).content.decode()

    def test_searching_by_a_secret_finds_nothing(self, admin_client, connected):
        response = admin_client.get(f"{CREDENTIALS}?q={DEMO_APP_SECRET}")
        assert response.context["cl"].result_count == 0

    def test_the_token_expiry_filter(self, admin_client):
        now = timezone.now()
        expired = KiwoomCredentialFactory(token_expires_at=now - timedelta(minutes=1))
        soon = KiwoomCredentialFactory(token_expires_at=now + timedelta(minutes=5))
        valid = KiwoomCredentialFactory(token_expires_at=now + timedelta(hours=5))
        for value, expected in [("expired", expired), ("soon", soon), ("valid", valid)]:
            shown = list(admin_client.get(f"{CREDENTIALS}?token={value}").context["cl"].result_list)
            assert shown == [expected], value

    def test_the_admin_never_decrypts_a_secret(self, admin_client):
        """Even with undecryptable ciphertext in every secret column, every admin page still renders."""
        credential = KiwoomCredentialFactory(user__username="minji")
        order = make_order(credential.user, credential=credential)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE brokerage_kiwoomcredential SET app_key = %s, app_secret = %s, access_token = %s "
                "WHERE id = %s",
                ["not-a-fernet-token"] * 3 + [credential.pk],
            )
        urls = [
            CREDENTIALS,
            reverse("admin:brokerage_kiwoomcredential_change", args=[credential.pk]),
            reverse("admin:accounts_user_change", args=[credential.user.pk]),
            USERS,
            ORDERS,
            reverse("admin:brokerage_order_change", args=[order.pk]),
        ]
        for url in urls:
            assert admin_client.get(url).status_code == 200, url

    def test_operators_cannot_add_edit_or_delete_keys_by_hand(self, admin_client):
        credential = KiwoomCredentialFactory()
        change = reverse("admin:brokerage_kiwoomcredential_change", args=[credential.pk])
        assert admin_client.get(reverse("admin:brokerage_kiwoomcredential_add")).status_code == 403
        assert admin_client.post(change, {"status": "invalid"}).status_code == 403
        delete = reverse("admin:brokerage_kiwoomcredential_delete", args=[credential.pk])
        assert admin_client.post(delete, {"post": "yes"}).status_code == 403
        assert KiwoomCredential.objects.get(pk=credential.pk).status == CredentialStatus.ACTIVE

    def test_the_list_links_to_the_refresh_schedule(self, admin_client):
        html = admin_client.get(CREDENTIALS).content.decode()
        assert f'href="{reverse("admin:django_celery_beat_periodictask_changelist")}"' in html

    def test_the_refresh_schedule_is_on_the_admin_index(self, admin_client):
        html = admin_client.get(reverse("admin:index")).content.decode()
        assert reverse("admin:django_celery_beat_periodictask_changelist") in html


class TestCredentialActions:
    def test_refresh_now_issues_one_new_token(self, admin_client, connected, kiwoom):
        old_token = secrets_of(connected)[2]
        before = issued(kiwoom, "au10001")
        kiwoom.control.advance_clock(60)  # a token issued later expires later: it is a new one
        response = run_action(admin_client, CREDENTIALS, "refresh_token", [connected])
        assert "Issued a new access token for 1 credential." in response.content.decode()
        connected.refresh_from_db()
        assert connected.access_token != old_token
        assert issued(kiwoom, "au10001") == before + 1
        entry = LogEntry.objects.get(object_id=str(connected.pk))
        assert entry.get_change_message() == "Refreshed the access token."
        assert_no_secret(response.content.decode(), [old_token, *secrets_of(connected)])

    def test_refresh_now_says_when_kiwoom_hands_back_the_same_token(self, admin_client, connected, kiwoom):
        kiwoom.control.configure(reissue_mode="same")
        old_token = secrets_of(connected)[2]
        response = run_action(admin_client, CREDENTIALS, "refresh_token", [connected])
        assert (
            "Kiwoom handed back the same token; it stays in use until it expires."
            in response.content.decode()
        )
        assert secrets_of(connected)[2] == old_token
        assert not LogEntry.objects.exists()

    def test_refresh_now_reports_kiwoom_being_down_and_keeps_the_token(self, admin_client, connected, kiwoom):
        old_token = secrets_of(connected)[2]
        kiwoom.control.inject_fault("http_5xx", api_id="au10001", count=5, status=503)
        response = run_action(admin_client, CREDENTIALS, "refresh_token", [connected])
        html = response.content.decode()
        assert "the token could not be refreshed" in html
        assert "Kiwoom cannot be reached right now" in html
        assert secrets_of(connected)[2] == old_token

    def test_disconnect_revokes_the_token_then_deletes_the_keys(self, admin_client, connected, kiwoom):
        before = issued(kiwoom, "au10002")
        response = run_action(admin_client, CREDENTIALS, "disconnect", [connected])
        assert "Revoked the token and deleted the keys of 1 credential." in response.content.decode()
        assert not KiwoomCredential.objects.exists()
        assert issued(kiwoom, "au10002") == before + 1
        entry = LogEntry.objects.get()
        assert (entry.is_deletion(), entry.object_repr) == (True, "minji · Mock trading · …0001")

    def test_staff_who_may_only_look_cannot_run_the_actions(self, connected, kiwoom):
        viewer = UserFactory(is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_kiwoomcredential"))
        client = Client(headers={"accept-language": "en"})
        client.force_login(viewer)
        page = client.get(CREDENTIALS)
        assert page.status_code == 200
        assert "refresh_token" not in page.content.decode()
        before = issued(kiwoom, "au10001")
        run_action(client, CREDENTIALS, "refresh_token", [connected])
        run_action(client, CREDENTIALS, "disconnect", [connected])
        assert issued(kiwoom, "au10001") == before
        assert KiwoomCredential.objects.filter(pk=connected.pk).exists()


def make_order(user, **fields) -> Order:
    defaults = {"side": "buy", "stock_code": "005930", "quantity": 1, "trade_type": "3"}
    return Order.objects.create(user=user, **{**defaults, **fields})


class TestRefreshTokens:
    def test_stocklab_s_own_refresh_tokens_are_listed_but_never_shown(self, admin_client):
        refresh = RefreshToken.for_user(UserFactory(username="minji"))
        outstanding = OutstandingToken.objects.get(jti=refresh["jti"])
        pages = [
            reverse("admin:token_blacklist_outstandingtoken_changelist"),
            reverse("admin:token_blacklist_outstandingtoken_change", args=[outstanding.pk]),
        ]
        for url in pages:
            response = admin_client.get(url)
            assert response.status_code == 200
            html = response.content.decode()
            assert refresh["jti"] in html
            assert str(refresh) not in html


class TestOrderLedger:
    def test_the_ledger_is_read_only(self, admin_client):
        order = make_order(UserFactory(), status=OrderStatus.ACCEPTED, kiwoom_order_number="0000001")
        change = reverse("admin:brokerage_order_change", args=[order.pk])
        page = admin_client.get(change)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert admin_client.post(change, {"status": "filled"}).status_code == 403
        assert admin_client.get(reverse("admin:brokerage_order_add")).status_code == 403
        delete = reverse("admin:brokerage_order_delete", args=[order.pk])
        assert admin_client.post(delete, {"post": "yes"}).status_code == 403
        order.refresh_from_db()
        assert order.status == OrderStatus.ACCEPTED

    def test_filters_by_status_user_code_and_date(self, admin_client):
        minji, jisoo = UserFactory(), UserFactory()
        filled = make_order(minji, status=OrderStatus.FILLED)
        rejected = make_order(jisoo, status=OrderStatus.REJECTED, stock_code="000660")
        old = make_order(minji, status=OrderStatus.CANCELLED)
        Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)

        def shown(query: str) -> set[int]:
            response = admin_client.get(f"{ORDERS}?{query}")
            assert response.status_code == 200, query
            return {order.pk for order in response.context["cl"].result_list}

        assert shown("status__exact=filled") == {filled.pk}
        assert shown(f"user__id__exact={minji.pk}") == {filled.pk, old.pk}
        assert shown("stock_code=000660") == {rejected.pk}
        today = urlencode({"created_at__gte": midnight, "created_at__lt": midnight + timedelta(days=1)})
        assert shown(today) == {
            filled.pk,
            rejected.pk,
        }
        assert shown(f"q={jisoo.username}") == {rejected.pk}


class TestUsers:
    def test_the_list_shows_each_user_s_connection(self, admin_client):
        KiwoomCredentialFactory(user__username="minji")
        KiwoomCredentialFactory(user__username="jisoo", status=CredentialStatus.INVALID)
        UserFactory(username="dohyun")
        changelist = admin_client.get(USERS).context["cl"]
        shown = {u.username: str(changelist.model_admin.kiwoom_connection(u)) for u in changelist.result_list}
        assert shown["minji"] == "Active"
        assert shown["jisoo"] == "Keys refused by Kiwoom"
        assert shown["dohyun"] == "Not connected"
        connected = {u.username for u in admin_client.get(f"{USERS}?kiwoom=active").context["cl"].result_list}
        assert connected == {"minji"}
        not_connected = {
            u.username for u in admin_client.get(f"{USERS}?kiwoom=none").context["cl"].result_list
        }
        assert not_connected == {"dohyun", "operator"}

    def test_the_user_page_shows_the_masked_connection_and_no_secret(self, admin_client, connected):
        html = admin_client.get(
            reverse("admin:accounts_user_change", args=[connected.user.pk])
        ).content.decode()
        assert "••••••••0001" in html
        assert_no_secret(html, secrets_of(connected))

    def test_limits_and_real_trading_are_set_inline(self, admin_client):
        user = UserFactory(username="minji")
        url = reverse("admin:accounts_user_change", args=[user.pk])
        data = {
            "username": user.username,
            "email": user.email,
            "is_active": "on",
            "date_joined_0": "2026-01-02",
            "date_joined_1": "09:00:00",
            "trading_profile-TOTAL_FORMS": "1",
            "trading_profile-INITIAL_FORMS": "0",
            "trading_profile-MIN_NUM_FORMS": "0",
            "trading_profile-MAX_NUM_FORMS": "1",
            "trading_profile-0-real_trading_enabled": "on",
            "trading_profile-0-max_order_quantity": "100",
            "trading_profile-0-max_order_value": "5000000",
            "trading_profile-0-user": str(user.pk),
            "kiwoom_credentials-TOTAL_FORMS": "0",
            "kiwoom_credentials-INITIAL_FORMS": "0",
            "kiwoom_credentials-MIN_NUM_FORMS": "0",
            "kiwoom_credentials-MAX_NUM_FORMS": "1000",
        }
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.context["errors"] if response.context else response
        profile = TradingProfile.objects.get(user=user)
        assert (profile.real_trading_enabled, profile.max_order_quantity, profile.max_order_value) == (
            True,
            100,
            5_000_000,
        )

    def test_actions_enable_and_disable_real_trading(self, admin_client):
        minji, jisoo = UserFactory(), UserFactory()
        TradingProfile.objects.create(user=jisoo, max_order_quantity=10)
        response = run_action(admin_client, USERS, "enable_real_trading", [minji, jisoo])
        assert "Real trading enabled for 2 users." in response.content.decode()
        assert set(
            TradingProfile.objects.filter(real_trading_enabled=True).values_list("user", flat=True)
        ) == {
            minji.pk,
            jisoo.pk,
        }
        assert TradingProfile.objects.get(user=jisoo).max_order_quantity == 10  # limits stay
        run_action(admin_client, USERS, "disable_real_trading", [jisoo])
        assert not TradingProfile.objects.get(user=jisoo).real_trading_enabled
        assert TradingProfile.objects.get(user=minji).real_trading_enabled

    def test_the_disconnect_action_revokes_and_deletes(self, admin_client, connected, kiwoom):
        before = issued(kiwoom, "au10002")
        response = run_action(admin_client, USERS, "disconnect_kiwoom", [connected.user])
        assert "Disconnected 1 Kiwoom credential." in response.content.decode()
        assert not KiwoomCredential.objects.exists()
        assert issued(kiwoom, "au10002") == before + 1
        assert User.objects.filter(pk=connected.user.pk).exists()


@pytest.fixture
def korean_admin(operator):
    """The admin as operators see it by default: in the site's language, Korean."""
    client = Client(headers={"accept-language": "ko"})
    client.force_login(operator)
    return client


def column_headers(response) -> list[str]:
    """The change list's column titles, without the selection checkbox's."""
    return [
        str(header["text"])
        for header in result_headers(response.context["cl"])
        if "action-checkbox-column" not in header["class_attrib"]
    ]


def filter_titles(response) -> list[str]:
    return [str(spec.title) for spec in response.context["cl"].filter_specs]


def shown_fields(response) -> dict[str, str]:
    """A view-only change page's fields, label -> value as rendered."""
    return {
        str(field.field["label"]): str(field.contents())
        for fieldset in response.context["adminform"]
        for line in fieldset
        for field in line
    }


def assert_no_english(html: str, phrases: list[str]) -> None:
    for phrase in phrases:
        assert phrase not in html.lower(), phrase


class TestKorean:
    """Korean operators get a Korean admin: model names, columns, filters, labels and object titles."""

    def test_the_index_names_the_models_in_korean(self, korean_admin):
        app_list = korean_admin.get(reverse("admin:index")).context["app_list"]
        brokerage = next(app for app in app_list if app["app_label"] == "brokerage")
        assert {model["object_name"]: str(model["name"]) for model in brokerage["models"]} == {
            "KiwoomCredential": "키움증권 연동",
            "Order": "주문",
            "TradingProfile": "거래 권한과 한도",
            "StreamState": "실시간 스트림",
            "Stock": "종목",
            "Watchlist": "관심종목 그룹",
            "AccountSnapshot": "계좌 스냅샷",
            "IndexDaily": "지수 종가",
        }

    def test_the_credential_list(self, korean_admin):
        KiwoomCredentialFactory(user__username="minji")
        response = korean_admin.get(CREDENTIALS)
        assert column_headers(response) == [
            "사용자",
            "투자 구분",
            "앱 키",
            "키 지문",
            "상태",
            "토큰 만료 시각",
            "마지막 재발급 시각",
            "마지막 재발급 결과",
            "마지막 오류 코드",
        ]
        assert filter_titles(response) == [
            "투자 구분",
            "상태",
            "토큰 만료",
            "마지막 재발급 결과",
            "마지막 오류 코드",
        ]
        html = response.content.decode()
        assert "마지막 오류 코드 (으)로" in html
        assert_no_english(
            html, ["kiwoom credential", "token expires at", "last error code", "key fingerprint"]
        )

    def test_the_credential_page(self, korean_admin):
        credential = KiwoomCredentialFactory(user__username="minji")
        response = korean_admin.get(reverse("admin:brokerage_kiwoomcredential_change", args=[credential.pk]))
        assert list(shown_fields(response)) == [
            "사용자",
            "투자 구분",
            "앱 키",
            "키 지문",
            "상태",
            "토큰 만료 시각",
            "마지막 재발급 시각",
            "마지막 재발급 시도 시각",
            "마지막 재발급 결과",
            "마지막 오류 코드",
            "마지막 오류 메시지",
            "마지막 오류 시각",
            "생성 시각",
            "수정 시각",
        ]
        html = response.content.decode()
        assert "minji · 모의투자 · …WXYZ" in html
        assert_no_english(html, ["kiwoom credential", "key fingerprint", "token expires at", "· mock ·"])

    def test_the_order_list(self, korean_admin):
        make_order(UserFactory(username="minji"), status=OrderStatus.FILLED, filled_quantity=1)
        response = korean_admin.get(ORDERS)
        assert column_headers(response) == [
            "생성 시각",
            "사용자",
            "주문 종류",
            "매수·매도",
            "종목 코드",
            "종목명",
            "수량",
            "매매구분",
            "주문 가격",
            "체결 수량",
            "상태",
            "키움증권 주문번호",
            "투자 구분",
        ]
        assert "시장가 (market)" in response.content.decode()
        assert_no_english(response.content.decode(), ["filled quantity", "stock code", "trade type"])

    def test_the_order_page_names_the_order_and_its_trade_type(self, korean_admin):
        order = make_order(UserFactory(username="minji"), status=OrderStatus.FILLED, filled_quantity=1)
        response = korean_admin.get(reverse("admin:brokerage_order_change", args=[order.pk]))
        fields = shown_fields(response)
        assert fields["매매구분"] == "시장가 (market)"
        assert fields["체결 수량"] == "1"
        assert fields["원주문"] == "-"
        html = response.content.decode()
        assert "매수 005930 1주 (체결)" in html
        assert_no_english(html, ["trade type", "kiwoom order number", "buy 005930", "(filled)"])

    def test_the_trading_profile_list(self, korean_admin):
        TradingProfile.objects.create(user=UserFactory(username="minji"))
        response = korean_admin.get(reverse("admin:brokerage_tradingprofile_changelist"))
        assert column_headers(response) == [
            "사용자",
            "실전투자 허용",
            "1회 주문 최대 수량(주)",
            "1회 주문 최대 금액(원)",
            "수정 시각",
        ]
        assert_no_english(response.content.decode(), ["trading profile", "real trading enabled"])

    def test_the_trading_profile_page(self, korean_admin):
        profile = TradingProfile.objects.create(user=UserFactory(username="minji"))
        html = korean_admin.get(
            reverse("admin:brokerage_tradingprofile_change", args=[profile.pk])
        ).content.decode()
        assert "minji의 거래 권한과 한도" in html
        assert_no_english(html, ["trading profile", "max order quantity"])

    def test_the_limits_say_the_sites_own_numbers(self, korean_admin, settings):
        settings.ORDER_MAX_QUANTITY, settings.ORDER_MAX_VALUE = 12_345, 50_000_000
        profile = TradingProfile.objects.create(user=UserFactory())

        html = korean_admin.get(
            reverse("admin:brokerage_tradingprofile_change", args=[profile.pk])
        ).content.decode()

        assert "12,345" in html and "50,000,000" in html
        assert "ORDER_MAX_QUANTITY" not in html


class TestOperatorActionsInTheAuditTrail:
    """Each action is recorded as `admin.action`: the operator, what and on whom, the IP and the request id;
    never a secret."""

    @pytest.fixture(autouse=True)
    def committed(self, django_capture_on_commit_callbacks):
        """Runs what is left for after the commit (the test's transaction never commits)."""
        self.after_commit = lambda: django_capture_on_commit_callbacks(execute=True)

    @pytest.fixture
    def audited_client(self, operator):
        client = Client(
            headers={"accept-language": "en", "x-request-id": "req-admin-1"}, REMOTE_ADDR="198.51.100.4"
        )
        client.force_login(operator)
        return client

    def admin_events(self):
        from accounts.models import SecurityEvent

        return list(SecurityEvent.objects.filter(action=SecurityEvent.Action.ADMIN_ACTION))

    def test_refresh_token_now(self, audited_client, operator, connected, kiwoom):
        old_token = connected.access_token
        with self.after_commit():
            run_action(audited_client, CREDENTIALS, "refresh_token", [connected])

        [event] = self.admin_events()
        assert (event.user, event.outcome) == (operator, "success")
        assert (event.ip_address, event.request_id) == ("198.51.100.4", "req-admin-1")
        assert event.details["operation"] == "refresh_token"
        assert (event.details["credential_id"], event.details["target_user_id"]) == (
            connected.pk,
            connected.user_id,
        )
        text = json.dumps(event.details) + str(event.__dict__)
        assert_no_secret(text, [*secrets_of(connected), old_token])

    def test_disconnect_records_the_operator_and_the_owners_disconnect(
        self, audited_client, operator, connected
    ):
        from accounts.models import SecurityEvent

        secrets = secrets_of(connected)
        with self.after_commit():
            run_action(audited_client, CREDENTIALS, "disconnect", [connected])

        [event] = self.admin_events()
        assert (event.user, event.details["operation"]) == (operator, "disconnect")
        [owners] = SecurityEvent.objects.filter(action=SecurityEvent.Action.CREDENTIAL_DISCONNECT)
        assert (owners.user_id, owners.ip_address, owners.request_id) == (
            connected.user_id,
            "198.51.100.4",
            "req-admin-1",
        )
        for recorded in (event, owners):
            assert_no_secret(json.dumps(recorded.details) + str(recorded.__dict__), secrets)

    @pytest.mark.parametrize("action", ["enable_real_trading", "disable_real_trading"])
    def test_real_trading_switches(self, audited_client, operator, action):
        investor = UserFactory(username="jisoo")
        with self.after_commit():
            run_action(audited_client, USERS, action, [investor])

        [event] = self.admin_events()
        assert (event.user, event.details) == (operator, {"operation": action, "target_user_id": investor.pk})
