"""Fixtures for the disputes screens: the demo lines, a credited top-up and a customer's report."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from topup.audit.services import Actor
from topup.cli.demo_data import demo_data_load
from topup.disputes.models import Dispute, DisputeReason
from topup.disputes.services import dispute_open
from topup.payments.simulator.services import simulator_settings_update
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.services import TopupRequest, topup_order_create, topup_order_reconcile

CUSTOMER = "+32470000002"  # identified, € 0.00: every euro on the line comes from the test
SUCCEEDING_CARD = "4242424242424242"

ReportFactory = Callable[..., Dispute]


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    settings.TOPUP_SIMULATOR_WEBHOOK_RETRY_BASE_S = 0
    assert demo_data_load()
    simulator_settings_update(webhook_mode="never")  # the tests reconcile themselves


def credited_order(*, msisdn: str = CUSTOMER, amount_cents: int = 5000) -> TopupOrder:
    """A card top-up paid on the simulator's page and applied by reconciliation."""
    sim = Sim.objects.get(msisdn=msisdn)
    order = topup_order_create(
        request=TopupRequest(
            msisdn=msisdn,
            amount_cents=amount_cents,
            currency="EUR",
            payment_method="card",
            channel="online",
            idempotency_scope="tests:backoffice",
            idempotency_key=uuid.uuid4().hex,
            requested_by=sim,
            language="en",
        ),
        actor=Actor.system("tests"),
    )
    path = order.payment_redirect_url.removeprefix("http://localhost")
    assert Client().post(path, {"card_number": SUCCEEDING_CARD}).status_code == 303
    order = topup_order_reconcile(order=order, actor=Actor.system("tests"))
    assert order.status == TopupStatus.CREDITED
    return order


@pytest.fixture
def report(demo: None) -> ReportFactory:
    """`report(amount_cents=..., message=...)`: a credited top-up and its customer's report."""

    def create(
        *,
        amount_cents: int = 5000,
        reason: str = DisputeReason.NOT_CREDITED,
        message: str = "My balance did not change after paying.",
    ) -> Dispute:
        order = credited_order(amount_cents=amount_cents)
        return dispute_open(
            order=order,
            opened_by=order.sim,
            reason=reason,
            message=message,
            actor=Actor(actor_type="subscriber", actor_id=str(order.sim_id)),
        )

    return create
