"""Fixtures for the shop counter: the demo shops and staff, and the books checked after a test."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from topup.catalog.models import Shop, ShopKind
from topup.cli.demo_data import demo_data_load
from topup.ledger.verify import ledger_verify
from topup.shops.models import StaffMembership, StaffRole
from topup.shops.services import shop_accounts_open, shop_demo_setup, staff_membership_get
from topup.topups.verify import topup_verify

IDENTIFIED = "+32470000001"  # € 5.00 on the line
IDENTIFIED_EMPTY = "+32470000002"  # € 0.00
AWAITING_IDENTIFICATION = "+32470000003"
GOOD_CARD = "4242 4242 4242 4242"
GOOD_CARD_DIGITS = "4242424242424242"


def books_balance() -> None:
    """The ledger's and the top-ups' invariants hold."""
    assert ledger_verify() == []
    assert topup_verify() == []


def key() -> str:
    return uuid.uuid4().hex


def staff(username: str, *, shop: Shop, role: StaffRole) -> StaffMembership:
    user = User.objects.create_user(username=username, password="test-password-1")
    StaffMembership.objects.create(user=user, shop=shop, role=role)
    return staff_membership_get(user=user)


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    assert demo_data_load()
    shop_demo_setup()


def _member(username: str) -> StaffMembership:
    return staff_membership_get(user=User.objects.get(username=username))


@pytest.fixture
def agent(demo: None) -> StaffMembership:
    return _member("agent.brussels")


@pytest.fixture
def manager(demo: None) -> StaffMembership:
    return _member("manager.brussels")


@pytest.fixture
def partner(demo: None) -> StaffMembership:
    return _member("partner.antwerp")


@pytest.fixture
def ghent_agent(demo: None) -> StaffMembership:
    """An agent of another operator shop."""
    shop = Shop.objects.create(
        code="ghent-station",
        name="Demo Mobile Gent-Sint-Pieters",
        kind=ShopKind.OPERATOR,
        address="Koningin Maria Hendrikaplein 1, 9000 Gent",
        latitude=Decimal("51.035900"),
        longitude=Decimal("3.710600"),
    )
    shop_accounts_open(shop=shop)
    return staff("agent.ghent", shop=shop, role=StaffRole.SHOP_AGENT)
