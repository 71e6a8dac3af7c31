"""An operator in the admin, in a real browser: the second factor first, then masked credentials, a token
refresh, and never a secret."""

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from brokerage.connections.models import KiwoomCredential
from brokerage.connections.services import credential_connect
from tests.accounts.test_second_factor import code_for
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import PASSWORD, UserFactory

from .conftest import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_sees_masked_credentials_refreshes_a_token_and_never_a_secret(page, site, kiwoom, settings):
    settings.ADMIN_REQUIRES_SECOND_FACTOR = True
    operator = UserFactory(username="operator", is_staff=True, is_superuser=True)
    device = account_services.totp_device_start(user=operator)
    device.confirmed = True
    device.save()
    investor = UserFactory(username="minji")
    credential = credential_connect(user=investor, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    first_token = credential.access_token
    issued_before = kiwoom.control.stats()["calls"].get("au10001", 0)
    pages: dict[str, str] = {}

    def visit(name: str) -> None:
        pages[name] = page.content()
        shoot(page, f"admin-{name}")

    page.goto(f"{site.url}/admin/")
    page.get_by_label("아이디").fill("operator")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.get_by_label("인증 코드").fill(code_for(device))
    page.get_by_role("button", name="확인").click()
    schedule = page.locator('a[href="/admin/django_celery_beat/periodictask/"]').first
    expect(schedule).to_be_visible()
    visit("01-index")

    page.goto(f"{site.url}/admin/accounts/user/")
    expect(page.locator("#result_list")).to_contain_text("minji")
    expect(page.locator("#result_list")).to_contain_text("정상")  # the connection's status, by user
    visit("02-users")

    page.get_by_role("link", name="minji").click()
    expect(page.get_by_text("거래 권한과 한도").first).to_be_visible()
    expect(page.locator("#kiwoom_credentials-group")).to_contain_text("••••••••0001")
    visit("03-user-change")

    page.goto(f"{site.url}/admin/brokerage/kiwoomcredential/")
    row = page.locator("#result_list tbody tr").filter(has_text="minji")
    expect(row).to_contain_text("••••••••0001")
    expect(row).to_contain_text(credential.key_fingerprint[-8:])
    expect(page.get_by_role("link", name="토큰 갱신 일정")).to_be_visible()
    visit("04-credentials")

    row.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("refresh_token")
    page.get_by_role("button", name="실행").click()
    expect(page.locator(".messagelist")).to_contain_text("연동 1건의 접근 토큰을 새로 발급했습니다.")
    visit("05-credentials-refreshed")
    credential.refresh_from_db()
    assert credential.access_token != first_token
    assert kiwoom.control.stats()["calls"].get("au10001", 0) == issued_before + 1

    page.locator("#result_list tbody tr").filter(has_text="minji").get_by_role("link").first.click()
    expect(page.locator("#content")).to_contain_text("••••••••0001")
    assert page.locator("input[name=app_key], input[name=app_secret], input[name=access_token]").count() == 0
    visit("06-credential-detail")
    page.get_by_role("link", name="히스토리").click()
    expect(page.locator("#change-history")).to_contain_text("접근 토큰을 재발급했습니다.")
    visit("07-credential-history")

    page.goto(f"{site.url}/admin/brokerage/kiwoomcredential/?q=0001")
    expect(page.locator("#result_list")).to_contain_text("minji")
    pages["credential-search"] = page.content()
    page.goto(f"{site.url}/admin/django_celery_beat/periodictask/")
    visit("08-refresh-schedule")

    secrets = {DEMO_APP_KEY, DEMO_APP_SECRET, first_token, credential.access_token}
    for name, html in pages.items():
        for secret in secrets:
            assert secret not in html, f"a secret appears in the admin page {name}"
    assert KiwoomCredential.objects.filter(user=investor).count() == 1
