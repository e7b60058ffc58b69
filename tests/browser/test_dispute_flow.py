"""A dispute from end to end in Chromium: the customer reports a problem from the receipt, a
customer service agent proposes a refund above the four-eyes threshold, finance approves it,
and the customer reads the outcome on the website and in the SMS.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings as django_settings
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    CARD_SUCCEEDS,
    DESKTOP,
    IDENTIFIED_EMPTY,
    TIMEOUT_MS,
    PageProblems,
    axe_check,
    login,
    pay_by_card,
    topup_choose,
)
from topup.core.worker import worker_drain
from topup.messaging.models import SmsPurpose
from topup.messaging.selectors import sms_outbox_list

Shoot = Callable[[Page, str], None]

CS_AGENT = ("cs.demo", "demo-cs-2026")
FINANCE = ("finance.demo", "demo-finance-2026")
DISPUTE_URL = re.compile(r"/disputes/(\d+)$")


def staff_page(browser: Browser, site: str, problems: PageProblems) -> Page:
    """Another browser profile (a colleague at another desk), in English."""
    context = browser.new_context(base_url=site, viewport=DESKTOP, locale="en-US")
    context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": site}]
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    return page


def backoffice_login(page: Page, username: str, password: str) -> None:
    """Open the back office: sent to the staff login form, then back where we asked to go."""
    page.goto("/backoffice/disputes/")
    page.wait_for_url(re.compile(r"/backoffice/login\?next="))
    page.locator("main form input[name=username]").fill(username)
    page.locator("main form input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/backoffice/disputes/$"))
    expect(page.locator("[data-staff-user]")).to_have_text(username)


def customer_reports_a_problem(page: Page, shoot: Shoot) -> str:
    """Top up € 50, open the receipt, report the problem there; returns the dispute's page."""
    login(page, IDENTIFIED_EMPTY)
    page.goto("/topup")
    topup_choose(page, amount="€50.00")
    page.get_by_role("button", name="Pay €50.00").click()
    pay_by_card(page, CARD_SUCCEEDS)
    worker_drain()  # the simulator's webhook: the order is credited
    expect(page.get_by_role("status")).to_contain_text("The credit has arrived")
    page.get_by_role("link", name="View the receipt").click()
    page.wait_for_url(re.compile(r"/history/[0-9a-f-]+/receipt$"))

    panel = page.locator("#order-disputes")
    expect(panel.get_by_label("What went wrong?")).to_be_visible()  # swapped in by htmx
    shoot(page, "receipt-with-report-form")
    panel.get_by_label("What went wrong?").select_option("charged_twice")
    panel.get_by_label("Tell us what happened").fill("My bank shows two payments of €50.")
    panel.get_by_role("button", name="Report the problem").click()
    page.wait_for_url(DISPUTE_URL)
    expect(page.get_by_role("status")).to_contain_text("We are looking into it")
    axe_check(page)
    shoot(page, "report-open")
    return page.url


def test_a_refund_above_the_threshold_from_report_to_outcome(
    page: Page, browser: Browser, site: str, page_problems: PageProblems, shoot: Shoot
) -> None:
    dispute_url = customer_reports_a_problem(page, shoot)
    dispute_id = DISPUTE_URL.search(dispute_url)
    assert dispute_id is not None

    # Customer service: the queue, the case, a refund of € 25,50 (above € 20: only proposed).
    agent = staff_page(browser, site, page_problems)
    backoffice_login(agent, *CS_AGENT)
    row = agent.locator(f"#dispute-{dispute_id.group(1)}")
    expect(row).to_contain_text("I was charged twice")
    expect(row).to_contain_text("0470 •• •• 02")
    axe_check(agent)
    shoot(agent, "queue")
    row.get_by_role("link").click()
    expect(agent.locator(".dispute-message")).to_contain_text("two payments of €50")
    expect(agent.locator("#four-eyes-threshold")).to_contain_text("€20.00")
    agent.get_by_label("Refund to the payment method").check()
    agent.get_by_label("Amount (euros)").fill("25,50")
    agent.get_by_label("Note").fill("Bank statement checked: charged twice.")
    axe_check(agent)
    shoot(agent, "resolve-form")
    agent.get_by_role("button", name="Resolve").click()
    expect(agent.locator("[data-dispute-status]")).to_have_attribute(
        "data-dispute-status", "awaiting_approval"
    )
    expect(agent.get_by_role("button", name="Approve and execute")).to_have_count(0)
    shoot(agent, "proposed")

    # Finance: the second pair of eyes approves (the form asks for confirmation first).
    finance = staff_page(browser, site, page_problems)
    backoffice_login(finance, *FINANCE)
    finance.goto(agent.url)
    expect(finance.locator("main")).to_contain_text("Proposal awaiting approval")
    finance.on("dialog", lambda dialog: dialog.accept())
    shoot(finance, "approval")
    finance.get_by_role("button", name="Approve and execute").click()
    expect(finance.locator("[data-dispute-outcome]")).to_have_attribute(
        "data-dispute-outcome", "refund"
    )
    expect(finance.locator("main")).to_contain_text("€25.50")
    shoot(finance, "approved")

    # The customer reads the outcome on the page and in the SMS.
    page.goto(dispute_url)
    expect(page.get_by_role("status")).to_contain_text("Answered")
    expect(page.locator(".dispute-outcome")).to_contain_text("We refunded €25.50")
    shoot(page, "customer-outcome")
    worker_drain()
    texts = [
        message.body
        for message in sms_outbox_list(msisdn=IDENTIFIED_EMPTY)
        if message.purpose == SmsPurpose.DISPUTE
    ]
    assert any("25" in text and ("refund" in text or "退" in text) for text in texts), texts
