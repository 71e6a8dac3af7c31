"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

Screenshots of every page, at desktop and phone width, go to artifacts/screenshots/ (kept out of git); a
failing browser test leaves its last screen in artifacts/screenshots/failures/.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

_reports = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item, so that fixtures can tell whether the test failed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Not for the session: Playwright's event loop runs until it stops, and
    pytest-django runs other tests (some with `asyncio.run`) after the transactional ones."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM calls (the tests'
    # own, and the database flush after each) from a thread with a running loop unless told otherwise. Only
    # while the loop runs: the rest of the suite keeps Django's check.
    with _environment(DJANGO_ALLOW_ASYNC_UNSAFE="true"), sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def _environment(**variables: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# The pages must work under a strict policy (issue 13): scripts only from the site, no inline script or
# handler, no eval; every browser test serves its pages with it, and any violation fails the test.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _with_strict_csp(route) -> None:
    if route.request.resource_type != "document":
        route.continue_()
        return
    # Redirects go back to the browser as they are: it must land on the page they name, at its own URL.
    response = route.fetch(max_redirects=0)
    route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})


@pytest.fixture
def page(browser, request):
    """A fresh browser context (no cookies) at desktop size, in Korean, in Korea time, under a strict CSP."""
    context = browser.new_context(viewport=DESKTOP, locale="ko-KR", timezone_id="Asia/Seoul")
    context.route("**/*", _with_strict_csp)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    yield tab
    call = request.node.stash.get(_reports, {}).get("call")
    if call is not None and call.failed:
        failures = SCREENSHOTS / "failures"
        failures.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=failures / f"{_slug(request.node.name)}.png", full_page=True)
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the pages: {errors}"


@pytest.fixture
def site(live_server, kiwoom, settings):
    """The live server, talking to the simulator; site-side Kiwoom rate limits out of the way."""
    settings.KIWOOM_RATE_LIMIT_MOCK = 1000
    settings.KIWOOM_BALANCE_CACHE_SECONDS = 0
    return live_server


def log_in(page, site, user) -> None:
    """Give the browser a session of `user` (the log-in form itself is covered by the journey test)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site.url}])


def shoot(page, name: str) -> None:
    """Save `name`-desktop.png and `name`-phone.png (full page), then go back to the desktop size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(150)  # let responsive charts redraw at the new width
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    overflowing = page.evaluate(OVERFLOW_SCRIPT)
    assert not overflowing, f"{name}: wider than a phone screen: {overflowing}"
    if "/admin/" not in page.url:  # the admin's widgets are Django's own
        unlabelled = page.evaluate(UNLABELLED_SCRIPT)
        assert not unlabelled, f"{name}: controls without a label: {unlabelled}"
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(50)


# Whether the page scrolls sideways at this width, with a few of the elements sticking out.
OVERFLOW_SCRIPT = """() => {
    const width = document.documentElement.clientWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth <= width) return [];
    const wide = [...document.querySelectorAll("body *")]
        .filter(e => e.getBoundingClientRect().right > width + 1)
        .slice(-6)
        .map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
    return [`scrollWidth ${scrollWidth} > ${width}`, ...wide];
}"""


# Visible form controls and buttons that a screen reader could not name.
UNLABELLED_SCRIPT = """() => {
    const named = e => ["aria-label", "aria-labelledby", "title"].some(name => e.getAttribute(name));
    const isButton = e => e.tagName === "BUTTON" || ["submit", "button", "reset"].includes(e.type);
    const labelled = e => isButton(e) ? e.textContent.trim() || e.value : e.labels && e.labels.length;
    return [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
        .filter(e => e.getClientRects().length > 0)
        .filter(e => !(named(e) || labelled(e)))
        .map(e => e.outerHTML.slice(0, 160));
}"""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]
