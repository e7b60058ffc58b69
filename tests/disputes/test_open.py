"""Opening a dispute: who may, on which orders, once at a time, with a checked reason and text."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import (
    AGENT,
    IDENTIFIED,
    IDENTIFIED_EMPTY,
    Credited,
    OpenDispute,
    assert_books_clean,
    dispute_sms,
)
from tests.topups.conftest import CreateOrder
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.core.errors import ApplicationError
from topup.disputes.models import Dispute, DisputeStatus
from topup.disputes.services import dispute_open, dispute_resolve
from topup.subscribers.models import Sim

pytestmark = pytest.mark.django_db


def test_the_credited_line_opens_a_case_and_gets_a_confirmation(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited(1000, msisdn=IDENTIFIED)  # the demo line reads Dutch
    dispute = open_dispute(order, reason="not_recognised", message="  Not me.\r\nReally.  ")
    assert (dispute.status, dispute.outcome, dispute.amount_cents) == ("open", "", None)
    assert dispute.message == "Not me.\nReally."
    assert dispute.language == "nl"
    assert [e.action for e in dispute.events.all()] == ["opened"]
    audit = AuditEvent.objects.get(action="dispute.opened")
    assert (audit.object_type, audit.object_id) == ("dispute", str(dispute.pk))
    [sms] = dispute_sms(IDENTIFIED)
    assert "€\xa010,00" in sms  # the amount as a Dutch reader writes it
    assert order.receipt_number and order.receipt_number in sms
    assert_books_clean()


def test_the_line_that_paid_for_it_may_open_it_and_no_other(
    credited: Credited, customer: Actor
) -> None:
    order = credited(1000, msisdn=IDENTIFIED_EMPTY, payer=IDENTIFIED)
    stranger = Sim.objects.get(msisdn="+32470000003")
    with pytest.raises(ApplicationError) as excinfo:
        dispute_open(order=order, opened_by=stranger, reason="other", message="x", actor=customer)
    assert excinfo.value.code == "topup_not_found"
    payer = Sim.objects.get(msisdn=IDENTIFIED)
    dispute = dispute_open(
        order=order, opened_by=payer, reason="charged_twice", message="", actor=customer
    )
    assert dispute.opened_by == payer
    assert len(dispute_sms(IDENTIFIED)) == 1  # the confirmation goes to whoever reported it
    assert dispute_sms(IDENTIFIED_EMPTY) == []


def test_an_order_not_credited_cannot_be_disputed(
    create_order: CreateOrder, open_dispute: OpenDispute
) -> None:
    order = create_order()  # awaiting payment: it settles by itself
    with pytest.raises(ApplicationError) as excinfo:
        open_dispute(order)
    assert excinfo.value.code == "dispute_order_not_eligible"
    assert excinfo.value.details == {"status": "awaiting_payment"}
    assert Dispute.objects.count() == 0


def test_one_open_case_per_order_and_a_new_one_once_it_is_decided(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    order = credited()
    first = open_dispute(order)
    with pytest.raises(ApplicationError) as excinfo:
        open_dispute(order)
    assert (excinfo.value.code, excinfo.value.http_status) == ("dispute_already_open", 409)
    dispute_resolve(dispute=first, outcome="reject", amount_cents=None, note="ok", actor=AGENT)
    second = open_dispute(order)
    assert second.status == DisputeStatus.OPEN
    assert Dispute.objects.filter(order=order).count() == 2


@pytest.mark.parametrize(
    ("reason", "message", "code"),
    [
        ("fraud", "x", "dispute_reason_unknown"),
        ("", "x", "dispute_reason_unknown"),
        ("other", "   ", "dispute_message_required"),
        ("other", "x" * 1001, "dispute_text_too_long"),
    ],
)
def test_a_bad_reason_or_text_is_refused_with_nothing_written(
    credited: Credited, open_dispute: OpenDispute, reason: str, message: str, code: str
) -> None:
    order = credited()
    with pytest.raises(ApplicationError) as excinfo:
        open_dispute(order, reason=reason, message=message)
    assert (excinfo.value.code, excinfo.value.http_status) == (code, 422)
    assert Dispute.objects.count() == 0
    assert dispute_sms(IDENTIFIED_EMPTY) == []


def test_a_message_of_exactly_the_limit_is_kept(
    credited: Credited, open_dispute: OpenDispute
) -> None:
    dispute = open_dispute(credited(), reason="other", message="é" * 1000)
    dispute.refresh_from_db()
    assert dispute.message == "é" * 1000
