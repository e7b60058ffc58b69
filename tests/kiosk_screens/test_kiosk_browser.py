"""The kiosk screens in Debian's Chromium at a portrait 1080x1920 screen: the keypad, the idle
timeout that wipes the screen, and the out-of-service cover when the platform cannot be reached.
kiosk.js runs under the site's CSP (no inline script or style): any CSP violation fails a test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from tests.conftest import chromium_path
from tests.kiosk_screens.conftest import IDENTIFIED_EMPTY, KIOSK, SUCCEEDS, assert_books_balance
from topup.cli.demo_data import demo_data_load
from topup.kiosks.models import KioskSession
from topup.kiosks.services import kiosks_demo_setup
from topup.topups.models import TopupOrder, TopupStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 10_000
ARTIFACTS = (
    Path(os.environ.get("TOPUP_TEST_ARTIFACTS", "var/test-artifacts/browser")).resolve()
    / "kiosk_screens"
)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the test's own database calls
    # (demo data, checks) are synchronous and safe here, so Django's async guard is lifted.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


@pytest.fixture
def screen(browser: Browser, live_server: LiveServer, settings: Settings) -> Iterator[Page]:
    """A kiosk browser at 1080x1920, enrolled as the demo kiosk, on the attract screen."""
    settings.TOPUP_PUBLIC_URL = live_server.url
    settings.TOPUP_KIOSK_PRINTERS = {}
    settings.TOPUP_KIOSK_IDLE_S = 12
    demo_data_load()
    codes = {kiosk.code: code for kiosk, code in kiosks_demo_setup()}
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="en")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    violations: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "favicon" in message.location.get("url", "") or "net::ERR_FAILED" in message.text:
            return  # the browser's own /favicon.ico; requests a test cuts off on purpose
        if "Content Security Policy" in message.text or message.type == "error":
            violations.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", console)
    page.goto(f"{live_server.url}/kiosk/enrol/{codes[KIOSK]}")
    page.get_by_role("button", name="Enrol this kiosk").click()
    page.wait_for_url("**/kiosk/")
    yield page
    context.close()
    assert violations == [], violations


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_card_journey_with_the_on_screen_keypad(screen: Page) -> None:
    shoot(screen, "01-attract")
    screen.get_by_role("link", name="Touch to start").first.click()
    screen.get_by_role("button", name="English").click()
    shoot(screen, "02-identify")
    screen.get_by_role("link", name="Insert your bank card").click()
    screen.get_by_label("Card number (simulated card reader)").fill(SUCCEEDS)
    screen.get_by_role("button", name="Insert the card").click()
    screen.wait_for_url("**/kiosk/number")

    hint = screen.locator("#msisdn-hint")
    for key in "047000000":
        screen.locator(f'[data-keypad] button[data-key="{key}"]').click()
    assert "Keep typing" in hint.inner_text()
    screen.locator('[data-keypad] button[data-key="2"]').click()
    assert screen.locator("#msisdn").input_value() == "0470 00 00 02"
    assert hint.inner_text() == "Complete Belgian mobile number."
    shoot(screen, "03-keypad")
    screen.get_by_role("button", name="Continue").click()
    screen.get_by_role("button", name="Yes, this is the right number").click()
    screen.get_by_role("button", name="€10.00").click()
    shoot(screen, "04-summary")
    screen.get_by_role("button", name="with your card").click()
    screen.wait_for_url("**/kiosk/receipt")
    screen.get_by_role("button", name="Print my receipt").click()
    screen.wait_for_url("**/kiosk/done")
    shoot(screen, "05-done")
    order = TopupOrder.objects.get(channel="kiosk")
    assert order.status == TopupStatus.CREDITED
    assert_books_balance()


def test_the_idle_timeout_warns_then_wipes_the_screen(screen: Page) -> None:
    screen.get_by_role("link", name="Touch to start").first.click()
    screen.get_by_role("button", name="English").click()
    screen.get_by_role("link", name="Insert your bank card").click()
    warning = screen.locator("#idle-warning")
    warning.wait_for(state="visible", timeout=5_000)
    shoot(screen, "06-idle-warning")
    screen.get_by_role("button", name="I need more time").click()
    assert warning.is_hidden()
    warning.wait_for(state="visible", timeout=5_000)
    screen.wait_for_url("**/kiosk/", timeout=15_000)
    assert KioskSession.objects.get().ended_at is not None
    shoot(screen, "07-after-idle")
    # The back button leads nowhere: the old page is not cached and its session is gone.
    screen.go_back()
    screen.wait_for_url("**/kiosk/")
    assert "Touch to start" in screen.locator("main").inner_text()


def test_the_screen_goes_out_of_service_when_the_platform_cannot_be_reached(
    screen: Page, settings: Settings
) -> None:
    settings.TOPUP_KIOSK_IDLE_S = 600  # the clock runs a minute ahead: no idle wipe meanwhile
    screen.get_by_role("link", name="Touch to start").first.click()
    screen.get_by_role("button", name="English").click()
    screen.get_by_role("link", name="Insert your bank card").click()
    screen.get_by_label("Card number (simulated card reader)").fill(SUCCEEDS)
    screen.get_by_role("button", name="Insert the card").click()
    screen.locator("#msisdn").fill(IDENTIFIED_EMPTY)  # typed on a keyboard, also fine
    screen.get_by_role("button", name="Continue").click()
    screen.get_by_role("button", name="Yes, this is the right number").click()
    screen.get_by_role("button", name="€10.00").click()
    screen.wait_for_url("**/kiosk/summary")

    def unreachable(route: Route) -> None:
        route.abort("failed")

    screen.route("**/kiosk/heartbeat", unreachable)
    screen.clock.install()
    screen.reload()
    cover = screen.locator("#out-of-service")
    assert cover.is_hidden()
    screen.clock.run_for(31_000)
    assert cover.is_hidden(), "one failure is not yet an outage"
    screen.clock.run_for(30_000)
    cover.wait_for(state="visible")
    assert screen.locator("body").get_attribute("data-out-of-service") == "true"
    payments = screen.locator("button[data-payment]")
    assert payments.count() == 2
    assert all(payments.nth(i).is_disabled() for i in range(payments.count()))
    assert not TopupOrder.objects.exists()
    shoot(screen, "08-out-of-service")
