"""The compliance review queue (cases the scan found) and the retention runs with their report."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from topup.subscribers.models import IdentificationRecord, Sim


class CaseKind(models.TextChoices):
    EXPIRED_DOCUMENT = "expired_document", _("Identity document expired")
    CHECK_DIGIT_FAILED = "check_digit_failed", _("Document numbers failing their check digits")
    TOO_MANY_SIMS = "too_many_sims", _("Too many lines for one identity")
    REPEATED_REIDENTIFICATION = "repeated_reidentification", _("Repeated re-identification")
    SIM_SWAP = "sim_swap", _("SIM swapped")


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("status", "Open")
    CLEARED = "cleared", _("Cleared")
    ACTIONED = "actioned", _("Actioned")


class CaseDecision(models.TextChoices):
    CLEAR = "clear", _("Clear: nothing to do")
    REQUEST_REIDENTIFICATION = "request_reidentification", _("Ask the customer to identify again")
    SUSPEND_LINE = "suspend_line", _("Suspend the line")


class ComplianceCase(models.Model):
    """One anomaly on one line for a compliance officer to decide. `details` never holds a clear
    document number; `evidence_key` names what was found, so the same finding never opens a
    second case, even after the first one was decided."""

    sim = models.ForeignKey(Sim, on_delete=models.PROTECT, related_name="compliance_cases")
    identification_record = models.ForeignKey(
        IdentificationRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=CaseKind.choices)
    evidence_key = models.CharField(max_length=64)
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    detected_at = models.DateTimeField()
    decision = models.CharField(max_length=32, choices=CaseDecision.choices, blank=True)
    decision_reason = models.CharField(max_length=255, blank=True)
    decided_by = models.CharField(max_length=100, blank=True)  # the actor's label: "staff:12"
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["detected_at", "id"]
        indexes = [models.Index(fields=["status", "kind", "detected_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["sim", "kind", "evidence_key"], name="compliance_case_evidence_once"
            ),
            models.UniqueConstraint(
                fields=["sim", "kind", "identification_record"],
                condition=Q(status="open", identification_record__isnull=False),
                name="compliance_case_one_open_per_record",
            ),
            models.UniqueConstraint(
                fields=["sim", "kind"],
                condition=Q(status="open", identification_record__isnull=True),
                name="compliance_case_one_open_per_line",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(decision_reason=""),
                name="compliance_case_decided_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.sim_id}"


class ComplianceScan(models.Model):
    """One pass of the scan: when it ran, who ran it, how many cases it opened per kind."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    actor = models.CharField(max_length=100)
    found = models.PositiveIntegerField(default=0)
    opened = models.JSONField(default=dict, blank=True)  # {kind: cases opened}

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"compliance scan {self.pk}"


class RetentionRun(models.Model):
    """One retention pass: identification data erased (or, dry, that would be) before `cutoff`."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cutoff = models.DateTimeField()
    dry_run = models.BooleanField(default=False)
    actor = models.CharField(max_length=100)
    records_erased = models.PositiveIntegerField(default=0)
    subscribers_erased = models.PositiveIntegerField(default=0)
    more_due = models.BooleanField(default=False)  # the batch limit was reached

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"retention run {self.pk}"


class RetentionTarget(models.TextChoices):
    IDENTIFICATION_RECORD = "identification_record", _("Identification record")
    SUBSCRIBER = "subscriber", _("Subscriber")


class RetentionAction(models.Model):
    """One erased (or, in a dry run, erasable) record or subscriber, and which fields."""

    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="actions")
    target = models.CharField(max_length=32, choices=RetentionTarget.choices)
    target_id = models.BigIntegerField()
    sim_id = models.BigIntegerField(null=True, blank=True)
    basis = models.CharField(max_length=32)  # line_terminated, superseded
    due_since = models.DateTimeField(null=True, blank=True)
    fields = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.target} {self.target_id} in run {self.run_id}"
