"""The one writer of compliance cases, scans and retention runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from topup.audit.services import Actor, audit_record
from topup.compliance.errors import (
    ComplianceCaseAlreadyDecided,
    ComplianceDecisionInvalid,
    ComplianceLineTerminated,
    ComplianceReasonRequired,
)
from topup.compliance.models import (
    CaseDecision,
    CaseKind,
    CaseStatus,
    ComplianceCase,
    ComplianceScan,
    RetentionAction,
    RetentionRun,
    RetentionTarget,
)
from topup.compliance.selectors import (
    Finding,
    compliance_findings,
    compliance_scan_last,
    retention_run_last_finished,
)
from topup.core import clock
from topup.core.errors import JsonValue
from topup.subscribers.models import Sim, SimStatus, Subscriber
from topup.subscribers.selectors import (
    ERASURE_LINE_TERMINATED,
    ErasureDue,
    identification_record_erasable_fields,
    identification_records_due_for_erasure,
    subscriber_erasable_fields,
    subscribers_due_for_erasure,
)
from topup.subscribers.services import (
    identification_record_erase,
    reidentification_request,
    sim_status_change,
    subscriber_personal_data_erase,
)

MAX_REASON_LENGTH = 255
# The worker asks every half minute; a scan runs at most this often, retention once a day.
SCAN_INTERVAL = dt.timedelta(minutes=10)
RETENTION_INTERVAL = dt.timedelta(hours=23)
# A limit on one retention run; a run that reaches it says so (`more_due`), the next continues.
MAX_RETENTION_RECORDS = 5000
MAX_RETENTION_SUBSCRIBERS = 5000


@dataclass(frozen=True)
class ScanReport:
    scan_id: int
    found: int  # findings, including those already known
    opened: dict[str, int]  # new cases per kind

    @property
    def opened_total(self) -> int:
        return sum(self.opened.values())


def _case_open(*, finding: Finding, now: dt.datetime, actor: Actor) -> bool:
    """Open a case for a finding unless this evidence was seen before or the same case is open."""
    known = ComplianceCase.objects.filter(sim_id=finding.sim_id, kind=finding.kind)
    if known.filter(evidence_key=finding.evidence_key).exists():
        return False
    if known.filter(status=CaseStatus.OPEN, identification_record_id=finding.record_id).exists():
        return False
    try:
        with transaction.atomic():
            case = ComplianceCase.objects.create(
                sim_id=finding.sim_id,
                identification_record_id=finding.record_id,
                kind=finding.kind,
                evidence_key=finding.evidence_key[:64],
                details=finding.details,
                detected_at=now,
            )
            audit_record(
                actor=actor,
                action="compliance.case_opened",
                object_type="compliance.case",
                object_id=case.pk,
                reason=finding.kind,
                data={"sim_id": finding.sim_id, "kind": finding.kind.value},
            )
    except IntegrityError:
        # A concurrent scan opened it first.
        return False
    return True


def compliance_scan(*, actor: Actor) -> ScanReport:
    """Find every anomaly and open a case for each new one; running it again opens nothing new."""
    now = clock.now()
    scan = ComplianceScan.objects.create(started_at=now, actor=actor.label()[:100])
    findings = compliance_findings(now=now)
    opened = dict.fromkeys(CaseKind.values, 0)
    for finding in findings:
        if _case_open(finding=finding, now=now, actor=actor):
            opened[finding.kind] += 1
    scan.finished_at = clock.now()
    scan.found = len(findings)
    scan.opened = dict(opened)
    scan.save(update_fields=["finished_at", "found", "opened"])
    return ScanReport(scan_id=scan.pk, found=len(findings), opened=opened)


def compliance_scan_periodic(*, actor: Actor) -> ScanReport | None:
    """The worker's scan: skipped (None) when one finished less than SCAN_INTERVAL ago."""
    last = compliance_scan_last()
    if last is not None and last.finished_at and last.finished_at > clock.now() - SCAN_INTERVAL:
        return None
    return compliance_scan(actor=actor)


def _decision_apply(
    *, case: ComplianceCase, decision: CaseDecision, reason: str, actor: Actor
) -> dict[str, JsonValue]:
    """What the decision does to the line; what it did, for the audit record."""
    if decision == CaseDecision.CLEAR:
        return {}
    sim = Sim.objects.get(pk=case.sim_id)
    if sim.status == SimStatus.TERMINATED:
        raise ComplianceLineTerminated(details={"sim_id": sim.pk})
    if decision == CaseDecision.REQUEST_REIDENTIFICATION:
        request = reidentification_request(sim=sim, reason=reason, actor=actor)
        return {"reidentification_request_id": request.pk}
    changed = sim_status_change(sim=sim, status=SimStatus.SUSPENDED, reason=reason, actor=actor)
    return {"sim_status": changed.status}


def compliance_case_decide(
    *, case: ComplianceCase, decision: CaseDecision | str, reason: str, actor: Actor
) -> ComplianceCase:
    """Clear a case, or act on it (ask the customer to identify again, suspend the line).

    A reason is required; a case is decided once.
    """
    try:
        chosen = CaseDecision(decision)
    except ValueError as error:
        raise ComplianceDecisionInvalid(details={"field": "decision"}) from error
    cleaned_reason = " ".join(reason.split())[:MAX_REASON_LENGTH]
    if not cleaned_reason:
        raise ComplianceReasonRequired(details={"field": "reason"})
    with transaction.atomic():
        locked = ComplianceCase.objects.select_for_update().get(pk=case.pk)
        if locked.status != CaseStatus.OPEN:
            raise ComplianceCaseAlreadyDecided(details={"decision": locked.decision})
        effect = _decision_apply(case=locked, decision=chosen, reason=cleaned_reason, actor=actor)
        locked.status = CaseStatus.CLEARED if chosen == CaseDecision.CLEAR else CaseStatus.ACTIONED
        locked.decision = chosen
        locked.decision_reason = cleaned_reason
        locked.decided_by = actor.label()[:100]
        locked.decided_at = clock.now()
        locked.save(
            update_fields=["status", "decision", "decision_reason", "decided_by", "decided_at"]
        )
        audit_record(
            actor=actor,
            action="compliance.case_decided",
            object_type="compliance.case",
            object_id=locked.pk,
            reason=cleaned_reason,
            data={
                "decision": chosen.value,
                "kind": locked.kind,
                "sim_id": locked.sim_id,
                **effect,
            },
        )
    return locked


# --- Retention ------------------------------------------------------------------------------------


def _record_retain(*, run: RetentionRun, due: ErasureDue, actor: Actor) -> int:
    """Erase one record (or, dry, say what would be); 1 when it counts in the report."""
    with transaction.atomic():
        if run.dry_run:
            fields: list[str] | None = identification_record_erasable_fields(record=due.record)
        else:
            fields = identification_record_erase(record=due.record, basis=due.basis, actor=actor)
        if fields is None:
            return 0  # a concurrent run erased it
        RetentionAction.objects.create(
            run=run,
            target=RetentionTarget.IDENTIFICATION_RECORD,
            target_id=due.record.pk,
            sim_id=due.record.sim_id,
            basis=due.basis,
            due_since=due.due_since,
            fields=fields,
        )
    return 1


def _subscriber_retain(*, run: RetentionRun, subscriber: Subscriber, actor: Actor) -> int:
    with transaction.atomic():
        if run.dry_run:
            fields: list[str] | None = subscriber_erasable_fields(subscriber=subscriber)
        else:
            fields = subscriber_personal_data_erase(subscriber=subscriber, actor=actor)
        if fields is None:
            return 0
        RetentionAction.objects.create(
            run=run,
            target=RetentionTarget.SUBSCRIBER,
            target_id=subscriber.pk,
            basis=ERASURE_LINE_TERMINATED,
            fields=fields,
        )
    return 1


def identification_retention_run(*, actor: Actor, dry_run: bool = False) -> RetentionRun:
    """Erase the identification data whose retention period is over: records of lines terminated,
    or superseded by a newer identification, more than TOPUP_IDENTIFICATION_RETENTION_DAYS ago,
    and the names of subscribers whose lines are all terminated that long. Ledger rows are never
    touched. A dry run records what it would erase and erases nothing; a second run finds nothing.
    """
    retention_days = int(settings.TOPUP_IDENTIFICATION_RETENTION_DAYS)
    assert retention_days > 0, "TOPUP_IDENTIFICATION_RETENTION_DAYS must be positive"
    now = clock.now()
    run = RetentionRun.objects.create(
        started_at=now,
        cutoff=now - dt.timedelta(days=retention_days),
        dry_run=dry_run,
        actor=actor.label()[:100],
    )
    due_records = identification_records_due_for_erasure(
        cutoff=run.cutoff, limit=MAX_RETENTION_RECORDS
    )
    run.records_erased = sum(_record_retain(run=run, due=due, actor=actor) for due in due_records)
    due_subscribers = subscribers_due_for_erasure(
        cutoff=run.cutoff, limit=MAX_RETENTION_SUBSCRIBERS
    )
    run.subscribers_erased = sum(
        _subscriber_retain(run=run, subscriber=subscriber, actor=actor)
        for subscriber in due_subscribers
    )
    run.more_due = (
        len(due_records) >= MAX_RETENTION_RECORDS
        or len(due_subscribers) >= MAX_RETENTION_SUBSCRIBERS
    )
    run.finished_at = clock.now()
    run.save(update_fields=["records_erased", "subscribers_erased", "more_due", "finished_at"])
    audit_record(
        actor=actor,
        action="compliance.retention_run",
        object_type="compliance.retention_run",
        object_id=run.pk,
        data={
            "dry_run": dry_run,
            "cutoff": run.cutoff.isoformat(),
            "records_erased": run.records_erased,
            "subscribers_erased": run.subscribers_erased,
            "more_due": run.more_due,
        },
    )
    return run


def identification_retention_periodic(*, actor: Actor) -> RetentionRun | None:
    """The worker's daily run: skipped (None) when a real run finished less than 23 h ago."""
    last = retention_run_last_finished(dry_run=False)
    if (
        last is not None
        and last.finished_at
        and last.finished_at > clock.now() - RETENTION_INTERVAL
    ):
        return None
    return identification_retention_run(actor=actor)
