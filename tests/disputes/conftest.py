"""Fixtures for disputes: credited top-ups, the customer and two staff members, a clean ledger."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

import pytest
from pytest_django.fixtures import Settings

from tests.topups.conftest import (  # noqa: F401 - fixtures
    IDENTIFIED,
    IDENTIFIED_EMPTY,
    CreateOrder,
    Pay,
    create_order,
    customer,
    demo,
    pay,
)
from topup.audit.services import Actor
from topup.disputes.models import Dispute
from topup.disputes.services import dispute_open
from topup.ledger.verify import ledger_verify
from topup.messaging.models import SmsMessage, SmsPurpose
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import TopupRequest, topup_order_create, topup_order_reconcile
from topup.topups.verify import topup_verify

SUCCEEDS = "4242424242424242"
THRESHOLD_CENTS = 2000
AGENT = Actor(actor_type="staff", actor_id="11", ip_address="192.0.2.11")
COLLEAGUE = Actor(actor_type="staff", actor_id="12", ip_address="192.0.2.12")


class Credited(Protocol):
    def __call__(
        self, amount_cents: int = 1000, *, msisdn: str = IDENTIFIED_EMPTY, payer: str = ""
    ) -> TopupOrder: ...


OpenDispute = Callable[..., Dispute]


@pytest.fixture(autouse=True)
def four_eyes_threshold(settings: Settings) -> None:
    settings.TOPUP_FOUR_EYES_THRESHOLD_CENTS = THRESHOLD_CENTS


@pytest.fixture
def credited(demo: None, customer: Actor, pay: Pay) -> Credited:  # noqa: F811 - fixtures
    """A top-up paid on the simulator's page and credited; `payer` is the line that asked."""

    def make(
        amount_cents: int = 1000, *, msisdn: str = IDENTIFIED_EMPTY, payer: str = ""
    ) -> TopupOrder:
        request = TopupRequest(
            msisdn=msisdn,
            amount_cents=amount_cents,
            currency="EUR",
            payment_method="card",
            channel="online",
            idempotency_scope="tests",
            idempotency_key=uuid.uuid4().hex,
            requested_by=Sim.objects.get(msisdn=payer) if payer else None,
            language="en",
        )
        order = topup_order_create(request=request, actor=customer)
        pay(order, SUCCEEDS)
        order = topup_order_reconcile(order=order, actor=Actor.system("tests"))
        assert order.status == TopupStatus.CREDITED
        return order

    return make


@pytest.fixture
def open_dispute(customer: Actor) -> OpenDispute:  # noqa: F811 - the fixture
    """The credited line reports a problem with its top-up."""

    def make(order: TopupOrder, *, reason: str = "wrong_amount", message: str = "Hm.") -> Dispute:
        return dispute_open(
            order=order, opened_by=order.sim, reason=reason, message=message, actor=customer
        )

    return make


def dispute_sms(msisdn: str) -> list[str]:
    """The dispute SMS sent to a number, oldest first."""
    return list(
        SmsMessage.objects.filter(msisdn=msisdn, purpose=SmsPurpose.DISPUTE)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
    )


def assert_books_clean() -> None:
    assert ledger_verify() == []
    assert topup_verify() == []
