"""Account and admin pages in a real browser: sign-up's errors, the security events' times, the balance's
weights, the 404 page, and the admin's words and links."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from playwright.sync_api import expect

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from brokerage.connections.services import credential_connect
from tests.conftest import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.factories import PASSWORD, UserFactory

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
KST_TIME = re.compile(r"^\d{4}\. \d\d\. \d\d\. \d\d:\d\d:\d\d KST$")  # as static/js/lib/format.js writes it


def test_sign_up_says_the_username_is_taken_beside_the_other_errors(page, site):
    UserFactory(username="minji")
    page.goto(f"{site.url}/accounts/signup/")
    page.get_by_label("아이디").fill("Minji")
    page.get_by_label("이메일").fill("minji@example.com")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD + "x")
    page.get_by_role("button", name="회원가입").click()

    expect(page.get_by_label("아이디")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("이미 사용 중인 아이디입니다.")).to_be_visible()
    expect(page.get_by_label("비밀번호 확인")).to_have_attribute("aria-invalid", "true")


def test_security_events_are_dated_in_korea_time_as_the_other_pages_are(page, site):
    user = UserFactory()
    security_event_record(action=SecurityEvent.Action.SIGN_IN, user=user)
    log_in(page, site, user)
    page.goto(f"{site.url}/accounts/security/events/")
    when = page.locator("table tbody tr td").first
    expect(when).to_have_text(KST_TIME)


def test_the_balance_says_by_what_its_weights_and_its_donut_are(page, site, kiwoom):
    user = UserFactory()
    credential_connect(user=user, app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET)
    log_in(page, site, user)
    page.goto(f"{site.url}/balance/")
    expect(page.get_by_role("columnheader", name="비중 (매입금액 기준)")).to_be_visible()
    expect(page.locator("figcaption").filter(has_text="종목별 비중")).to_have_text(
        "종목별 비중 (평가금액 기준)"
    )


def test_a_missing_page_is_the_site_s_own_without_the_url_patterns(page, site):
    response = page.goto(f"{site.url}/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="페이지를 찾을 수 없습니다")).to_be_visible()
    expect(page.get_by_role("link", name="홈으로 가기")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("URLconf")


def test_the_demo_settings_leave_debug_s_technical_404_off_unless_asked():
    """DEBUG's 404 lists every URL pattern of the site: the demo (local settings) runs without it."""
    script = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "stocklab.settings.local"}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.stdout.strip() == "False", run.stderr
    env["DJANGO_DEBUG"] = "1"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.stdout.strip() == "True", run.stderr


def test_third_party_words_keep_their_own_korean():
    with translation.override("ko"):
        assert "보기위한" not in translation.gettext("Select %s to view")
        assert translation.gettext("Name") != "종목명"  # django-celery-beat's column, among others
        assert translation.pgettext("stock", "Name") == "종목명"


def test_the_admin_names_every_section_and_its_schedule_link_is_the_token_sweep(page, site, settings):
    settings.ADMIN_REQUIRES_SECOND_FACTOR = False
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(
        name="kiwoom-token-sweep",
        task="brokerage.connections.tasks.kiwoom_token_sweep",
        interval=every_minute,
    )
    PeriodicTask.objects.create(
        name="celery.backend_cleanup", task="celery.backend_cleanup", interval=every_minute
    )
    log_in(page, site, UserFactory(is_staff=True, is_superuser=True))

    page.goto(f"{site.url}/admin/")
    expect(page.locator("#content-main")).not_to_contain_text("OTP_TOTP")
    expect(page.locator("#content-main")).to_contain_text("2단계 인증")

    page.goto(f"{site.url}/admin/brokerage/kiwoomcredential/")
    page.get_by_role("link", name="토큰 갱신 일정").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("kiwoom-token-sweep")
    expect(page.locator("#result_list thead")).not_to_contain_text("종목명")
