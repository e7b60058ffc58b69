"""Reads for compliance: what the scan finds on each line, the review queue, retention reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from topup.compliance.errors import ComplianceCaseNotFound, RetentionRunNotFound
from topup.compliance.models import (
    CaseKind,
    CaseStatus,
    ComplianceCase,
    ComplianceScan,
    RetentionAction,
    RetentionRun,
)
from topup.core.errors import JsonValue
from topup.subscribers.models import (
    HoldReason,
    IdentificationRecord,
    IdentificationRefusal,
    IdentificationStatus,
    LineHold,
    ReidentificationRequest,
    SimStatus,
)
from topup.subscribers.numbers import format_msisdn_masked
from topup.subscribers.selectors import (
    COUNTED_STATUSES,
    identification_current_records,
    identification_newer_accepted,
)

# A limit on everything: the scan opens at most this many cases of one kind per pass (the next
# pass picks up the rest), a queue page shows this many cases, a report this many actions.
MAX_FINDINGS_PER_KIND = 1000
MAX_QUEUE_PAGE = 200
MAX_REPORT_ACTIONS = 500
MAX_LINES_LISTED = 20
# How far back repeated re-identifications and check-digit failures are counted.
REVIEW_WINDOW = dt.timedelta(days=90)
# One mistyped digit is a typing error; this many refusals on one line in the window are not.
CHECK_DIGIT_REFUSAL_LIMIT = 3
# The policy text `subscribers.services._policy_anomaly` stores on a refused identification.
MAX_SIMS_ANOMALY_PREFIX = "max_sims_per_identity"


@dataclass(frozen=True)
class Finding:
    """Something the scan found: on which line, of what kind, from which evidence."""

    sim_id: int
    kind: CaseKind
    evidence_key: str
    record_id: int | None = None
    details: dict[str, JsonValue] = field(default_factory=dict)


def _expired_documents(*, today: dt.date) -> list[Finding]:
    records = (
        identification_current_records()
        .filter(
            sim__status__in=COUNTED_STATUSES,
            document_expires_on__lt=today,
            erased_at__isnull=True,
        )
        .order_by("document_expires_on", "pk")[:MAX_FINDINGS_PER_KIND]
    )
    return [
        Finding(
            sim_id=record.sim_id,
            kind=CaseKind.EXPIRED_DOCUMENT,
            evidence_key=f"record:{record.pk}",
            record_id=record.pk,
            details={
                "document_type": record.document_type,
                "expired_on": record.document_expires_on.isoformat()
                if record.document_expires_on
                else None,
            },
        )
        for record in records
    ]


def _check_digit_failures(*, since: dt.datetime) -> list[Finding]:
    lines = (
        IdentificationRefusal.objects.filter(refused_at__gte=since)
        .exclude(sim__status=SimStatus.TERMINATED)
        .order_by()
        .values("sim_id")
        .annotate(refusals=Count("id"), latest_id=Max("id"), last_refused_at=Max("refused_at"))
        .filter(refusals__gte=CHECK_DIGIT_REFUSAL_LIMIT)
        .order_by("sim_id")[:MAX_FINDINGS_PER_KIND]
    )
    return [
        Finding(
            sim_id=line["sim_id"],
            kind=CaseKind.CHECK_DIGIT_FAILED,
            evidence_key=f"refusal:{line['latest_id']}",
            details={
                "refusals": line["refusals"],
                "window_days": REVIEW_WINDOW.days,
                "last_refused_at": line["last_refused_at"].isoformat(),
            },
        )
        for line in lines
    ]


def _refused_by_sim_limit() -> list[Finding]:
    """Identifications the SIMs-per-identity policy refused, on lines not identified since."""
    records = (
        IdentificationRecord.objects.filter(
            status=IdentificationStatus.ANOMALY,
            anomaly__startswith=MAX_SIMS_ANOMALY_PREFIX,
            erased_at__isnull=True,
        )
        .exclude(sim__status=SimStatus.TERMINATED)
        .exclude(Exists(identification_newer_accepted()))
        .order_by("pk")[:MAX_FINDINGS_PER_KIND]
    )
    return [
        Finding(
            sim_id=record.sim_id,
            kind=CaseKind.TOO_MANY_SIMS,
            evidence_key=f"record:{record.pk}",
            record_id=record.pk,
            details={"source": "refused_by_policy", "anomaly": record.anomaly},
        )
        for record in records
    ]


def _identities_over_limit(*, limit: int) -> list[Finding]:
    """Identities holding more live lines than the policy allows (a lowered limit, or history):
    one case, on the most recently identified of those lines."""
    current = identification_current_records().filter(sim__status__in=COUNTED_STATUSES)
    findings: list[Finding] = []
    for hash_field, matched_on in (
        ("document_number_hash", "document_number"),
        ("national_register_number_hash", "national_register_number"),
    ):
        groups = (
            current.exclude(**{hash_field: ""})
            .order_by()
            .values(hash_field)
            .annotate(lines=Count("sim", distinct=True))
            .filter(lines__gt=limit)
            .order_by(hash_field)[:MAX_FINDINGS_PER_KIND]
        )
        for group in groups:
            records = list(
                current.filter(**{hash_field: group[hash_field]})
                .select_related("sim")
                .order_by("-verified_at", "-pk")[:MAX_LINES_LISTED]
            )
            newest = records[0]
            lines: list[JsonValue] = [format_msisdn_masked(r.sim.msisdn) for r in records]
            findings.append(
                Finding(
                    sim_id=newest.sim_id,
                    kind=CaseKind.TOO_MANY_SIMS,
                    evidence_key=f"record:{newest.pk}",
                    record_id=newest.pk,
                    details={
                        "source": "identity_over_limit",
                        "matched_on": matched_on,
                        "active_lines": group["lines"],
                        "limit": limit,
                        "lines": lines,
                    },
                )
            )
    return findings


def _too_many_sims() -> list[Finding]:
    limit = int(settings.TOPUP_MAX_SIMS_PER_IDENTITY)
    return _refused_by_sim_limit() + _identities_over_limit(limit=limit)


def _counts_by_line(
    rows: QuerySet[ReidentificationRequest] | QuerySet[IdentificationRecord],
) -> dict[int, tuple[int, int]]:
    """{sim id: (how many, latest id)} of rows grouped by line."""
    grouped = rows.order_by().values("sim_id").annotate(n=Count("id"), latest_id=Max("id"))
    return {row["sim_id"]: (row["n"], row["latest_id"]) for row in grouped}


def _repeated_reidentifications(*, since: dt.datetime) -> list[Finding]:
    limit = int(settings.TOPUP_REIDENTIFICATION_REVIEW_LIMIT)
    earlier_record = IdentificationRecord.objects.filter(sim=OuterRef("sim")).filter(
        Q(verified_at__lt=OuterRef("verified_at"))
        | Q(verified_at=OuterRef("verified_at"), pk__lt=OuterRef("pk"))
    )
    requests = ReidentificationRequest.objects.filter(requested_at__gte=since).exclude(
        sim__status=SimStatus.TERMINATED
    )
    # Every identification after a line's first one is a re-identification.
    records = (
        IdentificationRecord.objects.filter(verified_at__gte=since)
        .filter(Exists(earlier_record))
        .exclude(sim__status=SimStatus.TERMINATED)
    )
    by_requests = _counts_by_line(requests)
    by_records = _counts_by_line(records)
    findings: list[Finding] = []
    for sim_id in sorted(by_requests.keys() | by_records.keys()):
        request_count, latest_request = by_requests.get(sim_id, (0, 0))
        record_count, latest_record = by_records.get(sim_id, (0, 0))
        if max(request_count, record_count) <= limit:
            continue
        findings.append(
            Finding(
                sim_id=sim_id,
                kind=CaseKind.REPEATED_REIDENTIFICATION,
                evidence_key=f"reidentification:{latest_request}:{latest_record}",
                details={
                    "requests": request_count,
                    "reidentifications": record_count,
                    "limit": limit,
                    "window_days": REVIEW_WINDOW.days,
                },
            )
        )
    return findings[:MAX_FINDINGS_PER_KIND]


def _sim_swaps() -> list[Finding]:
    holds = (
        LineHold.objects.filter(reason=HoldReason.SIM_SWAP, cleared_at__isnull=True)
        .exclude(sim__status=SimStatus.TERMINATED)
        .order_by("pk")[:MAX_FINDINGS_PER_KIND]
    )
    return [
        Finding(
            sim_id=hold.sim_id,
            kind=CaseKind.SIM_SWAP,
            evidence_key=f"hold:{hold.pk}",
            details={"line_hold_id": hold.pk, "detected_at": hold.detected_at.isoformat()},
        )
        for hold in holds
    ]


def compliance_findings(*, now: dt.datetime) -> list[Finding]:
    """Everything the scan looks for, of every kind, as it stands at `now`."""
    since = now - REVIEW_WINDOW
    return (
        _expired_documents(today=timezone.localdate(now))
        + _check_digit_failures(since=since)
        + _too_many_sims()
        + _repeated_reidentifications(since=since)
        + _sim_swaps()
    )


# --- The review queue ----------------------------------------------------------------------------


def compliance_case_counts() -> dict[str, int]:
    """Open cases per kind, every kind listed (0 when none)."""
    counts = dict.fromkeys(CaseKind.values, 0)
    rows = (
        ComplianceCase.objects.filter(status=CaseStatus.OPEN)
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
    )
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts


def compliance_case_list(*, kind: str | None, status: str) -> list[ComplianceCase]:
    """One page of cases: open ones oldest first (the queue), decided ones newest first."""
    cases = ComplianceCase.objects.select_related("sim").filter(status=status)
    if kind:
        cases = cases.filter(kind=kind)
    order = ("detected_at", "pk") if status == CaseStatus.OPEN else ("-decided_at", "-pk")
    return list(cases.order_by(*order)[:MAX_QUEUE_PAGE])


def compliance_case_get(*, case_id: int) -> ComplianceCase:
    case = (
        ComplianceCase.objects.select_related("sim", "identification_record")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise ComplianceCaseNotFound(details={"case_id": case_id})
    return case


def compliance_line_identifications(*, case: ComplianceCase) -> list[IdentificationRecord]:
    """The line's identification history, newest first (masked numbers only are shown)."""
    return list(
        IdentificationRecord.objects.filter(sim_id=case.sim_id).order_by("-verified_at", "-pk")[
            :MAX_LINES_LISTED
        ]
    )


def compliance_line_cases(*, case: ComplianceCase) -> list[ComplianceCase]:
    """The line's other cases, newest first."""
    return list(
        ComplianceCase.objects.filter(sim_id=case.sim_id)
        .exclude(pk=case.pk)
        .order_by("-detected_at", "-pk")[:MAX_LINES_LISTED]
    )


def compliance_scan_last() -> ComplianceScan | None:
    return ComplianceScan.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


# --- Retention ------------------------------------------------------------------------------------


def retention_run_list(*, limit: int = 50) -> list[RetentionRun]:
    return list(RetentionRun.objects.order_by("-started_at", "-pk")[: min(limit, MAX_QUEUE_PAGE)])


def retention_run_get(*, run_id: int) -> RetentionRun:
    run = RetentionRun.objects.filter(pk=run_id).first()
    if run is None:
        raise RetentionRunNotFound(details={"run_id": run_id})
    return run


def retention_run_actions(*, run: RetentionRun) -> list[RetentionAction]:
    return list(run.actions.order_by("pk")[:MAX_REPORT_ACTIONS])


def retention_run_last_finished(*, dry_run: bool) -> RetentionRun | None:
    return (
        RetentionRun.objects.filter(dry_run=dry_run, finished_at__isnull=False)
        .order_by("-finished_at")
        .first()
    )
