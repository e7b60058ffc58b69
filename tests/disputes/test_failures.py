"""When a refund cannot happen now: too little credit left, the provider down or refusing, a
crash between the provider's yes and our books. Nothing is half-written or refunded twice."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import (
    AGENT,
    COLLEAGUE,
    IDENTIFIED_EMPTY,
    Credited,
    OpenDispute,
    assert_books_clean,
)
from topup.core.errors import ApplicationError
from topup.disputes.models import Dispute
from topup.disputes.services import dispute_approve, dispute_resolve
from topup.ledger.models import Transfer, TransferKind
from topup.ledger.services import ledger_system_account, ledger_transfer
from topup.payments.models import PaymentAttempt, SimulatorRefund
from topup.payments.simulator.services import simulator_refund_create, simulator_settings_update
from topup.subscribers.models import Sim
from topup.subscribers.selectors import sim_balance, sim_get_by_msisdn
from topup.topups.models import TopupOrder, TopupRefund, TopupRefundStatus

pytestmark = pytest.mark.django_db


def _spend(cents: int) -> None:
    """The customer buys something with paid credit."""
    sim = Sim.objects.select_related("paid_account").get(msisdn=IDENTIFIED_EMPTY)
    ledger_transfer(
        idempotency_key=f"test:spend:{cents}",
        debit=sim.paid_account,
        credit=ledger_system_account(name="revenue"),
        amount_cents=cents,
        reason_code="plan",
        actor=AGENT,
    )


def _paid_cents() -> int:
    return sim_balance(sim=sim_get_by_msisdn(msisdn=IDENTIFIED_EMPTY)).paid_cents


def _nothing_started(dispute: Dispute, *, status: str) -> None:
    dispute.refresh_from_db()
    assert dispute.status == status
    assert dispute.transfer_id is None
    assert TopupRefund.objects.count() == 0
    assert Transfer.objects.filter(reason_code="refund").count() == 0
    assert SimulatorRefund.objects.count() == 0
    assert PaymentAttempt.objects.filter(operation="refund").count() == 0


def test_a_refund_above_the_credit_left_is_refused_with_nothing_written(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = open_dispute(credited(1500))
    _spend(1200)
    with pytest.raises(ApplicationError) as excinfo:
        dispute_resolve(dispute=dispute, outcome="refund", amount_cents=500, note="", actor=AGENT)
    assert (excinfo.value.code, excinfo.value.http_status) == ("refund_exceeds_credit", 409)
    assert excinfo.value.details == {"available_cents": 300, "amount_cents": 500}
    _nothing_started(dispute, status="open")
    assert dispute.outcome == ""
    assert [e.action for e in dispute.events.all()] == ["opened"]
    dispute = dispute_resolve(
        dispute=dispute, outcome="refund", amount_cents=300, note="", actor=AGENT
    )
    assert dispute.status == "resolved"
    assert _paid_cents() == 0
    assert_books_clean()


def test_credit_spent_while_awaiting_approval_stops_the_approval(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = dispute_resolve(
        dispute=open_dispute(credited(5000)),
        outcome="refund",
        amount_cents=4000,
        note="",
        actor=AGENT,
    )
    _spend(2000)
    with pytest.raises(ApplicationError) as excinfo:
        dispute_approve(dispute=dispute, actor=COLLEAGUE)
    assert excinfo.value.code == "refund_exceeds_credit"
    _nothing_started(dispute, status="awaiting_approval")
    assert dispute.approved_by == ""
    assert_books_clean()


def test_a_provider_outage_keeps_the_case_open_and_a_retry_refunds_once(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = open_dispute(credited(1500))
    simulator_settings_update(outage=True)
    for _ in range(2):
        with pytest.raises(ApplicationError) as excinfo:
            dispute_resolve(
                dispute=dispute, outcome="refund", amount_cents=700, note="", actor=AGENT
            )
        assert (excinfo.value.code, excinfo.value.http_status) == (
            "refund_provider_unavailable",
            503,
        )
    dispute.refresh_from_db()
    assert (dispute.status, dispute.outcome) == ("open", "")
    assert [e.action for e in dispute.events.all()] == ["opened", "refund_failed", "refund_failed"]
    reserved = TopupRefund.objects.get()
    assert (reserved.status, reserved.amount_cents) == (TopupRefundStatus.RESERVED, 700)
    assert _paid_cents() == 1500  # held, not taken: the balance is unchanged ...
    assert PaymentAttempt.objects.filter(operation="refund", succeeded=False).count() == 2
    assert_books_clean()

    # ... and while the refund may be at the provider, the case cannot be decided differently.
    for outcome, amount in (("refund", 600), ("goodwill", 700), ("reject", None)):
        with pytest.raises(ApplicationError) as excinfo:
            dispute_resolve(
                dispute=dispute, outcome=outcome, amount_cents=amount, note="n", actor=AGENT
            )
        assert excinfo.value.code == "dispute_refund_in_progress"
        assert excinfo.value.details == {"amount_cents": 700}

    simulator_settings_update(outage=False)
    dispute = dispute_resolve(
        dispute=dispute, outcome="refund", amount_cents=700, note="", actor=AGENT
    )
    assert dispute.status == "resolved"
    assert SimulatorRefund.objects.count() == 1
    assert _paid_cents() == 800
    assert_books_clean()


def test_an_outage_during_approval_leaves_it_awaiting_until_retried(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = dispute_resolve(
        dispute=open_dispute(credited(5000)),
        outcome="refund",
        amount_cents=3000,
        note="",
        actor=AGENT,
    )
    simulator_settings_update(outage=True)
    with pytest.raises(ApplicationError):
        dispute_approve(dispute=dispute, actor=COLLEAGUE)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.approved_by) == ("awaiting_approval", "")
    simulator_settings_update(outage=False)
    dispute = dispute_approve(dispute=dispute, actor=COLLEAGUE)
    assert (dispute.status, dispute.approved_by) == ("resolved", COLLEAGUE.actor_id)
    assert SimulatorRefund.objects.count() == 1
    assert_books_clean()


def test_a_crash_after_the_provider_refunded_is_finished_by_a_retry(
    credited: Credited, open_dispute: OpenDispute, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispute = open_dispute(credited(1500))

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the process died")

    with monkeypatch.context() as patched:
        patched.setattr("topup.topups.services._refund_settle", crash)
        with pytest.raises(RuntimeError):
            dispute_resolve(
                dispute=dispute, outcome="refund", amount_cents=1500, note="", actor=AGENT
            )
    assert SimulatorRefund.objects.count() == 1  # the provider did refund
    dispute.refresh_from_db()
    assert dispute.status == "open"

    dispute = dispute_resolve(
        dispute=dispute, outcome="refund", amount_cents=1500, note="", actor=AGENT
    )
    assert dispute.status == "resolved"
    assert SimulatorRefund.objects.count() == 1
    assert (
        Transfer.objects.filter(reason_code="refund", kind=TransferKind.POST_PENDING).count() == 1
    )
    assert TopupOrder.objects.get().status == "refunded"
    assert _paid_cents() == 0
    assert_books_clean()


def test_a_refund_the_provider_refuses_releases_the_credit_and_allows_goodwill(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(1500)
    # Refunded at the provider behind the platform's back (e.g. by the provider's support).
    simulator_refund_create(
        payment_id=order.provider_payment_id, amount_cents=1500, idempotency_key="elsewhere"
    )
    dispute = open_dispute(order)
    with pytest.raises(ApplicationError) as excinfo:
        dispute_resolve(dispute=dispute, outcome="refund", amount_cents=500, note="", actor=AGENT)
    assert excinfo.value.code == "refund_refused_by_provider"
    assert excinfo.value.details == {"failure_code": "payment_not_captured"}
    refused = TopupRefund.objects.get()
    assert refused.status == TopupRefundStatus.REFUSED
    assert refused.hold.resolutions.get().kind == TransferKind.VOID_PENDING
    assert sim_balance(sim=order.sim).paid_cents == 1500
    with pytest.raises(ApplicationError) as excinfo:
        dispute_resolve(dispute=dispute, outcome="refund", amount_cents=500, note="", actor=AGENT)
    assert excinfo.value.code == "refund_refused_by_provider"
    dispute = dispute_resolve(
        dispute=dispute, outcome="goodwill", amount_cents=500, note="", actor=AGENT
    )
    assert dispute.status == "resolved"
    assert [e.action for e in dispute.events.all()] == [
        "opened",
        "refund_failed",
        "credited",
    ]
    assert_books_clean()
