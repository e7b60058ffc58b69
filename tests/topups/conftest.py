"""Fixtures for top-ups: the demo catalog and lines, and paying on the simulator's page."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from topup.audit.services import Actor
from topup.cli.demo_data import demo_data_load
from topup.topups.models import TopupOrder
from topup.topups.services import TopupRequest, topup_order_create

IDENTIFIED = "+32470000001"  # € 5.00
IDENTIFIED_EMPTY = "+32470000002"  # € 0.00
AWAITING_IDENTIFICATION = "+32470000003"

CreateOrder = Callable[..., TopupOrder]
Pay = Callable[[TopupOrder, str], None]


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    settings.TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S = 0
    assert demo_data_load()


@pytest.fixture
def customer() -> Actor:
    return Actor(actor_type="subscriber", actor_id="test", ip_address="192.0.2.10")


@pytest.fixture
def create_order(demo: None, customer: Actor) -> CreateOrder:
    def create(
        *,
        msisdn: str = IDENTIFIED,
        amount_cents: int = 1000,
        payment_method: str = "card",
        channel: str = "online",
        key: str | None = None,
        currency: str = "EUR",
    ) -> TopupOrder:
        request = TopupRequest(
            msisdn=msisdn,
            amount_cents=amount_cents,
            currency=currency,
            payment_method=payment_method,
            channel=channel,
            idempotency_scope="tests",
            idempotency_key=key or uuid.uuid4().hex,
            requested_by=None,
            language="en",
        )
        return topup_order_create(request=request, actor=customer)

    return create


@pytest.fixture
def pay(client: Client) -> Pay:
    """Pay on the simulator's hosted page as a plain HTTP client would."""

    def submit(order: TopupOrder, card_number: str) -> None:
        path = order.payment_redirect_url.removeprefix("http://localhost")
        response = client.post(path, {"card_number": card_number})
        assert response.status_code == 303, response.content

    return submit
