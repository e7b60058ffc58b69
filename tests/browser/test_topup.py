"""Topping up in the browser: a card that succeeds, a declined card and a retry, a guest top-up.

The simulator's webhooks go out with the real worker (`worker_drain`) over HTTP to the live
server while the status page is open; the page must update itself (htmx polling), no reload.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    CARD_DECLINED,
    CARD_SUCCEEDS,
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    login,
    mark_page,
    page_not_reloaded,
    pay_by_card,
    topup_choose,
)
from topup.core.worker import worker_drain
from topup.messaging.models import SmsPurpose
from topup.messaging.selectors import sms_outbox_list

Shoot = Callable[[Page, str], None]
CREDITED = re.compile("The credit has arrived")


def test_top_up_by_card_and_see_the_balance_change(page: Page, shoot: Shoot) -> None:
    login(page, IDENTIFIED_WITH_FIVE_EUROS)
    expect(page.locator("[data-balance=paid]")).to_have_text("€5.00")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Top up").click()
    expect(page).to_have_url(re.compile(r"/topup$"))
    expect(page.get_by_label("My number")).to_be_checked()
    shoot(page, "form")

    topup_choose(page, amount="€10.00")
    expect(page.locator(".topup-summary")).to_contain_text("€10.00")
    expect(page.locator(".topup-summary")).to_contain_text("your number")
    shoot(page, "confirm")
    page.get_by_role("button", name="Pay €10.00").click()
    expect(page.get_by_label("Card number")).to_be_visible()
    shoot(page, "payment-page")

    pay_by_card(page, CARD_SUCCEEDS)
    status = page.get_by_role("status")
    expect(status).to_contain_text("Waiting for the credit")
    shoot(page, "waiting")
    mark_page(page)
    worker_drain()  # the simulator's webhook reaches the live server; the order is credited
    expect(status).to_contain_text(CREDITED)
    expect(status).to_contain_text("€15.00")  # "Your balance now"
    assert page_not_reloaded(page), "the status page reloaded instead of updating itself"
    shoot(page, "credited")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    expect(page.locator("[data-balance=paid]")).to_have_text("€15.00")
    shoot(page, "account-after")


def test_a_declined_card_says_why_and_a_retry_with_another_method_succeeds(
    page: Page, shoot: Shoot
) -> None:
    login(page, IDENTIFIED_EMPTY)
    page.goto("/topup")
    topup_choose(page, amount="€20.00")
    page.get_by_role("button", name="Pay €20.00").click()
    pay_by_card(page, CARD_DECLINED)
    first_url = page.url
    mark_page(page)
    worker_drain()
    status = page.get_by_role("status")
    expect(status).to_contain_text("The top-up did not go through")
    expect(status).to_contain_text("Your card was declined by the bank")
    # ...and that nothing was charged twice (the wording may change; the promise may not).
    expect(status).to_contain_text(re.compile(r"not charged|nothing was charged", re.IGNORECASE))
    assert page_not_reloaded(page), "the status page reloaded instead of updating itself"
    # The retry offers the same method (preselected) and the others.
    expect(page.get_by_label("Visa / Mastercard")).to_be_checked()
    expect(page.get_by_label("Bancontact")).to_be_visible()
    shoot(page, "declined")

    page.get_by_label("Bancontact").check()
    page.get_by_role("button", name="Try again").click()
    expect(page).to_have_url(re.compile(r"/topup/confirm$"))
    expect(page.locator(".topup-summary")).to_contain_text("Bancontact")
    expect(page.locator(".topup-summary")).to_contain_text("€20.00")
    shoot(page, "retry-confirm")
    page.get_by_role("button", name="Pay €20.00").click()
    page.get_by_role("button", name="Approve").click()  # as the customer would in the app
    page.wait_for_url(re.compile(r"/topups/[0-9a-f-]+/return$"))
    assert page.url != first_url, "the retry is a new order"
    worker_drain()
    expect(page.get_by_role("status")).to_contain_text(CREDITED)
    shoot(page, "retry-credited")

    page.goto("/account")
    expect(page.locator("[data-balance=paid]")).to_have_text("€20.00")  # once, not twice


def test_a_guest_tops_up_another_identified_number(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Top up without logging in").click()
    expect(page).to_have_url(re.compile(r"/topup$"))
    number = page.get_by_label("Mobile number")

    # A line that is not identified cannot be topped up by someone else: said at the field.
    number.fill("0470 00 00 03")
    topup_form_submit = page.get_by_role("button", name="Continue")
    page.get_by_label("€10.00", exact=True).check()
    page.get_by_label("Visa / Mastercard", exact=True).check()
    topup_form_submit.click()
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_have_value("0470 00 00 03")  # the input is kept
    expect(page.locator("#msisdn-error")).to_be_visible()
    shoot(page, "refused-unidentified")

    number.fill("0470 00 00 02")
    topup_choose(page, amount="€10.00")
    summary = page.locator(".topup-summary")
    expect(summary).to_contain_text("0470 00 00 02")
    expect(summary.locator(".topup-masked-name")).to_have_text(re.compile(r"^L\*+ W\*+$"))
    expect(summary).not_to_contain_text("Wei")
    shoot(page, "confirm")

    page.get_by_role("button", name="Pay €10.00").click()
    pay_by_card(page, CARD_SUCCEEDS)
    worker_drain()
    status = page.get_by_role("status")
    expect(status).to_contain_text(CREDITED)
    expect(status).to_contain_text("0470 •• •• 02")  # a guest sees the number masked
    expect(status).to_contain_text("The receipt was sent by SMS")
    expect(status.get_by_role("link", name=re.compile("receipt", re.IGNORECASE))).to_have_count(0)
    shoot(page, "credited")
    receipts = [
        message.body
        for message in sms_outbox_list(msisdn=IDENTIFIED_EMPTY)
        if message.purpose == SmsPurpose.RECEIPT
    ]
    assert receipts, "the receipt did not reach the topped-up number by SMS"
