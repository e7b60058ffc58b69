"""Deciding a compliance case: clear it, ask for re-identification, or suspend the line."""

from __future__ import annotations

import pytest

from tests.support import FakeClock
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.compliance.errors import (
    ComplianceCaseAlreadyDecided,
    ComplianceDecisionInvalid,
    ComplianceLineTerminated,
    ComplianceReasonRequired,
)
from topup.compliance.models import CaseDecision, CaseStatus, ComplianceCase
from topup.compliance.services import compliance_case_decide, compliance_scan
from topup.core.errors import Conflict, ValidationFailed
from topup.subscribers.errors import LineHeldForReverification, SubscriberSuspended
from topup.subscribers.models import HoldReason, ReidentificationRequest, Sim, SimStatus
from topup.subscribers.selectors import sim_topup_check
from topup.subscribers.services import line_hold_open, sim_status_change

from .conftest import Identify, NewLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> ComplianceCase:
    """An open SIM-swap case on an identified line; the swap hold itself is cleared (the
    customer re-verified) so the line's own state shows what the decision did."""
    sim = new_line()
    identified(sim)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    compliance_scan(actor=system_actor)
    identified(sim)
    return ComplianceCase.objects.get()


def test_clearing_a_case_records_who_why_and_when_and_leaves_the_line_alone(
    case: ComplianceCase, officer: Actor, clock: FakeClock
) -> None:
    decided = compliance_case_decide(
        case=case, decision="clear", reason="  customer confirmed   the new SIM ", actor=officer
    )
    assert decided.status == CaseStatus.CLEARED
    assert decided.decision == CaseDecision.CLEAR
    assert decided.decision_reason == "customer confirmed the new SIM"
    assert decided.decided_by == "staff:42"
    assert decided.decided_at == clock.now()
    sim_topup_check(sim=Sim.objects.get(pk=case.sim_id))
    event = AuditEvent.objects.get(action="compliance.case_decided")
    assert (event.object_id, event.actor_id, event.ip_address) == (str(case.pk), "42", "192.0.2.10")
    assert event.data["decision"] == "clear"


def test_asking_for_reidentification_holds_the_line_until_the_customer_identifies_again(
    case: ComplianceCase, officer: Actor, identified: Identify
) -> None:
    decided = compliance_case_decide(
        case=case, decision="request_reidentification", reason="swap unconfirmed", actor=officer
    )
    assert decided.status == CaseStatus.ACTIONED
    sim = Sim.objects.get(pk=case.sim_id)
    request = ReidentificationRequest.objects.get(sim=sim)
    assert (request.reason, request.requested_by) == ("swap unconfirmed", "staff:42")
    with pytest.raises(LineHeldForReverification):
        sim_topup_check(sim=sim)
    event = AuditEvent.objects.get(action="compliance.case_decided")
    assert event.data["reidentification_request_id"] == request.pk
    identified(sim)
    sim_topup_check(sim=sim)


def test_suspending_the_line_stops_top_ups(case: ComplianceCase, officer: Actor) -> None:
    decided = compliance_case_decide(
        case=case, decision=CaseDecision.SUSPEND_LINE, reason="fraud suspected", actor=officer
    )
    assert decided.status == CaseStatus.ACTIONED
    sim = Sim.objects.get(pk=case.sim_id)
    assert sim.status == SimStatus.SUSPENDED
    with pytest.raises(SubscriberSuspended):
        sim_topup_check(sim=sim)
    change = AuditEvent.objects.get(action="subscribers.sim_status_changed", data__to="suspended")
    assert (change.reason, change.actor_id) == ("fraud suspected", "42")


def test_a_case_is_decided_once(case: ComplianceCase, officer: Actor) -> None:
    compliance_case_decide(case=case, decision="clear", reason="fine", actor=officer)
    with pytest.raises(ComplianceCaseAlreadyDecided) as raised:
        compliance_case_decide(case=case, decision="suspend_line", reason="oops", actor=officer)
    assert isinstance(raised.value, Conflict)
    assert Sim.objects.get(pk=case.sim_id).status == SimStatus.ACTIVE
    assert AuditEvent.objects.filter(action="compliance.case_decided").count() == 1


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_decision_needs_a_reason(case: ComplianceCase, officer: Actor, reason: str) -> None:
    with pytest.raises(ComplianceReasonRequired) as raised:
        compliance_case_decide(case=case, decision="clear", reason=reason, actor=officer)
    assert isinstance(raised.value, ValidationFailed)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_an_unknown_decision_is_refused(case: ComplianceCase, officer: Actor) -> None:
    with pytest.raises(ComplianceDecisionInvalid):
        compliance_case_decide(case=case, decision="delete_line", reason="x", actor=officer)


def test_acting_on_a_terminated_line_is_refused_and_the_case_stays_open(
    case: ComplianceCase, officer: Actor, system_actor: Actor
) -> None:
    sim = Sim.objects.get(pk=case.sim_id)
    sim_status_change(sim=sim, status=SimStatus.TERMINATED, reason="ported", actor=system_actor)
    for decision in ("request_reidentification", "suspend_line"):
        with pytest.raises(ComplianceLineTerminated):
            compliance_case_decide(case=case, decision=decision, reason="x", actor=officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not ReidentificationRequest.objects.exists()
    compliance_case_decide(case=case, decision="clear", reason="line is gone", actor=officer)


def test_a_refused_suspension_leaves_the_case_open(
    new_line: NewLine, officer: Actor, system_actor: Actor, clock: FakeClock
) -> None:
    """A line awaiting identification cannot be suspended: the decision rolls back whole."""
    sim = new_line()
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    compliance_scan(actor=system_actor)
    case = ComplianceCase.objects.get()
    with pytest.raises(Conflict):
        compliance_case_decide(case=case, decision="suspend_line", reason="x", actor=officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not AuditEvent.objects.filter(action="compliance.case_decided").exists()
