"""Refunds through the gateway port: the simulator's rules, idempotency keys, recorded attempts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.payments.conftest import CreatePayment
from topup.core.errors import InvariantViolation
from topup.payments.gateway import (
    GatewayUnavailable,
    PaymentRefund,
    PaymentSession,
    PaymentStatus,
    RefundStatus,
)
from topup.payments.models import Payment, PaymentAttempt, SimulatorPayment, SimulatorRefund
from topup.payments.services import payment_refund, payment_state_fetch
from topup.payments.simulator.services import simulator_settings_update

pytestmark = pytest.mark.django_db

SUCCEEDS = "4242424242424242"
PayWithCard = Callable[[PaymentSession, str], SimulatorPayment]


@pytest.fixture
def captured(create_payment: CreatePayment, pay_with_card: PayWithCard) -> PaymentSession:
    """A captured payment of 15.00 the platform has fetched (its Payment row says captured)."""
    session = create_payment(amount_cents=1500)
    pay_with_card(session, SUCCEEDS)
    state = payment_state_fetch(
        provider="simulator", provider_payment_id=session.provider_payment_id
    )
    assert state.status == PaymentStatus.CAPTURED
    return session


def _refund(session: PaymentSession, amount_cents: int, key: str) -> PaymentRefund:
    return payment_refund(
        provider="simulator",
        provider_payment_id=session.provider_payment_id,
        amount_cents=amount_cents,
        idempotency_key=key,
    )


def _payment(session: PaymentSession) -> Payment:
    return Payment.objects.get(provider_payment_id=session.provider_payment_id)


def test_partial_refunds_up_to_the_amount_then_the_payment_is_refunded(
    captured: PaymentSession,
) -> None:
    first = _refund(captured, 500, "r-1")
    assert (first.status, first.amount_cents, first.failure_code) == (
        RefundStatus.SUCCEEDED,
        500,
        "",
    )
    assert first.provider_refund_id.startswith("sim_ref_")
    assert _payment(captured).status == PaymentStatus.CAPTURED
    second = _refund(captured, 1000, "r-2")
    assert second.status == RefundStatus.SUCCEEDED
    assert _payment(captured).status == PaymentStatus.REFUNDED
    assert SimulatorPayment.objects.get().status == PaymentStatus.REFUNDED
    attempts = PaymentAttempt.objects.filter(operation="refund").order_by("at", "id")
    assert [(a.succeeded, a.response_summary["amount_cents"]) for a in attempts] == [
        (True, 500),
        (True, 1000),
    ]
    assert all(a.payment_id == _payment(captured).pk for a in attempts)


def test_the_same_key_answers_the_same_refund_and_never_refunds_twice(
    captured: PaymentSession,
) -> None:
    answers = {_refund(captured, 1500, "once").provider_refund_id for _ in range(3)}
    assert len(answers) == 1
    assert SimulatorRefund.objects.count() == 1
    assert _payment(captured).status == PaymentStatus.REFUNDED
    assert PaymentAttempt.objects.filter(operation="refund").count() == 3


def test_the_same_key_for_another_amount_is_a_bug(captured: PaymentSession) -> None:
    _refund(captured, 500, "k")
    with pytest.raises(InvariantViolation):
        _refund(captured, 600, "k")


def test_more_than_was_captured_is_refused_and_the_refusal_is_replayed(
    captured: PaymentSession,
) -> None:
    _refund(captured, 1000, "a")
    refused = _refund(captured, 501, "b")
    assert (refused.status, refused.failure_code) == (
        RefundStatus.FAILED,
        "amount_exceeds_captured",
    )
    assert _refund(captured, 501, "b").provider_refund_id == refused.provider_refund_id
    attempt = PaymentAttempt.objects.filter(operation="refund").order_by("-at", "-id").first()
    assert attempt is not None
    assert (attempt.succeeded, attempt.error_code) == (False, "amount_exceeds_captured")
    assert _payment(captured).status == PaymentStatus.CAPTURED
    assert _refund(captured, 500, "c").status == RefundStatus.SUCCEEDED


def test_a_payment_not_captured_or_unknown_is_not_refunded(
    create_payment: CreatePayment,
) -> None:
    pending = create_payment(amount_cents=1500)
    answer = _refund(pending, 100, "p")
    assert (answer.status, answer.failure_code) == (RefundStatus.FAILED, "payment_not_captured")
    unknown = payment_refund(
        provider="simulator",
        provider_payment_id="sim_pay_nope",
        amount_cents=100,
        idempotency_key="u",
    )
    assert (unknown.status, unknown.failure_code) == (RefundStatus.FAILED, "payment_unknown")
    assert SimulatorPayment.objects.get().status == PaymentStatus.PENDING


def test_an_outage_raises_records_a_failed_attempt_and_refunds_nothing(
    captured: PaymentSession,
) -> None:
    simulator_settings_update(outage=True)
    with pytest.raises(GatewayUnavailable):
        _refund(captured, 500, "o")
    attempt = PaymentAttempt.objects.get(operation="refund")
    assert (attempt.succeeded, attempt.error_code) == (False, "provider_unreachable")
    assert SimulatorRefund.objects.count() == 0
    simulator_settings_update(outage=False)
    assert _refund(captured, 500, "o").status == RefundStatus.SUCCEEDED
    assert SimulatorRefund.objects.count() == 1
