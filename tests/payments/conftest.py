"""Fixtures for payments: payment requests, the simulator's switches, a merchant to call back."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from tests.payments.urls import RECEIVER, ReceiverState
from topup.payments.gateway import PaymentRequest, PaymentSession
from topup.payments.models import SimulatorPayment
from topup.payments.services import payment_create
from topup.payments.simulator.services import simulator_settings_update

UNREACHABLE_WEBHOOK_URL = "http://127.0.0.1:9/webhooks"  # the discard port: refused at once
_ORDER_NUMBERS = itertools.count(1)

CreatePayment = Callable[..., PaymentSession]


@pytest.fixture(autouse=True)
def payments_urls(settings: Settings) -> None:
    settings.ROOT_URLCONF = "tests.payments.urls"
    settings.TOPUP_PUBLIC_URL = "http://testserver"


@pytest.fixture
def create_payment() -> CreatePayment:
    """Create a payment through the platform service, as the top-up orders do."""

    def create(
        *,
        method: str = "card",
        amount_cents: int = 1500,
        webhook_url: str = UNREACHABLE_WEBHOOK_URL,
        reference: str | None = None,
    ) -> PaymentSession:
        reference = reference or f"order-{next(_ORDER_NUMBERS)}"
        request = PaymentRequest(
            reference=reference,
            idempotency_key=f"topup:{reference}",
            amount_cents=amount_cents,
            currency="EUR",
            method=method,
            description="Top-up +32470000001",
            return_url=f"http://merchant.example/topups/{reference}/return",
            webhook_url=webhook_url,
            language="en",
        )
        return payment_create(request=request, provider="simulator")

    return create


@pytest.fixture
def pay_with_card(client: Client) -> Callable[[PaymentSession, str], SimulatorPayment]:
    """Submit the hosted card form like a plain HTTP client; return the provider's record."""

    def pay(session: PaymentSession, card_number: str) -> SimulatorPayment:
        response = client.post(hosted_page_path(session), {"card_number": card_number})
        assert response.status_code == 303, response.content
        return SimulatorPayment.objects.get(id=session.provider_payment_id)

    return pay


def hosted_page_path(session: PaymentSession) -> str:
    """The hosted page's path, for the test client."""
    return session.redirect_url.removeprefix("http://testserver")


@pytest.fixture
def merchant(live_server: LiveServer) -> Iterator[ReceiverState]:
    """The merchant's webhook endpoint, served over real HTTP by the live server."""
    RECEIVER.reset()
    RECEIVER.url = f"{live_server.url}/merchant/webhooks/simulator"
    yield RECEIVER
    RECEIVER.reset()


@pytest.fixture
def webhook_mode() -> Callable[..., None]:
    def switch(mode: str, *, late_delay_s: int | None = None) -> None:
        simulator_settings_update(webhook_mode=mode, late_delay_s=late_delay_s)

    return switch
