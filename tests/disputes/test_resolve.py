"""Deciding a dispute: refund, goodwill credit or rejection; four eyes above the threshold."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import (
    AGENT,
    COLLEAGUE,
    IDENTIFIED,
    IDENTIFIED_EMPTY,
    Credited,
    OpenDispute,
    assert_books_clean,
    dispute_sms,
)
from topup.audit.models import AuditEvent
from topup.core.errors import ApplicationError
from topup.disputes.models import Dispute, DisputeStatus
from topup.disputes.services import dispute_approve, dispute_resolve
from topup.ledger.domain import AccountType
from topup.ledger.models import AccountKind, Transfer, TransferKind
from topup.ledger.services import ledger_account_open
from topup.payments.gateway import PaymentStatus
from topup.payments.models import Payment, PaymentAttempt, SimulatorPayment, SimulatorRefund
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.topups.models import TopupRefund, TopupStatus
from topup.topups.services import TopupRequest, topup_order_create, topup_order_settle_at_counter

pytestmark = pytest.mark.django_db


def _balances(msisdn: str) -> tuple[int, int]:
    balance = sim_balance(sim=sim_get_by_msisdn(msisdn=msisdn))
    return balance.paid_cents, balance.promo_cents


def _code(excinfo: pytest.ExceptionInfo[ApplicationError]) -> tuple[str, int]:
    return excinfo.value.code, excinfo.value.http_status


def test_a_partial_refund_goes_back_to_the_card_and_leaves_the_order_credited(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(1500)
    dispute = dispute_resolve(
        dispute=open_dispute(order), outcome="refund", amount_cents=500, note="", actor=AGENT
    )
    assert (dispute.status, dispute.outcome, dispute.amount_cents) == ("resolved", "refund", 500)
    assert dispute.resolved_at is not None and dispute.proposed_by == AGENT.actor_id
    assert dispute.approved_by == ""  # below the threshold: one pair of eyes is enough
    assert dispute.transfer is not None
    assert dispute.transfer.idempotency_key == f"dispute:{dispute.pk}:refund"
    assert (dispute.transfer.reason_code, dispute.transfer.amount_cents) == ("refund", 500)
    refund = SimulatorRefund.objects.get()
    assert (refund.id, refund.amount_cents, refund.status) == (
        dispute.provider_refund_id,
        500,
        "succeeded",
    )
    assert _balances(IDENTIFIED_EMPTY) == (1000, 0)
    order.refresh_from_db()
    assert order.status == TopupStatus.CREDITED
    payment = Payment.objects.get(provider_payment_id=order.provider_payment_id)
    assert payment.status == PaymentStatus.CAPTURED
    attempt = PaymentAttempt.objects.get(operation="refund")
    assert (attempt.succeeded, attempt.payment_id, attempt.reference) == (
        True,
        payment.pk,
        str(order.pk),
    )
    assert [e.action for e in dispute.events.all()] == ["opened", "refunded"]
    assert AuditEvent.objects.filter(action="dispute.resolved", object_id=str(dispute.pk)).exists()
    assert len(dispute_sms(IDENTIFIED_EMPTY)) == 2  # received, then the outcome
    assert_books_clean()


def test_refunding_the_rest_marks_the_order_and_the_payment_refunded(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(1500)
    first = open_dispute(order)
    dispute_resolve(dispute=first, outcome="refund", amount_cents=500, note="", actor=AGENT)
    second = open_dispute(order, reason="charged_twice")
    dispute_resolve(dispute=second, outcome="refund", amount_cents=1000, note="", actor=AGENT)
    order.refresh_from_db()
    assert order.status == TopupStatus.REFUNDED
    causes = list(order.transitions.order_by("id").values_list("cause", flat=True))
    assert causes[-1] == "refunded in full"
    payment = Payment.objects.get(provider_payment_id=order.provider_payment_id)
    assert payment.status == PaymentStatus.REFUNDED
    assert SimulatorPayment.objects.get().status == PaymentStatus.REFUNDED
    assert _balances(IDENTIFIED_EMPTY) == (0, 0)
    assert_books_clean()
    third = open_dispute(order, reason="other", message="still?")  # a refunded order: goodwill
    with pytest.raises(ApplicationError) as excinfo:
        dispute_resolve(dispute=third, outcome="refund", amount_cents=1, note="", actor=AGENT)
    assert _code(excinfo) == ("refund_above_refundable", 422)
    assert excinfo.value.details["refundable_cents"] == 0


def test_goodwill_credit_lands_on_the_promotional_balance(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(1000, msisdn=IDENTIFIED)
    dispute = dispute_resolve(
        dispute=open_dispute(order), outcome="goodwill", amount_cents=300, note="sorry", actor=AGENT
    )
    assert (dispute.status, dispute.outcome) == ("resolved", "goodwill")
    assert dispute.transfer is not None
    assert dispute.transfer.reason_code == "goodwill"
    assert _balances(IDENTIFIED) == (1500, 300)
    assert SimulatorRefund.objects.count() == 0
    assert [e.action for e in dispute.events.all()] == ["opened", "credited"]
    outcome = dispute_sms(IDENTIFIED)[-1]
    assert "€\xa03,00" in outcome and IDENTIFIED in outcome
    assert_books_clean()


def test_a_rejection_needs_a_reason_and_moves_no_money(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = open_dispute(credited())
    with pytest.raises(ApplicationError) as excinfo:
        dispute_resolve(dispute=dispute, outcome="reject", amount_cents=None, note=" ", actor=AGENT)
    assert _code(excinfo) == ("dispute_note_required", 422)
    dispute = dispute_resolve(
        dispute=dispute, outcome="reject", amount_cents=500, note="Credited fine.", actor=AGENT
    )
    assert (dispute.status, dispute.amount_cents, dispute.transfer) == ("rejected", None, None)
    assert dispute.resolution_note == "Credited fine."
    assert [e.action for e in dispute.events.all()] == ["opened", "rejected"]
    assert "Credited fine." not in dispute_sms(IDENTIFIED_EMPTY)[-1]  # staff notes stay inside
    assert Transfer.objects.filter(reason_code__in=("refund", "goodwill")).count() == 0
    assert_books_clean()


@pytest.mark.parametrize(
    ("outcome", "amount_cents", "code"),
    [
        ("refund_all", 100, "dispute_outcome_unknown"),
        ("refund", None, "dispute_amount_invalid"),
        ("refund", 0, "dispute_amount_invalid"),
        ("goodwill", -5, "dispute_amount_invalid"),
        ("refund", 1001, "refund_above_refundable"),
        ("goodwill", 1001, "goodwill_above_order_amount"),
    ],
)
def test_a_decision_out_of_bounds_is_refused_with_nothing_written(
    credited: Credited,
    open_dispute: OpenDispute,
    outcome: str,
    amount_cents: int | None,
    code: str,
) -> None:
    dispute = open_dispute(credited(1000))
    with pytest.raises(ApplicationError) as excinfo:
        dispute_resolve(
            dispute=dispute, outcome=outcome, amount_cents=amount_cents, note="n", actor=AGENT
        )
    assert _code(excinfo) == (code, 422)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.outcome) == ("open", "")
    assert TopupRefund.objects.count() == 0


def test_above_the_threshold_nothing_moves_until_someone_else_approves(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(5000)
    dispute = dispute_resolve(
        dispute=open_dispute(order), outcome="refund", amount_cents=2001, note="", actor=AGENT
    )
    assert (dispute.status, dispute.proposed_by) == ("awaiting_approval", AGENT.actor_id)
    assert (TopupRefund.objects.count(), SimulatorRefund.objects.count()) == (0, 0)
    assert Transfer.objects.filter(reason_code="refund").count() == 0
    assert _balances(IDENTIFIED_EMPTY) == (5000, 0)
    assert AuditEvent.objects.filter(action="dispute.proposed").count() == 1

    with pytest.raises(ApplicationError) as excinfo:
        dispute_approve(dispute=dispute, actor=AGENT)
    assert _code(excinfo) == ("four_eyes_same_staff", 403)
    assert SimulatorRefund.objects.count() == 0

    for _ in range(2):  # approving twice executes once
        dispute = dispute_approve(dispute=dispute, actor=COLLEAGUE)
    assert (dispute.status, dispute.approved_by) == ("resolved", COLLEAGUE.actor_id)
    assert SimulatorRefund.objects.count() == 1
    assert (
        Transfer.objects.filter(reason_code="refund", kind=TransferKind.POST_PENDING).count() == 1
    )
    assert _balances(IDENTIFIED_EMPTY) == (5000 - 2001, 0)
    assert [e.action for e in dispute.events.all()] == [
        "opened",
        "proposed",
        "approved",
        "refunded",
    ]
    assert AuditEvent.objects.filter(action="dispute.approved").count() == 1
    assert AuditEvent.objects.filter(action="dispute.resolved").count() == 1
    assert_books_clean()


def test_goodwill_at_the_threshold_executes_at_once_and_above_it_waits(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(5000)
    at = dispute_resolve(
        dispute=open_dispute(order), outcome="goodwill", amount_cents=2000, note="", actor=AGENT
    )
    assert at.status == DisputeStatus.RESOLVED
    above = dispute_resolve(
        dispute=open_dispute(order), outcome="goodwill", amount_cents=2500, note="", actor=AGENT
    )
    assert above.status == DisputeStatus.AWAITING_APPROVAL
    assert _balances(IDENTIFIED_EMPTY) == (5000, 2000)
    dispute_approve(dispute=above, actor=COLLEAGUE)
    assert _balances(IDENTIFIED_EMPTY) == (5000, 4500)
    assert_books_clean()


def test_approving_a_case_that_waits_for_nothing_is_a_conflict(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = open_dispute(credited())
    with pytest.raises(ApplicationError) as excinfo:
        dispute_approve(dispute=dispute, actor=COLLEAGUE)
    assert _code(excinfo) == ("dispute_not_awaiting_approval", 409)
    rejected = dispute_resolve(
        dispute=dispute, outcome="reject", amount_cents=None, note="no", actor=AGENT
    )
    assert dispute_approve(dispute=rejected, actor=COLLEAGUE).status == "rejected"  # unchanged


def test_a_decided_case_answers_a_repeat_and_refuses_a_change(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = open_dispute(credited(1000))
    for _ in range(2):
        dispute = dispute_resolve(
            dispute=dispute, outcome="refund", amount_cents=400, note="", actor=AGENT
        )
    assert SimulatorRefund.objects.count() == 1
    assert (
        Transfer.objects.filter(reason_code="refund", kind=TransferKind.POST_PENDING).count() == 1
    )
    with pytest.raises(ApplicationError) as excinfo:
        dispute_resolve(dispute=dispute, outcome="goodwill", amount_cents=400, note="", actor=AGENT)
    assert _code(excinfo) == ("dispute_already_decided", 409)
    assert_books_clean()


def test_a_proposal_may_be_replaced_before_it_is_approved(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = dispute_resolve(
        dispute=open_dispute(credited(5000)),
        outcome="refund",
        amount_cents=4000,
        note="",
        actor=AGENT,
    )
    dispute = dispute_resolve(
        dispute=dispute, outcome="reject", amount_cents=None, note="Not our error.", actor=COLLEAGUE
    )
    assert (dispute.status, dispute.proposed_by) == ("rejected", COLLEAGUE.actor_id)
    assert SimulatorRefund.objects.count() == 0
    assert Dispute.objects.get().events.count() == 3  # opened, proposed, rejected


def test_a_counter_sale_is_not_refunded_online(demo: None, open_dispute: OpenDispute) -> None:
    drawer = ledger_account_open(
        code="test:drawer",
        name="Drawer",
        kind=AccountKind.SHOP_CASH_DRAWER,
        account_type=AccountType.ASSET,
    )
    request = TopupRequest(
        msisdn=IDENTIFIED_EMPTY,
        amount_cents=2000,
        currency="EUR",
        payment_method="cash",
        channel="shop",
        idempotency_scope="shop:test",
        idempotency_key="counter-1",
        requested_by=None,
        language="nl",
        settlement="counter",
    )
    order = topup_order_create(request=request, actor=AGENT)
    order = topup_order_settle_at_counter(
        order_id=order.pk, funding=drawer, instrument_masked="", instrument_hash="", actor=AGENT
    )
    dispute = open_dispute(order)
    with pytest.raises(ApplicationError) as excinfo:
        dispute_resolve(dispute=dispute, outcome="refund", amount_cents=100, note="", actor=AGENT)
    assert _code(excinfo) == ("refund_not_possible", 409)
    dispute = dispute_resolve(
        dispute=dispute, outcome="goodwill", amount_cents=100, note="", actor=AGENT
    )
    assert dispute.status == "resolved"
    assert_books_clean()
