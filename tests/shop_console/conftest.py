"""Fixtures for the agent console tests: the demo data with its shop staff, logging in by page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from topup.cli.demo_data import demo_data_load
from topup.ledger.verify import ledger_verify
from topup.shops.services import shop_demo_setup
from topup.topups.verify import topup_verify

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

AGENT = ("agent.brussels", "demo-agent-2026")  # bru-central, operator shop, shop agent
MANAGER = ("manager.brussels", "demo-manager-2026")  # bru-central, shop manager
PARTNER = ("partner.antwerp", "demo-partner-2026")  # antwerp-night, partner retailer
NO_SHOP = ("cs.demo", "demo-cs-2026")  # customer service: staff, but no shop

IDENTIFIED_WITH_FIVE_EUROS = "+32470000001"
AWAITING_IDENTIFICATION = "+32470000003"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_STAFF_TWO_FACTOR_REQUIRED = False
    settings.TOPUP_SHOP_PRINTERS = {}
    demo_data_load()
    shop_demo_setup()


def console_login(client: Client, username: str, password: str) -> None:
    """Log in through the login page, as staff do (the demo skips the second factor)."""
    response = client.post("/shop/login", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    assert response.headers["Location"] == "/shop/", response.headers["Location"]


@pytest.fixture
def agent(demo: None) -> Client:
    client = Client(**ENGLISH)
    console_login(client, *AGENT)
    return client


@pytest.fixture
def manager(demo: None) -> Client:
    client = Client(**ENGLISH)
    console_login(client, *MANAGER)
    return client


@pytest.fixture
def partner(demo: None) -> Client:
    client = Client(**ENGLISH)
    console_login(client, *PARTNER)
    return client


def text_of(response: TestResponse) -> str:
    """The page as a reader sees it: tags dropped, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.split())


def form_value(response: TestResponse, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match is not None, f"no field {name} on the page"
    return match.group(1)


def sell_cash(client: Client, *, msisdn: str, amount: str) -> str:
    """Sell a cash top-up through the page; the order id the console redirects to."""
    page = client.get("/shop/topup")
    response = client.post(
        "/shop/topup",
        {
            "msisdn": msisdn,
            "amount": amount,
            "payment_method": "cash",
            "idempotency_key": form_value(page, "idempotency_key"),
        },
    )
    assert response.status_code == 302, text_of(response)
    match = re.fullmatch(r"/shop/orders/([0-9a-f-]{36})", response.headers["Location"])
    assert match is not None, response.headers["Location"]
    return match.group(1)


def assert_books_balance() -> None:
    assert ledger_verify() == []
    assert topup_verify() == []
