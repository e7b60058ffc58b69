"""Fixtures for the hostile-input tests: the demo data, logged-in callers, and orders to aim at."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tests.support import sms_code_on_handset
from topup.audit.services import Actor
from topup.cli.demo_data import demo_data_load
from topup.ledger.verify import ledger_verify
from topup.topups.models import TopupOrder
from topup.topups.services import TopupRequest, topup_order_create, topup_order_reconcile
from topup.topups.verify import topup_verify

PUBLIC_URL = "http://localhost"
IDENTIFIED_WITH_FIVE_EUROS = "+32470000001"
IDENTIFIED_EMPTY = "+32470000002"
AWAITING_IDENTIFICATION = "+32470000003"
SUCCEEDS = "4242424242424242"


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_PUBLIC_URL = PUBLIC_URL
    settings.TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S = 0
    assert demo_data_load()


def api_token(client: Client, msisdn: str) -> str:
    """Log in through the API as a customer would: the SMS code for a Bearer token."""
    sent = client.post(
        "/api/v1/auth/otp", data=json.dumps({"msisdn": msisdn}), content_type="application/json"
    )
    assert sent.status_code == 202, sent.content
    body = {"msisdn": msisdn, "code": sms_code_on_handset(msisdn)}
    issued = client.post(
        "/api/v1/auth/token", data=json.dumps(body), content_type="application/json"
    )
    assert issued.status_code == 200, issued.content
    token = issued.json()["access_token"]
    assert isinstance(token, str)
    return token


def order_create(
    *, msisdn: str = IDENTIFIED_WITH_FIVE_EUROS, amount_cents: int = 1000
) -> TopupOrder:
    request = TopupRequest(
        msisdn=msisdn,
        amount_cents=amount_cents,
        currency="EUR",
        payment_method="card",
        channel="online",
        idempotency_scope="tests",
        idempotency_key=uuid.uuid4().hex,
        requested_by=None,
        language="en",
    )
    actor = Actor(actor_type="subscriber", actor_id="tests", ip_address="192.0.2.10")
    return topup_order_create(request=request, actor=actor)


def order_paid(client: Client, *, msisdn: str = IDENTIFIED_WITH_FIVE_EUROS) -> TopupOrder:
    """An order paid on the simulator's page and credited (as the reconciliation would)."""
    order = order_create(msisdn=msisdn)
    page = order.payment_redirect_url.removeprefix(PUBLIC_URL)
    paid = client.post(page, {"card_number": SUCCEEDS})
    assert paid.status_code == 303, paid.content
    return topup_order_reconcile(order=order, actor=Actor.system("tests"))


def assert_books_balance() -> None:
    assert ledger_verify() == []
    assert topup_verify() == []
