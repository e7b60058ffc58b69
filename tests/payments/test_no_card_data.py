"""The platform never stores a card number: not in the simulator's tables, ours, tasks or logs."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.core import serializers
from django.db.models import Model
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from tests.payments.conftest import CreatePayment
from topup.audit.models import AuditEvent
from topup.core.worker import worker_drain
from topup.payments.gateway import PaymentSession
from topup.payments.models import (
    Payment,
    PaymentAttempt,
    SimulatorPayment,
    SimulatorSettings,
    SimulatorWebhookDelivery,
    WebhookEvent,
)
from topup.payments.services import payment_state_fetch

TEST_CARDS = [
    "4242424242424242",
    "4000000000000002",
    "4000000000009995",
    "4000000000000119",
    "5555555555554444",
]
SCANNED_MODELS: list[type[Model]] = [
    SimulatorPayment,
    SimulatorWebhookDelivery,
    SimulatorSettings,
    Payment,
    PaymentAttempt,
    WebhookEvent,
    DBTaskResult,
    AuditEvent,
]


def _stored_text() -> str:
    return "\n".join(
        serializers.serialize("json", model._default_manager.all()) for model in SCANNED_MODELS
    )


@pytest.mark.django_db
def test_no_card_number_appears_in_any_row_or_log_line(
    create_payment: CreatePayment,
    pay_with_card: Callable[[PaymentSession, str], SimulatorPayment],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.TOPUP_SIMULATOR_PENDING_RESOLVE_S = 0
    caplog.set_level(logging.DEBUG)
    for card_number in TEST_CARDS:
        payment = pay_with_card(create_payment(), card_number)
        payment_state_fetch(provider="simulator", provider_payment_id=payment.id)
    worker_drain()  # resolves the pending card; webhooks fail against an unreachable merchant

    stored = _stored_text()
    assert SimulatorPayment.objects.filter(card_last4="4242").exists()  # the scan saw the rows
    for card_number in TEST_CARDS:
        assert card_number not in stored
        assert card_number not in caplog.text
    assert SimulatorPayment.objects.filter(status="captured").count() == 3
