"""The shop agents' console (/shop/) in Chromium: identify a customer, top up for cash, print the
receipt on the (dummy) counter printer, void a sale with a manager's approval, close the till.

The console's receipt printer is `dummy:` (setting TOPUP_SHOP_PRINTERS unset): the test wraps
`printer_from_url`, the one place the console gets its printer from, to keep the dummy printers
it hands out and read the ESC/POS bytes they received.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Browser, Page, expect
from stdnum.be import eid

from tests.browser.conftest import (
    AWAITING_IDENTIFICATION,
    DESKTOP,
    IDENTIFIED_EMPTY,
    PHONE,
    TIMEOUT_MS,
    PageProblems,
    axe_violations,
)
from topup.core import clock
from topup.receipts import printers
from topup.receipts.printers import DummyPrinter
from topup.shops.services import shop_demo_setup

Shoot = Callable[[Page, str], None]

AGENT = ("agent.brussels", "demo-agent-2026")
MANAGER = ("manager.brussels", "demo-manager-2026")

ESC_INIT = b"\x1b@"
GS_CUT = b"\x1dV"
ORDER_URL = re.compile(r"/shop/orders/[0-9a-f-]+$")


def eid_number(serial: str) -> str:
    """A Belgian eID card number: 10 digits and their mod-97 check digits, as on the card."""
    check = int(serial) % 97 or 97
    number = eid.format(f"{serial}{check:02d}")
    assert eid.is_valid(number)
    return number


VALID_EID = eid_number("5921234567")
# The same card number with its last check digit changed: stdnum refuses it.
WRONG_CHECK_EID = VALID_EID[:-1] + str((int(VALID_EID[-1]) + 1) % 10)
assert not eid.is_valid(WRONG_CHECK_EID)


@pytest.fixture
def console(site: str) -> str:
    """The live site with the demo shop staff, their memberships and the partner's float."""
    shop_demo_setup()
    return site


@pytest.fixture
def counter_printers(monkeypatch: pytest.MonkeyPatch) -> list[DummyPrinter]:
    """Every dummy printer the console prints on, in order (the live server shares this process)."""
    handed_out: list[DummyPrinter] = []
    original = printers.printer_from_url

    def keeping(url: str) -> printers.NetworkPrinter | printers.FilePrinter | DummyPrinter:
        printer = original(url)
        if isinstance(printer, DummyPrinter):
            handed_out.append(printer)
        return printer

    monkeypatch.setattr(printers, "printer_from_url", keeping)
    return handed_out


def staff_login(page: Page, username: str, password: str) -> None:
    """Log in on the console's staff login page (by field names); lands on the console's home."""
    page.goto("/shop/login")
    page.locator("main form input[name=username]").fill(username)
    page.locator("main form input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/shop/$"))
    expect(page.locator("[data-shop=bru-central]")).to_contain_text(username)


def new_console_page(browser: Browser, site: str, problems: PageProblems) -> Page:
    """A second browser profile (another staff member at another counter), in English."""
    context = browser.new_context(base_url=site, viewport=DESKTOP, locale="en-US")
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": site}]
    )
    context.set_default_timeout(TIMEOUT_MS)
    other = context.new_page()
    other.on("console", problems.on_console)
    other.on("pageerror", problems.on_page_error)
    return other


def find_customer(page: Page, msisdn: str) -> None:
    page.goto("/shop/customer")
    page.locator("main form input[name=msisdn]").fill(msisdn)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#customer-heading")).to_be_visible()


def sell_cash(page: Page, msisdn: str, amount: str) -> None:
    """On the top-up page: this number, this amount, cash; lands on the sale's page."""
    page.goto("/shop/topup")
    page.locator("main form input[name=msisdn]").fill(msisdn)
    page.locator("main form input[name=amount]").fill(amount)
    page.get_by_label("Cash", exact=True).check()
    page.get_by_role("button", name="Take payment and top up").click()
    page.wait_for_url(ORDER_URL)


def test_agent_identifies_a_customer_with_a_belgian_eid(
    page: Page, console: str, shoot: Shoot
) -> None:
    staff_login(page, *AGENT)
    shoot(page, "home")

    find_customer(page, AWAITING_IDENTIFICATION)
    expect(page.locator("[data-identified]")).to_have_attribute("data-identified", "no")
    expect(page.get_by_text("Top-ups are held until the customer is identified")).to_be_visible()
    # The number is masked on screen: the agent sees only what the customer tells them.
    expect(page.locator("#customer-heading")).not_to_contain_text(AWAITING_IDENTIFICATION)
    shoot(page, "customer-awaiting-identification")

    page.locator("section.customer").get_by_role("link", name="Identify").click()
    page.wait_for_url(re.compile(r"/shop/customer/identify$"))
    expect(page.locator("main form input[name=msisdn]")).to_have_value(AWAITING_IDENTIFICATION)
    expires_on = (clock.now().date() + dt.timedelta(days=3 * 365)).isoformat()
    page.get_by_label("Document type").select_option("be_eid")
    page.get_by_label("Issuing country").fill("BEL")
    page.get_by_label("Expiry date").fill(expires_on)

    # A mistyped digit: refused, and the error stands next to the document number.
    page.get_by_label("Document number or MRZ lines").fill(WRONG_CHECK_EID)
    page.get_by_role("button", name="Record the identification").click()
    error = page.locator(".field:has(textarea[name=document_number]) [data-error-for]")
    expect(error).to_have_attribute("data-error-for", "document_number")
    expect(error).to_contain_text("check digits")
    shoot(page, "identify-wrong-check-digit")

    page.get_by_label("Document number or MRZ lines").fill(VALID_EID)
    page.get_by_label("Issuing country").fill("BEL")
    page.get_by_label("Expiry date").fill(expires_on)
    page.get_by_role("button", name="Record the identification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Identification recorded")
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "accepted")
    expect(page.locator("dd[data-status]")).to_have_attribute("data-status", "active")
    expect(page.get_by_text("The line is active.")).to_be_visible()
    # The document number is masked: never the whole number on screen.
    expect(page.locator("main")).not_to_contain_text(eid.compact(VALID_EID))
    shoot(page, "identify-done")

    find_customer(page, AWAITING_IDENTIFICATION)
    expect(page.locator("[data-identified]")).to_have_attribute("data-identified", "yes")
    expect(page.locator("dd[data-status]")).to_have_attribute("data-status", "active")


def test_cash_topup_receipt_void_and_till_close(
    page: Page,
    console: str,
    browser: Browser,
    page_problems: PageProblems,
    counter_printers: list[DummyPrinter],
    shoot: Shoot,
) -> None:
    staff_login(page, *AGENT)
    sell_cash(page, IDENTIFIED_EMPTY, "20")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sale")
    expect(page.locator("[data-amount-cents]")).to_have_attribute("data-amount-cents", "2000")
    expect(page.locator("[data-amount-cents]")).to_contain_text("20.00")
    receipt_number = page.locator("[data-receipt-number]").inner_text().strip()
    assert receipt_number
    shoot(page, "sale")

    page.get_by_label("Receipt language").select_option("en")
    page.get_by_role("button", name="Print receipt").click()
    page.wait_for_url(ORDER_URL)
    expect(page.locator(".messages")).to_contain_text("The receipt is printing.")
    shoot(page, "sale-printed")
    printed = b"".join(printer.output for printer in counter_printers)
    assert printed.startswith(ESC_INIT), printed[:40]
    assert receipt_number.encode("ascii") in printed
    assert GS_CUT in printed
    assert printed.rindex(GS_CUT) > printed.index(receipt_number.encode("ascii"))

    page.get_by_label("Why should this sale be voided?").fill("Wrong number typed")
    page.get_by_role("button", name="Request void").click()
    page.wait_for_url(re.compile(r"/shop/voids$"))
    requested = page.locator("li[data-void]").filter(has_text=receipt_number)
    expect(requested.locator("[data-void-status]")).to_have_attribute(
        "data-void-status", "requested"
    )
    # An agent sees the request but cannot decide it.
    expect(requested.get_by_role("button", name="Approve and reverse")).to_have_count(0)
    shoot(page, "void-requested")

    manager = new_console_page(browser, console, page_problems)
    try:
        staff_login(manager, *MANAGER)
        manager.goto("/shop/voids")
        waiting = manager.locator("li[data-void]").filter(has_text=receipt_number)
        shoot(manager, "voids-manager")
        waiting.get_by_role("button", name="Approve and reverse").click()
        manager.wait_for_url(re.compile(r"/shop/voids$"))
        expect(manager.locator(".messages")).to_contain_text("Void approved")
        expect(waiting).to_have_count(0)  # no longer waiting: the sale is reversed
        shoot(manager, "void-approved")
    finally:
        manager.context.close()

    page.goto("/shop/till")
    page.get_by_label("Cash counted in the drawer, in euros").fill("17,50")
    page.get_by_role("button", name="Close the till").click()
    page.wait_for_url(re.compile(r"/shop/till/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Till closed")
    expected_cents = int(
        page.locator("[data-expected-cents]").get_attribute("data-expected-cents") or ""
    )
    counted_cents = int(
        page.locator("[data-counted-cents]").get_attribute("data-counted-cents") or ""
    )
    difference_cents = int(
        page.locator("[data-difference-cents]").get_attribute("data-difference-cents") or ""
    )
    assert counted_cents == 1750
    assert difference_cents == counted_cents - expected_cents != 0
    expect(page.locator("[data-difference-cents]")).to_contain_text(
        "cash over" if difference_cents > 0 else "cash missing"
    )
    shoot(page, "till-closed")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the Z report (PDF)").click()
    pdf_path = download_info.value.path()
    assert Path(pdf_path).read_bytes().startswith(b"%PDF")


def test_console_pages_have_no_serious_or_critical_violations(
    page: Page, console: str, shoot: Shoot
) -> None:
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        shoot(page, name)
        found = axe_violations(page)
        if found:
            problems[f"{name} ({page.url})"] = found

    page.goto("/shop/login")
    check("login")
    staff_login(page, *AGENT)
    check("home")
    find_customer(page, AWAITING_IDENTIFICATION)
    check("customer")
    page.goto("/shop/customer/identify")
    check("identify")
    page.goto("/shop/topup")
    check("topup")
    sell_cash(page, IDENTIFIED_EMPTY, "10")
    check("order")
    page.goto("/shop/voids")
    check("voids")
    page.goto("/shop/till")
    check("till")

    assert not problems, "serious/critical accessibility violations:\n" + "\n".join(
        f"{name}:\n" + "\n".join(lines) for name, lines in problems.items()
    )


def test_console_pages_fit_a_phone(page: Page, console: None) -> None:
    """Nothing on the console is wider than a 360 px phone: no sideways scrolling at the counter."""
    page.set_viewport_size(PHONE)
    page.goto("/shop/login")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    staff_login(page, *AGENT)
    for path in (
        "/shop/",
        "/shop/customer",
        "/shop/customer/identify",
        "/shop/topup",
        "/shop/till",
    ):
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide on a phone"
