"""Fixtures for the customer screens: the demo lines and orders paid on the simulator."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.topups import conftest as topups
from tests.topups.conftest import IDENTIFIED, CreateOrder, Pay
from topup.audit.services import Actor
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import topup_order_reconcile

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

# The top-up fixtures: the demo data, creating an order, paying on the simulator's page.
demo = topups.demo
customer = topups.customer
create_order = topups.create_order
pay = topups.pay

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
ENGLISH = {"Accept-Language": "en"}

CS, COMPLIANCE, FINANCE, OPS = "customer_service", "compliance", "finance", "operations"


@pytest.fixture
def line(demo: None) -> Sim:
    """Jan Peeters' identified line, € 5.00 of paid credit."""
    return Sim.objects.select_related("subscriber").get(msisdn=IDENTIFIED)


def paid_order(create_order: CreateOrder, pay: Pay, card: str = SUCCEEDS) -> TopupOrder:
    order = create_order(msisdn=IDENTIFIED, amount_cents=1000)
    pay(order, card)
    return topup_order_reconcile(order=order, actor=Actor.system("tests"))


@pytest.fixture
def credited(create_order: CreateOrder, pay: Pay) -> TopupOrder:
    order = paid_order(create_order, pay)
    assert order.status == TopupStatus.CREDITED
    return order


def page_text(response: TestResponse) -> str:
    return response.content.decode()


_URL_ATTRIBUTE = re.compile(r'\b(?:href|action|src|hx-get|hx-post)="([^"]*)"')


def urls_in(html: str) -> list[str]:
    return _URL_ATTRIBUTE.findall(html)
