"""Properties of refunds over any sequence of decided amounts: never more than was paid, the
order refunded exactly when its refunds reach its amount, the books balanced after each."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.disputes.conftest import (
    AGENT,
    COLLEAGUE,
    THRESHOLD_CENTS,
    Credited,
    assert_books_clean,
)
from topup.audit.services import Actor
from topup.core.errors import ApplicationError
from topup.disputes.models import DisputeStatus
from topup.disputes.services import dispute_approve, dispute_open, dispute_resolve
from topup.payments.models import SimulatorRefund
from topup.subscribers.selectors import sim_balance
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.selectors import topup_order_refunded_cents

pytestmark = pytest.mark.django_db

ORDER_CENTS = 6000


def _refund_once(order: TopupOrder, amount_cents: int, customer: Actor) -> bool:
    """Open a case and refund `amount_cents`; False when it was refused as too much."""
    dispute = dispute_open(
        order=order, opened_by=order.sim, reason="wrong_amount", message="", actor=customer
    )
    try:
        dispute = dispute_resolve(
            dispute=dispute, outcome="refund", amount_cents=amount_cents, note="", actor=AGENT
        )
    except ApplicationError as error:
        assert error.code == "refund_above_refundable"
        dispute_resolve(
            dispute=dispute, outcome="reject", amount_cents=None, note="no", actor=AGENT
        )
        return False
    if dispute.status == DisputeStatus.AWAITING_APPROVAL:
        assert amount_cents > THRESHOLD_CENTS
        dispute = dispute_approve(dispute=dispute, actor=COLLEAGUE)
    assert dispute.status == DisputeStatus.RESOLVED
    return True


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(amounts=st.lists(st.integers(min_value=1, max_value=ORDER_CENTS + 10), max_size=5))
def test_any_sequence_of_refunds_keeps_the_books_and_the_order_right(
    credited: Credited, customer: Actor, amounts: list[int]
) -> None:
    with transaction.atomic():
        order = credited(ORDER_CENTS)
        expected_refunded = 0
        for amount_cents in amounts:
            if _refund_once(order, amount_cents, customer):
                expected_refunded += amount_cents
            assert expected_refunded <= ORDER_CENTS
            order.refresh_from_db()
            assert topup_order_refunded_cents(order=order) == expected_refunded
            assert (order.status == TopupStatus.REFUNDED) == (expected_refunded == ORDER_CENTS)
            assert sim_balance(sim=order.sim).paid_cents == ORDER_CENTS - expected_refunded
            assert SimulatorRefund.objects.filter(status="succeeded").count() <= len(amounts)
            assert_books_clean()
        transaction.set_rollback(True)
