"""Logging in with the SMS code, with the mouse and with the keyboard only; the resend cooldown."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import IDENTIFIED_WITH_FIVE_EUROS, read_code

Shoot = Callable[[Page, str], None]


def test_log_in_with_the_code_from_the_sms(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shoot(page, "landing")
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    shoot(page, "login")

    page.get_by_label("Mobile number").fill("0470 00 00 01")
    page.get_by_role("button", name="Send me a code").click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    # The page says where the code went (masked) and which sender to look for.
    expect(page.get_by_text(re.compile(r"We sent a code to 0470 •• •• 01"))).to_be_visible()
    shoot(page, "code")

    page.get_by_label("6-digit code").fill(read_code(IDENTIFIED_WITH_FIVE_EUROS))
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("[data-balance=paid]")).to_have_text("€5.00")
    shoot(page, "account")


def test_a_wrong_code_is_refused_with_the_attempts_left(page: Page, shoot: Shoot) -> None:
    page.goto("/login")
    page.get_by_label("Mobile number").fill(IDENTIFIED_WITH_FIVE_EUROS)
    page.get_by_role("button", name="Send me a code").click()
    right = read_code(IDENTIFIED_WITH_FIVE_EUROS)
    wrong = "000000" if right != "000000" else "111111"
    page.get_by_label("6-digit code").fill(wrong)
    page.get_by_role("button", name="Log in", exact=True).click()
    error = page.get_by_role("alert")
    expect(error).to_contain_text("attempts left")
    # The message is tied to the field for screen readers.
    expect(page.get_by_label("6-digit code")).to_have_attribute(
        "aria-describedby", re.compile(r"login-code-error")
    )
    shoot(page, "wrong-code")
    page.get_by_label("6-digit code").fill(right)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account$"))


def test_keyboard_only_login(page: Page, shoot: Shoot) -> None:
    page.goto("/login")
    field = page.get_by_label("Mobile number")
    for _ in range(40):  # the skip link, the menu and the language picker come first
        page.keyboard.press("Tab")
        if field.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the mobile number field")
    shoot(page, "number-focused")
    page.keyboard.type(IDENTIFIED_WITH_FIVE_EUROS)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login/code$"))
    # The code field has the focus on arrival: type the code and press Enter.
    expect(page.get_by_label("6-digit code")).to_be_focused()
    page.keyboard.type(read_code(IDENTIFIED_WITH_FIVE_EUROS))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/account$"))
    shoot(page, "account")


def test_resend_cooldown_counts_down_then_sends_a_new_code(
    page: Page, shoot: Shoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The services read the constant at call time (issuing and the page's countdown alike).
    monkeypatch.setattr("topup.messaging.services.OTP_RESEND_COOLDOWN_S", 4)
    page.goto("/login")
    page.get_by_label("Mobile number").fill(IDENTIFIED_WITH_FIVE_EUROS)
    page.get_by_role("button", name="Send me a code").click()
    first = read_code(IDENTIFIED_WITH_FIVE_EUROS)

    resend = page.get_by_role("button", name="Send a new code")
    expect(resend).to_be_disabled()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^[1-4]$"))
    shoot(page, "cooldown")
    expect(resend).to_be_enabled(timeout=8_000)
    expect(page.get_by_role("timer")).to_have_text("0")
    resend.click()
    expect(page.get_by_role("status").filter(has_text="We sent you a new code")).to_be_visible()
    expect(resend).to_be_disabled()  # a new cooldown starts with the new code
    shoot(page, "resent")

    second = read_code(IDENTIFIED_WITH_FIVE_EUROS)
    if second != first:  # one chance in a million that they are equal
        page.get_by_label("6-digit code").fill(first)
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page.get_by_role("alert")).to_be_visible()  # only the newest code works
    page.get_by_label("6-digit code").fill(second)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account$"))
