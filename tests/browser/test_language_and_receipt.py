"""The language picker (fr, then zh-hans; `<html lang>`; amounts per locale) and the receipt PDF."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    CARD_SUCCEEDS,
    DESKTOP,
    IDENTIFIED_WITH_FIVE_EUROS,
    login,
    pay_by_card,
    topup_choose,
)
from topup.core.worker import worker_drain

Shoot = Callable[[Page, str], None]


def _pick_language(page: Page, code: str) -> None:
    """The picker in the header; it submits itself (site.js), the page comes back translated."""
    picker = page.get_by_role("banner").get_by_role("combobox")
    picker.select_option(code)
    expect(page.locator("html")).to_have_attribute("lang", code)


def test_the_language_picker_switches_to_french_then_chinese(page: Page, shoot: Shoot) -> None:
    page.goto("/topup")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    amounts = page.locator(".topup-amounts")
    expect(amounts).to_contain_text("€10.00")

    _pick_language(page, "fr")
    expect(page).to_have_url(re.compile(r"/topup$"))  # back on the same page
    # fr-BE: decimal comma, the euro sign after the amount, a no-break space between.
    expect(amounts).to_contain_text(re.compile(r"10,00\u00a0€"))
    expect(page.locator("#amount-limits")).to_contain_text(re.compile(r"150,00\u00a0€"))
    shoot(page, "topup-fr")
    page.goto("/plans")  # the choice sticks (the picker's cookie)
    expect(html).to_have_attribute("lang", "fr")
    shoot(page, "plans-fr")

    _pick_language(page, "zh-hans")
    expect(page).to_have_url(re.compile(r"/plans$"))
    page.goto("/topup")
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(amounts).to_contain_text("€10.00")
    shoot(page, "topup-zh-hans")


def test_without_the_picker_the_account_language_then_the_browser_language_wins(
    browser: Browser, site: str
) -> None:
    context = browser.new_context(base_url=site, viewport=DESKTOP, locale="de-DE")
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "de")  # Accept-Language
        login(page, IDENTIFIED_WITH_FIVE_EUROS)  # the demo line's own language is nl
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        expect(page.locator("[data-balance=paid]")).to_have_text(re.compile(r"^€\u00a05,00$"))
    finally:
        context.close()


def test_download_the_receipt_pdf(page: Page, shoot: Shoot) -> None:
    login(page, IDENTIFIED_WITH_FIVE_EUROS)
    page.goto("/topup")
    topup_choose(page, amount="€15.00")
    page.get_by_role("button", name="Pay €15.00").click()
    pay_by_card(page, CARD_SUCCEEDS)
    worker_drain()
    expect(page.get_by_role("status")).to_contain_text("The credit has arrived")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(r"/history$"))
    shoot(page, "history")
    page.get_by_role("link", name=re.compile(r"^View receipt")).first.click()
    expect(page.get_by_role("heading", name="Receipt", level=1)).to_be_visible()
    expect(page.locator(".receipt-total")).to_contain_text("€15.00")
    shoot(page, "receipt")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the PDF").click()
    download = info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
