"""The compliance scan: each kind of anomaly found (and not when all is well), never twice."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import override_settings

from tests.support import FakeClock
from topup.audit.models import AuditEvent
from topup.audit.services import Actor
from topup.compliance.models import CaseKind, CaseStatus, ComplianceCase
from topup.compliance.services import compliance_case_decide, compliance_scan
from topup.subscribers.models import HoldReason, IdentificationStatus, SimStatus
from topup.subscribers.services import (
    identification_refusal_record,
    line_hold_open,
    reidentification_request,
    sim_status_change,
)

from .conftest import Identify, NewLine, a_card_number, days

pytestmark = pytest.mark.django_db


def open_cases(kind: CaseKind) -> list[ComplianceCase]:
    return list(ComplianceCase.objects.filter(kind=kind, status=CaseStatus.OPEN))


def test_a_line_with_nothing_wrong_opens_no_case(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    identified(new_line())
    report = compliance_scan(actor=system_actor)
    assert report.found == 0
    assert report.opened_total == 0
    assert not ComplianceCase.objects.exists()


def test_an_expired_document_is_found_once_it_has_expired(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    today = clock.now().date()
    sim = new_line()
    record = identified(sim, document_number="591191706458", expires_on=today + dt.timedelta(30))
    assert compliance_scan(actor=system_actor).opened_total == 0
    clock.advance(seconds=days(31))
    report = compliance_scan(actor=system_actor)
    assert report.opened[CaseKind.EXPIRED_DOCUMENT] == 1
    [case] = open_cases(CaseKind.EXPIRED_DOCUMENT)
    assert (case.sim_id, case.identification_record_id) == (sim.pk, record.pk)
    assert case.details["expired_on"] == (today + dt.timedelta(30)).isoformat()
    assert "591191706458" not in json.dumps(case.details)


def test_an_expired_document_replaced_by_a_valid_one_or_on_a_terminated_line_is_fine(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    today = clock.now().date()
    reidentified, terminated = new_line(), new_line()
    identified(reidentified, expires_on=today + dt.timedelta(10))
    identified(terminated, expires_on=today + dt.timedelta(10))
    clock.advance(seconds=days(5))
    identified(reidentified, expires_on=today + dt.timedelta(3650))
    sim_status_change(
        sim=terminated, status="terminated", reason="contract ended", actor=system_actor
    )
    clock.advance(seconds=days(20))
    assert compliance_scan(actor=system_actor).opened[CaseKind.EXPIRED_DOCUMENT] == 0


def test_repeated_check_digit_failures_on_a_line_are_found_and_one_typo_is_not(
    new_line: NewLine, system_actor: Actor, clock: FakeClock
) -> None:
    typo, repeated = new_line(), new_line()
    identification_refusal_record(
        sim=typo, reason="check_digits", document_type="be_eid", actor=system_actor
    )
    for reason in ("check_digits", "mrz_check_digits", "check_digits"):
        identification_refusal_record(
            sim=repeated, reason=reason, document_type="passport", actor=system_actor
        )
    # A refused format is a slip, not a check digit: not kept at all.
    assert (
        identification_refusal_record(
            sim=typo, reason="format", document_type="be_eid", actor=system_actor
        )
        is None
    )
    compliance_scan(actor=system_actor)
    [case] = open_cases(CaseKind.CHECK_DIGIT_FAILED)
    assert case.sim_id == repeated.pk
    assert case.identification_record_id is None
    assert case.details["refusals"] == 3


def test_check_digit_failures_older_than_the_window_do_not_count(
    new_line: NewLine, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    for _ in range(2):
        identification_refusal_record(
            sim=sim, reason="check_digits", document_type="be_eid", actor=system_actor
        )
    clock.advance(seconds=days(91))
    identification_refusal_record(
        sim=sim, reason="check_digits", document_type="be_eid", actor=system_actor
    )
    assert compliance_scan(actor=system_actor).opened[CaseKind.CHECK_DIGIT_FAILED] == 0


@override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=2)
def test_an_identification_refused_by_the_sims_per_identity_limit_is_found(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    card = a_card_number()
    lines = [new_line() for _ in range(3)]
    records = [identified(line, document_number=card) for line in lines]
    assert records[2].status == IdentificationStatus.ANOMALY
    compliance_scan(actor=system_actor)
    [case] = open_cases(CaseKind.TOO_MANY_SIMS)
    assert (case.sim_id, case.identification_record_id) == (lines[2].pk, records[2].pk)
    assert case.details["source"] == "refused_by_policy"
    assert card not in json.dumps(case.details)


def test_an_identity_over_a_lowered_limit_is_found_on_its_newest_line(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    card = a_card_number()
    lines = [new_line() for _ in range(3)]
    for line in lines:
        identified(line, document_number=card)
        clock.advance(seconds=60)
    identified(new_line())  # someone else, one line
    with override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=3):
        assert compliance_scan(actor=system_actor).opened[CaseKind.TOO_MANY_SIMS] == 0
    with override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=2):
        compliance_scan(actor=system_actor)
    [case] = open_cases(CaseKind.TOO_MANY_SIMS)
    assert case.sim_id == lines[2].pk
    assert case.details["active_lines"] == 3
    assert case.details["matched_on"] == "document_number"
    assert len(case.details["lines"]) == 3
    assert all("••" in str(masked) for masked in case.details["lines"])


@override_settings(TOPUP_REIDENTIFICATION_REVIEW_LIMIT=2)
def test_more_reidentification_requests_than_the_limit_in_90_days_are_found(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    busy, calm = new_line(), new_line()
    identified(busy)
    identified(calm)
    for _ in range(2):
        reidentification_request(sim=calm, reason="routine check", actor=system_actor)
        reidentification_request(sim=busy, reason="routine check", actor=system_actor)
    assert compliance_scan(actor=system_actor).opened[CaseKind.REPEATED_REIDENTIFICATION] == 0
    reidentification_request(sim=busy, reason="routine check", actor=system_actor)
    compliance_scan(actor=system_actor)
    [case] = open_cases(CaseKind.REPEATED_REIDENTIFICATION)
    assert case.sim_id == busy.pk
    assert (case.details["requests"], case.details["limit"]) == (3, 2)


@override_settings(TOPUP_REIDENTIFICATION_REVIEW_LIMIT=2)
def test_more_reidentification_records_than_the_limit_in_90_days_are_found(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)  # the first identification is not a re-identification
    clock.advance(seconds=days(100))
    for _ in range(2):
        identified(sim)
    assert compliance_scan(actor=system_actor).opened[CaseKind.REPEATED_REIDENTIFICATION] == 0
    identified(sim)
    compliance_scan(actor=system_actor)
    [case] = open_cases(CaseKind.REPEATED_REIDENTIFICATION)
    assert case.details["reidentifications"] == 3


def test_an_open_sim_swap_hold_is_found_and_a_cleared_one_or_other_holds_are_not(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    swapped, cleared, mismatch = new_line(), new_line(), new_line()
    for sim in (swapped, cleared, mismatch):
        identified(sim)
    hold = line_hold_open(sim=swapped, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    line_hold_open(sim=cleared, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    line_hold_open(
        sim=mismatch, reason=HoldReason.INFORMATION_MISMATCH, details={}, actor=system_actor
    )
    identified(cleared)  # identifying again clears the hold
    compliance_scan(actor=system_actor)
    [case] = open_cases(CaseKind.SIM_SWAP)
    assert case.sim_id == swapped.pk
    assert case.details["line_hold_id"] == hold.pk


def test_scanning_again_opens_no_duplicate_and_a_decided_case_is_not_reopened(
    new_line: NewLine, identified: Identify, system_actor: Actor, officer: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    assert compliance_scan(actor=system_actor).opened_total == 1
    second = compliance_scan(actor=system_actor)
    assert (second.found, second.opened_total) == (1, 0)
    [case] = open_cases(CaseKind.SIM_SWAP)
    compliance_case_decide(case=case, decision="clear", reason="customer called", actor=officer)
    assert compliance_scan(actor=system_actor).opened_total == 0
    assert ComplianceCase.objects.count() == 1
    # New evidence (another swap) is a new case.
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    assert compliance_scan(actor=system_actor).opened_total == 1
    assert ComplianceCase.objects.filter(kind=CaseKind.SIM_SWAP).count() == 2


def test_while_a_case_is_open_new_evidence_of_the_same_kind_waits_for_it(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    compliance_scan(actor=system_actor)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    assert compliance_scan(actor=system_actor).opened_total == 0
    assert len(open_cases(CaseKind.SIM_SWAP)) == 1


def test_every_opened_case_is_audited(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    compliance_scan(actor=system_actor)
    case = ComplianceCase.objects.get()
    event = AuditEvent.objects.get(action="compliance.case_opened")
    assert (event.object_type, event.object_id) == ("compliance.case", str(case.pk))
    assert event.data["kind"] == "sim_swap"


def test_terminated_lines_are_not_scanned(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)
    sim_status_change(sim=sim, status=SimStatus.TERMINATED, reason="ported", actor=system_actor)
    assert compliance_scan(actor=system_actor).found == 0
