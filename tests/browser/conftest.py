"""Browser tests: Debian's Chromium driven by Playwright against a live server with the demo data.

Every test here is marked `browser`; the root conftest skips them loudly (and scripts/run-tests
fails under TOPUP_REQUIRE_ALL=1) when no Chromium is found. Never run `playwright install`:
the tests use the system Chromium through `executable_path`.

Helpers for the tests:
- `read_code(msisdn)`: deliver the queued SMS with the real worker, read the newest login code;
- `shoot(page, name)`: full-page screenshots at phone (360x740) and desktop (1280x800) width
  into the artifacts folder (TOPUP_TEST_ARTIFACTS, default var/test-artifacts/browser/);
- `axe_check(page)`: axe-core in the page; fails on any serious or critical violation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings as django_settings
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, sync_playwright
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from tests.conftest import chromium_path
from topup.cli.demo_data import demo_data_load
from topup.core.worker import worker_drain
from topup.messaging.models import SmsPurpose
from topup.messaging.selectors import sms_outbox_list

IDENTIFIED_WITH_FIVE_EUROS = "+32470000001"
IDENTIFIED_EMPTY = "+32470000002"
AWAITING_IDENTIFICATION = "+32470000003"

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"

PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

ROOT = Path(__file__).resolve().parents[2]
_IMPACTS_THAT_FAIL = ("serious", "critical")
_artifacts_used: list[Path] = []


@pytest.hookimpl(tryfirst=True)  # before the root conftest reads the markers to skip
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    browser_dir = Path(__file__).resolve().parent
    for item in items:
        if browser_dir in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _artifacts_used:
        terminalreporter.write_sep("-", "browser test artifacts")
        terminalreporter.write_line(f"screenshots: {_artifacts_used[0]}")


def artifacts_dir() -> Path:
    configured = os.environ.get("TOPUP_TEST_ARTIFACTS", "")
    folder = Path(configured) if configured else ROOT / "var" / "test-artifacts" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    if not _artifacts_used:
        _artifacts_used.append(folder)
        print(f"\nbrowser test artifacts: {folder}")
    return folder


# --- Playwright and Chromium -----------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole browser suite.

    Package scope (this folder): the browser and Playwright's event loop stop after the last
    browser test, so the rest of a full run is unaffected. Playwright's sync API keeps an
    asyncio loop running in the test thread, and Django refuses ORM calls from a thread with a
    running loop (SynchronousOnlyOperation), although these calls are plain synchronous code
    (demo data, the worker, the database flush). DJANGO_ALLOW_ASYNC_UNSAFE lifts that check for
    the browser tests only, and only while Playwright runs.
    """
    executable = chromium_path()
    if executable is None:  # the root conftest has already marked these tests skipped
        pytest.skip("needs Chromium: set TOPUP_CHROMIUM or install chromium")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# --- The live site ---------------------------------------------------------------------------


@pytest.fixture
def site(
    browser: Browser, live_server: LiveServer, transactional_db: None, settings: Settings
) -> str:
    """The live server's base URL, with the demo data and instant simulator timings."""
    settings.TOPUP_PUBLIC_URL = live_server.url
    settings.TOPUP_SIMULATOR_PENDING_RESOLVE_S = 0
    settings.TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S = 0
    demo_data_load()
    return str(live_server.url)


@dataclass
class PageProblems:
    """What the browser complained about: script errors and Content-Security-Policy refusals."""

    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and (
            "Content Security Policy" in message.text or "Refused to" in message.text
        ):
            self.errors.append(f"console: {message.text}")

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"script error: {error}")


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Browser, site: str, page_problems: PageProblems) -> Iterator[Page]:
    """A fresh browser profile on the site, in English (the picker's cookie), desktop size.

    The picker's cookie is set up front because a logged-in line's own language would win
    otherwise (the demo lines speak nl, zh-hans and fr). Fails the test when a page broke
    the Content-Security-Policy or threw a script error.
    """
    context = browser.new_context(
        base_url=site, viewport=DESKTOP, locale="en-US", accept_downloads=True
    )
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": site}]
    )
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    new_page.on("console", page_problems.on_console)
    new_page.on("pageerror", page_problems.on_page_error)
    yield new_page
    context.close()
    if page_problems.errors:
        pytest.fail(
            "the pages broke the Content-Security-Policy or threw script errors:\n  "
            + "\n  ".join(dict.fromkeys(page_problems.errors)),
            pytrace=False,
        )


# --- Helpers ---------------------------------------------------------------------------------


def read_code(msisdn: str) -> str:
    """Deliver the queued SMS with the real worker, then read the newest code on the handset."""
    worker_drain()
    for message in sms_outbox_list(msisdn=msisdn):  # newest first; receipts may come later
        match = re.search(r"\b(\d{6})\b", message.body)
        if message.purpose == SmsPurpose.OTP and match is not None:
            return match.group(1)
    raise AssertionError(f"no SMS with a login code reached {msisdn}")


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    """`shoot(page, name)`: full-page screenshots of the current screen at phone and desktop
    width, named after the test; the viewport is put back afterwards."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def take(page: Page, name: str) -> None:
        folder = artifacts_dir()
        original = page.viewport_size or DESKTOP
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.screenshot(path=folder / f"{test_name}--{name}--{label}.png", full_page=True)
        page.set_viewport_size(original)

    return take


def axe_violations(page: Page) -> list[str]:
    """axe-core on the current page: its serious and critical violations, readably."""
    results = Axe().run(page)
    violations = results.response.get("violations", [])
    lines: list[str] = []
    for violation in violations:
        if violation.get("impact") not in _IMPACTS_THAT_FAIL:
            continue
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation.get("nodes", [])[:5]:
            target = ", ".join(str(t) for t in node.get("target", []))
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    at {target}: {summary}")
    return lines


def axe_check(page: Page) -> None:
    """Fail on any serious or critical axe-core violation of the current page, listing them."""
    lines = axe_violations(page)
    if lines:
        raise AssertionError(
            f"serious/critical accessibility violations on {page.url}:\n" + "\n".join(lines)
        )


def login(page: Page, msisdn: str) -> None:
    """Log in as the customer does: the number, then the code from the SMS; lands on /account.

    By field names, so it works in every language (test_login.py checks the labels)."""
    page.goto("/login")
    page.locator("main form input[name=msisdn]").fill(msisdn)
    page.locator("main form:has(input[name=msisdn]) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/login/code$"))
    page.locator("main form input[name=code]").fill(read_code(msisdn))
    page.locator("main form:has(input[name=code]) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account$"))


def topup_choose(page: Page, *, amount: str, method: str = "Visa / Mastercard") -> None:
    """On the top-up form: a preset amount (as shown, e.g. "€10.00") and a method; Continue."""
    page.get_by_label(amount, exact=True).check()
    page.get_by_label(method, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/topup/confirm$"))


def pay_by_card(page: Page, card: str) -> None:
    """On the payment simulator's card page: pay with this test card; back on the status page."""
    page.get_by_label("Card number").fill(card)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url(re.compile(r"/topups/[0-9a-f-]+/return$"))


def mark_page(page: Page) -> None:
    """Leave a mark in this document: `page_not_reloaded` proves later that it stayed loaded."""
    page.evaluate("() => { window.topupTestMark = 'still here'; }")


def page_not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("() => window.topupTestMark === 'still here'"))
