"""The account at a glance for each demo line, in the customer's language, and the help page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client

from tests.web.conftest import (
    AWAITING_IDENTIFICATION,
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    web_login,
)
from topup.audit.services import Actor
from topup.catalog.models import Plan
from topup.subscribers.models import HoldReason, Sim
from topup.subscribers.services import line_hold_open

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

ENGLISH = {"Accept-Language": "en"}


def text_of(response: TestResponse) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.split())


def account_in_english(client: Client, msisdn: str) -> TestResponse:
    """The account page with the picker set to English (the demo lines prefer other languages)."""
    web_login(client, msisdn)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/account")
    assert page.status_code == 200
    return page


def attention_items(response: TestResponse) -> list[str]:
    return re.findall(r'data-attention="([a-z-]+)"', response.content.decode())


def test_the_account_needs_a_login(client: Client, demo: None) -> None:
    assert client.get("/account").headers["Location"] == "/login"


def test_identified_line_with_credit_shows_balance_status_and_plan_and_nothing_to_fix(
    client: Client, demo: None
) -> None:
    page = account_in_english(client, IDENTIFIED_WITH_FIVE_EUROS)

    text = text_of(page)
    assert re.search(r'data-balance="paid">€5\.00<', page.content.decode())
    assert re.search(r'data-balance="promo">€0\.00<', page.content.decode())
    assert "Active: you can call, text, use data and top up." in text
    assert "No plan" in text
    assert "Valid until" in text
    assert attention_items(page) == []
    assert "Needs your attention" not in text
    html = page.content.decode()
    assert 'href="/topup"' in html and 'href="/history"' in html


def test_identified_empty_line_is_told_its_balance_is_low(client: Client, demo: None) -> None:
    page = account_in_english(client, IDENTIFIED_EMPTY)

    assert attention_items(page) == ["low-balance"]
    text = text_of(page)
    assert "Low balance. Your paid credit is below €2.00." in text
    assert re.search(r'data-attention="low-balance">.*?href="/topup"', page.content.decode(), re.S)


def test_line_awaiting_identification_is_told_how_to_identify(client: Client, demo: None) -> None:
    page = account_in_english(client, AWAITING_IDENTIFICATION)

    assert attention_items(page) == ["identification", "low-balance"]
    text = text_of(page)
    assert "Identification missing." in text
    assert "in a shop with your original identity document" in text
    assert "Not identified yet" in text
    html = page.content.decode()
    assert re.search(r'data-attention="identification">.*?href="/verify"', html, re.S)


def test_held_line_is_sent_to_re_verify(client: Client, demo: None) -> None:
    sim = Sim.objects.get(msisdn=IDENTIFIED_WITH_FIVE_EUROS)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=Actor.system("tests"))

    page = account_in_english(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert attention_items(page) == ["held"]
    assert "Your line is on hold." in text_of(page)
    assert re.search(r'data-attention="held">.*?href="/verify"', page.content.decode(), re.S)


def test_current_plan_is_named(client: Client, demo: None) -> None:
    plan = Plan.objects.filter(active=True).order_by("id").first()
    assert plan is not None
    # No plan-buying service exists yet: set the line's plan directly.
    Sim.objects.filter(msisdn=IDENTIFIED_WITH_FIVE_EUROS).update(plan=plan)

    page = account_in_english(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert plan.name in text_of(page)
    assert "No plan" not in text_of(page)


def test_account_speaks_the_subscribers_language_without_a_picker_cookie(
    client: Client, demo: None
) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)  # Jan prefers Dutch

    page = client.get("/account", headers=ENGLISH)

    html = page.content.decode()
    assert '<html lang="nl">' in html
    assert "Afmelden" in text_of(page)  # "Log out"
    assert re.search(r'data-balance="paid">€\xa05,00<', html)


def test_the_picker_cookie_wins_over_the_subscribers_language(client: Client, demo: None) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get("/account", headers={"Accept-Language": "nl"})

    html = page.content.decode()
    assert '<html lang="en">' in html
    assert "Log out" in text_of(page)
    assert re.search(r'data-balance="paid">€5\.00<', html)


# --- Help -------------------------------------------------------------------------------------


def test_help_answers_the_common_problems_without_a_login(client: Client, demo: None) -> None:
    page = client.get("/help", headers=ENGLISH)

    assert page.status_code == 200
    text = text_of(page).replace("&#x27;", "'")
    for heading in (
        "The SMS code does not arrive",
        "The payment failed",
        "I paid, but the credit has not arrived",
        "My information does not match",
    ):
        assert heading in text
    assert "Look for a message from DemoMobile" in text
    assert "nothing is credited or charged twice" in text
    assert "Do not pay a second time" in text
    assert "receipt number" in text
    assert "Verify online with your eID or itsme, or visit a shop" in text
    assert "never asks for your PIN, your password or your SMS code outside its own pages" in text


def test_help_gives_the_operators_customer_service(client: Client, demo: None) -> None:
    page = client.get("/help", headers=ENGLISH)

    html = page.content.decode()
    assert 'href="tel:+3225000000"' in html
    assert 'href="https://support.example.invalid"' in html
    assert 'id="code-not-received"' in html  # the code page links here
