"""Whole kiosk journeys in Debian's Chromium at a portrait 1080x1920 screen (issue 5): a card
journey in French on the on-screen keypad, a QR journey where a second browser context plays the
customer's phone (web login, hand-off, Bancontact QR), a declined card, and a receipt shown on
screen because the printer is out of paper. Screenshots of the key screens go to the artifacts
folder; the books must balance after every journey. Any CSP violation or console error fails.

The kiosk shows its hand-off and payment links as QR codes only (inline SVG data: URIs). The
tests read the link where the kiosk keeps it (its server-side session, the order) and check that
the QR code on screen is exactly that link's QR code before the "phone" opens it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    sync_playwright,
)
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from tests.browser.conftest import read_code
from tests.conftest import chromium_path
from tests.kiosk_screens.conftest import (
    DECLINED,
    IDENTIFIED_EMPTY,
    KIOSK,
    SUCCEEDS,
    assert_books_balance,
)
from topup.channels.kiosk.device.journey import HANDOFF_URL
from topup.channels.kiosk.device.views.identity import qr_data_uri
from topup.cli.demo_data import demo_data_load
from topup.core.sessions import SessionStore
from topup.kiosks.models import KioskDevice, KioskIdentity, KioskSession
from topup.kiosks.services import kiosk_heartbeat, kiosks_demo_setup
from topup.subscribers.models import Sim
from topup.subscribers.selectors import sim_balance, sim_masked_name
from topup.topups.models import TopupOrder, TopupStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 10_000
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
PHONE: ViewportSize = {"width": 360, "height": 740}
ARTIFACTS = (
    Path(os.environ.get("TOPUP_TEST_ARTIFACTS", "var/test-artifacts/browser")).resolve()
    / "kiosk_screens"
)


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for this file. Playwright's sync API runs an event loop in the test thread;
    the tests' own database calls are synchronous, so Django's async guard is lifted meanwhile."""
    executable = chromium_path()
    if executable is None:  # the root conftest has already marked these tests skipped
        pytest.skip("needs Chromium: set TOPUP_CHROMIUM or install chromium")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=executable,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                yield launched
            finally:
                launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Problems:
    """CSP refusals and console errors of every page a test opened."""

    found: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)  # e.g. a refusal answered with a 402

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"script error: {error}"))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        if "favicon" in url or any(text in message.text for text in self.expected):
            return  # the browser's own /favicon.ico; an error status the test asked for
        if "Content Security Policy" in message.text or message.type == "error":
            self.found.append(f"{message.text} ({url})")


@pytest.fixture
def problems() -> Iterator[Problems]:
    watched = Problems()
    yield watched
    assert watched.found == [], watched.found


@pytest.fixture
def site(live_server: LiveServer, settings: Settings) -> str:
    settings.TOPUP_PUBLIC_URL = live_server.url
    settings.TOPUP_KIOSK_PRINTERS = {}
    settings.TOPUP_KIOSK_IDLE_S = 300  # no idle wipe while a test waits for the phone
    settings.TOPUP_SIMULATOR_PENDING_RESOLVE_S = 0
    settings.TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S = 0
    demo_data_load()
    return str(live_server.url)


@pytest.fixture
def kiosk_context(browser: Browser, site: str) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PORTRAIT, locale="en", base_url=site)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def screen(kiosk_context: BrowserContext, problems: Problems) -> Page:
    """The kiosk's browser at 1080x1920, enrolled as the demo kiosk, on the attract screen."""
    codes = {kiosk.code: code for kiosk, code in kiosks_demo_setup()}
    page = problems.watch(kiosk_context.new_page())
    page.goto(f"/kiosk/enrol/{codes[KIOSK]}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/kiosk/")
    return page


@pytest.fixture
def phone(browser: Browser, site: str, problems: Problems) -> Iterator[Page]:
    """A second browser context: the customer's phone, in English (the picker's cookie)."""
    context = browser.new_context(viewport=PHONE, locale="en", base_url=site, is_mobile=True)
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": site}]
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield problems.watch(context.new_page())
    context.close()


# --- Helpers -------------------------------------------------------------------------------------


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


def device() -> KioskDevice:
    return KioskDevice.objects.select_related("kiosk").get(kiosk__code=KIOSK, revoked_at=None)


def paid_cents(msisdn: str) -> int:
    return sim_balance(sim=Sim.objects.get(msisdn=msisdn)).paid_cents


def start(screen: Page, *, language: str) -> None:
    """Attract → language → the identity choice; by values, so in any language."""
    screen.locator("a[data-attract]").click()
    screen.wait_for_url("**/kiosk/language")
    screen.locator(f'button[name=language][value="{language}"]').click()
    screen.wait_for_url("**/kiosk/identify")
    assert screen.locator("html").get_attribute("lang") == language


def insert_card(screen: Page, card_number: str) -> None:
    """The card-reader simulator: the number typed as if the card were inserted."""
    screen.locator('a[href$="/kiosk/identify/card"]').click()
    screen.wait_for_url("**/kiosk/identify/card")
    screen.locator("input[name=card_number]").fill(card_number)
    screen.locator("section.card-reader button[type=submit]").click()
    screen.wait_for_url("**/kiosk/number")


def type_on_keypad(screen: Page, msisdn: str) -> None:
    """The national number, one on-screen key at a time, then Continue."""
    national = "0" + msisdn.removeprefix("+32")
    for key in national:
        screen.locator(f'[data-keypad] button[data-key="{key}"]').click()
    assert re.sub(r"\D", "", screen.locator("#msisdn").input_value()) == national


def confirm_number_and_amount(screen: Page, msisdn: str, amount_cents: int, *, shot: str) -> None:
    """The masked name confirmation, then an amount; lands on the summary."""
    screen.wait_for_url("**/kiosk/number/confirm")
    masked = screen.locator("[data-masked-name]").inner_text().strip()
    assert masked == sim_masked_name(sim=Sim.objects.get(msisdn=msisdn))
    shoot(screen, shot)
    screen.locator('form[action$="/kiosk/number/confirm"] button[type=submit]').click()
    screen.wait_for_url("**/kiosk/amount")
    screen.locator(f'button[name=amount_cents][value="{amount_cents}"]').click()
    screen.wait_for_url("**/kiosk/summary")


def kiosk_django_session(context: BrowserContext) -> SessionStore:
    """What the kiosk's screens remember server-side (the kiosk keeps the hand-off link there)."""
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    return SessionStore(session_key=cookies[django_settings.SESSION_COOKIE_NAME])


def qr_on_screen(screen: Page) -> str:
    source = screen.locator(".qr img").get_attribute("src")
    assert source is not None and source.startswith("data:image/svg+xml"), source
    return source


def card_journey_to_summary(screen: Page, card_number: str, *, name: str) -> None:
    start(screen, language="en")
    insert_card(screen, card_number)
    type_on_keypad(screen, IDENTIFIED_EMPTY)
    screen.locator("button[type=submit][data-needs-complete-number]").click()
    confirm_number_and_amount(screen, IDENTIFIED_EMPTY, 1000, shot=f"{name}-00-masked-name")


# --- The journeys --------------------------------------------------------------------------------


def test_a_card_journey_in_french_from_attract_back_to_attract(screen: Page) -> None:
    before = paid_cents(IDENTIFIED_EMPTY)
    shoot(screen, "card-01-attract")
    screen.locator("a[data-attract]").click()
    screen.wait_for_url("**/kiosk/language")
    shoot(screen, "card-02-language")
    screen.get_by_role("button", name="Français").click()
    screen.wait_for_url("**/kiosk/identify")
    assert screen.locator("html").get_attribute("lang") == "fr"
    insert_card(screen, SUCCEEDS)
    type_on_keypad(screen, IDENTIFIED_EMPTY)
    assert screen.locator("#msisdn").input_value() == "0470 00 00 02"
    shoot(screen, "card-03-keypad")
    screen.locator("button[type=submit][data-needs-complete-number]").click()
    confirm_number_and_amount(screen, IDENTIFIED_EMPTY, 1000, shot="card-04-masked-name")
    summary = screen.locator("main").inner_text()
    assert "10,00" in summary and "4242" in summary, summary  # French money, masked card
    assert SUCCEEDS not in screen.content()
    shoot(screen, "card-05-summary")

    screen.locator('form[action$="/kiosk/pay/card"] button[data-payment]').click()
    screen.wait_for_url("**/kiosk/receipt")
    shoot(screen, "card-06-credited")
    screen.locator('form[action$="/kiosk/receipt"] button[type=submit]').click()
    screen.wait_for_url("**/kiosk/done")
    shoot(screen, "card-07-done")
    # The done screen goes back to the start by itself (a meta refresh after 8 s).
    screen.wait_for_url("**/kiosk/", timeout=12_000)
    assert screen.locator("a[data-attract]").is_visible()
    shoot(screen, "card-08-back-to-attract")

    order = TopupOrder.objects.get(channel="kiosk")
    assert order.status == TopupStatus.CREDITED
    assert order.amount_cents == 1000
    assert paid_cents(IDENTIFIED_EMPTY) == before + 1000
    assert not KioskSession.objects.filter(ended_at__isnull=True).exists()
    assert_books_balance()


def test_a_qr_journey_with_the_phone_as_a_second_browser(screen: Page, phone: Page) -> None:
    before = paid_cents(IDENTIFIED_EMPTY)
    start(screen, language="en")
    screen.locator('form[action$="/kiosk/identify/phone"] button[type=submit]').click()
    screen.wait_for_url("**/kiosk/identify/phone")
    handoff_url = kiosk_django_session(screen.context)[HANDOFF_URL]
    assert re.search(r"/kiosk-handoff/[^/]+$", handoff_url), handoff_url
    assert qr_on_screen(screen) == qr_data_uri(handoff_url, title="Scan with your phone")
    shoot(screen, "qr-01-handoff-code")

    # The phone scans it: not logged in yet, so the website's login first, then back here.
    phone.goto(handoff_url)
    phone.wait_for_url(re.compile(r"/login$"))
    phone.locator("main form input[name=msisdn]").fill(IDENTIFIED_EMPTY)
    phone.locator("main form:has(input[name=msisdn]) button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/login/code$"))
    phone.locator("main form input[name=code]").fill(read_code(IDENTIFIED_EMPTY))
    phone.locator("main form:has(input[name=code]) button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/kiosk-handoff/[^/]+$"))
    assert device().kiosk.name in phone.locator("main").inner_text()
    shoot(phone, "qr-02-phone-confirm")
    phone.locator('main form[action*="/kiosk-handoff/"] button[type=submit]').click()
    phone.locator(".kiosk-handoff-done").wait_for()
    shoot(phone, "qr-03-phone-done")

    # The kiosk moves on by itself (htmx polls every 2 s) and offers the customer's own number.
    screen.wait_for_url("**/kiosk/number")
    own = screen.locator("form:has(input[name=own]) button[type=submit]")
    own.wait_for()
    shoot(screen, "qr-04-my-own-number")
    assert KioskSession.objects.get(ended_at__isnull=True).identity == KioskIdentity.QR
    own.click()
    confirm_number_and_amount(screen, IDENTIFIED_EMPTY, 1000, shot="qr-04b-masked-name")
    assert screen.locator('form[action$="/kiosk/pay/card"]').count() == 0  # no card inserted
    screen.locator('form[action$="/kiosk/pay/bancontact"] button[data-payment]').click()
    screen.wait_for_url("**/kiosk/pay/bancontact")
    order = TopupOrder.objects.get(channel="kiosk")
    payment_url = urljoin(screen.url, order.payment_redirect_url)  # as the kiosk builds it
    assert qr_on_screen(screen) == qr_data_uri(payment_url, title="Pay by Bancontact QR")
    shoot(screen, "qr-05-bancontact-code")

    # The phone scans the payment code and approves in the (simulated) Bancontact app.
    phone.goto(payment_url)
    shoot(phone, "qr-06-phone-bancontact")
    phone.locator("button[name=action][value=approve]").click()
    phone.wait_for_load_state()

    screen.wait_for_url("**/kiosk/receipt")
    assert "credited" in screen.locator("main").inner_text()
    shoot(screen, "qr-07-credited")
    order.refresh_from_db()
    assert order.status == TopupStatus.CREDITED
    assert order.payment_method == "bancontact"
    assert paid_cents(IDENTIFIED_EMPTY) == before + 1000
    screen.locator('form[action$="/kiosk/receipt"] button[type=submit]').click()
    screen.wait_for_url("**/kiosk/done")
    assert_books_balance()


def test_a_declined_card_says_why_and_charges_nothing(screen: Page, problems: Problems) -> None:
    problems.expected.append("status of 402 (Payment Required)")  # the refusal's own status
    before = paid_cents(IDENTIFIED_EMPTY)
    card_journey_to_summary(screen, DECLINED, name="declined")
    screen.locator('form[action$="/kiosk/pay/card"] button[data-payment]').click()
    refusal = screen.locator("[data-payment-error]")
    refusal.wait_for()
    text = refusal.inner_text()
    assert "declined by the bank" in text, text
    assert "You were not charged." in text, text
    assert screen.locator('form[action$="/kiosk/pay/card"] button[data-payment]').is_enabled()
    shoot(screen, "declined-01-refused")
    assert paid_cents(IDENTIFIED_EMPTY) == before
    assert not TopupOrder.objects.filter(status=TopupStatus.CREDITED).exists()
    assert_books_balance()


def test_out_of_paper_the_receipt_is_shown_with_a_qr_code(screen: Page) -> None:
    kiosk_heartbeat(device=device(), printer_status="out_of_paper", software_version="test")
    card_journey_to_summary(screen, SUCCEEDS, name="paper")
    assert screen.locator("body").get_attribute("data-printer-status") == "out_of_paper"
    screen.locator('form[action$="/kiosk/pay/card"] button[data-payment]').click()
    screen.wait_for_url("**/kiosk/receipt")
    screen.locator('form[action$="/kiosk/receipt"] button[type=submit]').click()
    screen.wait_for_url("**/kiosk/receipt/screen")
    main = screen.locator("main").inner_text()
    assert "The printer is out of paper." in main, main
    order = TopupOrder.objects.get(channel="kiosk")
    assert order.status == TopupStatus.CREDITED
    assert screen.locator("[data-receipt-number]").inner_text().strip()
    receipt_qr = screen.locator("img[data-receipt-qr]")
    assert (receipt_qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    assert receipt_qr.is_visible()
    shoot(screen, "paper-01-receipt-on-screen")
    screen.locator('form[action$="/kiosk/end"] button[type=submit]').click()
    screen.wait_for_url("**/kiosk/done")
    assert_books_balance()
