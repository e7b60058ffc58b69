"""Disputes under concurrency on PostgreSQL: approvers, resolvers and reporters racing each
other execute one refund, post one transfer and open one case."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.disputes.conftest import AGENT, Credited, OpenDispute, assert_books_clean
from tests.support import threads_together
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.core.errors import ApplicationError
from topup.disputes.models import Dispute, DisputeStatus
from topup.disputes.services import dispute_approve, dispute_open, dispute_resolve
from topup.ledger.models import Transfer, TransferKind
from topup.payments.models import PaymentAttempt, SimulatorRefund
from topup.subscribers.selectors import sim_balance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def _race(work: Callable[[int], object]) -> list[BaseException]:
    return threads_together(work, threads=THREADS)


def _staff(index: int) -> Actor:
    return Actor(actor_type="staff", actor_id=str(100 + index))


def _one_refund_posted() -> None:
    assert SimulatorRefund.objects.count() == 1
    assert (
        Transfer.objects.filter(reason_code="refund", kind=TransferKind.POST_PENDING).count() == 1
    )
    assert Transfer.objects.filter(reason_code="refund", kind=TransferKind.PENDING).count() == 1


def test_approvers_approving_at_once_execute_one_refund(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(5000)
    dispute = dispute_resolve(
        dispute=open_dispute(order), outcome="refund", amount_cents=4500, note="", actor=AGENT
    )
    assert dispute.status == DisputeStatus.AWAITING_APPROVAL

    errors = _race(lambda i: dispute_approve(dispute=dispute, actor=_staff(i)))

    assert errors == []
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    _one_refund_posted()
    assert sim_balance(sim=order.sim).paid_cents == 500
    assert dispute.events.filter(action="approved").count() == 1
    assert dispute.events.filter(action="refunded").count() == 1
    assert AuditEvent.objects.filter(action="dispute.approved").count() == 1
    # Approvers that lost the race may have asked the provider too: the key made it one refund.
    assert PaymentAttempt.objects.filter(operation="refund", succeeded=True).count() >= 1
    assert_books_clean()


def test_resolvers_submitting_the_same_refund_at_once_refund_once(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(1500)
    dispute = open_dispute(order)

    def resolve(index: int) -> None:
        dispute_resolve(
            dispute=dispute, outcome="refund", amount_cents=1500, note="", actor=_staff(index)
        )

    errors = _race(resolve)

    assert errors == []
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    _one_refund_posted()
    order.refresh_from_db()
    assert order.status == "refunded"
    assert_books_clean()


def test_different_decisions_at_once_leave_exactly_one(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(1500)
    dispute = open_dispute(order)

    def decide(index: int) -> None:
        if index % 2:
            dispute_resolve(
                dispute=dispute, outcome="refund", amount_cents=1000, note="", actor=_staff(index)
            )
        else:
            dispute_resolve(
                dispute=dispute, outcome="goodwill", amount_cents=300, note="", actor=_staff(index)
            )

    errors = _race(decide)

    assert all(isinstance(e, ApplicationError) for e in errors), errors
    refused = {e.code for e in errors if isinstance(e, ApplicationError)}
    assert refused <= {"dispute_already_decided", "dispute_refund_in_progress"}
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    money = Transfer.objects.filter(
        reason_code__in=("refund", "goodwill"), kind__in=(TransferKind.POSTED, "post_pending")
    )
    assert [t.reason_code for t in money] == [
        "refund" if dispute.outcome == "refund" else "goodwill"
    ]
    assert_books_clean()


def test_reporters_racing_open_one_case(credited: Credited, customer: Actor) -> None:
    order = credited(1500)

    errors = _race(
        lambda _i: dispute_open(
            order=order, opened_by=order.sim, reason="other", message="twice?", actor=customer
        )
    )

    assert len(errors) == THREADS - 1
    assert {e.code for e in errors if isinstance(e, ApplicationError)} == {"dispute_already_open"}
    assert Dispute.objects.filter(order=order).count() == 1
