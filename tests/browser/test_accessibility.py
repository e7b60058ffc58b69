"""axe-core in Chromium on the main pages: no serious or critical violation on any of them,
and none wider than a 360-px phone.

One walk through the site (as a guest, then logged in, then as a line awaiting identification),
so every failure lists all the pages with violations at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    AWAITING_IDENTIFICATION,
    CARD_SUCCEEDS,
    DESKTOP,
    IDENTIFIED_WITH_FIVE_EUROS,
    PHONE,
    axe_violations,
    login,
    pay_by_card,
    topup_choose,
)
from topup.core.worker import worker_drain

Shoot = Callable[[Page, str], None]


def test_main_pages_have_no_serious_or_critical_violations(page: Page, shoot: Shoot) -> None:
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        shoot(page, name)
        found = axe_violations(page)
        page.set_viewport_size(PHONE)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        page.set_viewport_size(DESKTOP)
        if width > PHONE["width"]:
            found.append(f"[layout] the page is {width}px wide on a {PHONE['width']}px phone")
        if found:
            problems[f"{name} ({page.url})"] = found

    for name, path in (("landing", "/"), ("plans", "/plans"), ("help", "/help")):
        page.goto(path)
        check(name)
    page.goto("/topup")
    check("topup-form-guest")
    page.goto("/login")
    check("login")
    page.get_by_label("Mobile number").fill(IDENTIFIED_WITH_FIVE_EUROS)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url(re.compile(r"/login/code$"))
    check("login-code")

    login(page, IDENTIFIED_WITH_FIVE_EUROS)
    check("account")
    page.goto("/topup")
    check("topup-form")
    topup_choose(page, amount="€10.00")
    check("topup-confirm")
    page.get_by_role("button", name="Pay €10.00").click()
    pay_by_card(page, CARD_SUCCEEDS)
    check("topup-status-waiting")
    worker_drain()
    expect(page.get_by_role("status")).to_contain_text("The credit has arrived")
    check("topup-status-credited")
    for name, path in (
        ("history", "/history"),
        ("plans-logged-in", "/plans"),
        ("settings", "/settings"),
        ("help-logged-in", "/help"),
        ("verify-identified", "/verify"),
    ):
        page.goto(path)
        check(name)
    page.goto("/history")
    page.get_by_role("link", name=re.compile(r"^View receipt")).first.click()
    check("receipt")

    page.context.clear_cookies()
    login(page, AWAITING_IDENTIFICATION)
    check("account-awaiting-identification")
    page.goto("/verify")
    check("verify")

    assert not problems, "serious/critical accessibility violations:\n" + "\n".join(
        f"{where}:\n  " + "\n  ".join(lines) for where, lines in problems.items()
    )
