"""Providers' settlement reports, their lines, and what reconciling them with the ledger found."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from topup.ledger.models import Transfer
from topup.payments.models import Payment


class SettlementLineType(models.TextChoices):
    CAPTURE = "capture", _("Capture")
    REFUND = "refund", pgettext_lazy("noun", "Refund")


class SettlementReport(models.Model):
    """One imported file. Its content's SHA-256 makes importing the same file again a no-op."""

    provider = models.CharField(_("provider"), max_length=32)
    filename = models.CharField(_("file name"), max_length=255)
    content_sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    line_count = models.PositiveIntegerField(_("lines"))
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    captured_cents = models.BigIntegerField(_("captured (cents)"))
    refunded_cents = models.BigIntegerField(_("refunded (cents)"))
    fee_cents = models.BigIntegerField(_("fees (cents)"))
    # The fees posted from the provider's clearing account; null when the report has no fees.
    fee_transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported at"))
    imported_by = models.CharField(_("imported by"), max_length=100)

    # Not stored: set by settlement_report_import when this file had been imported before.
    already_imported: bool = False

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_day__lte=models.F("last_day")),
                name="finance_report_days_ordered",
            ),
            models.CheckConstraint(
                condition=Q(fee_cents__gte=0), name="finance_report_fees_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.first_day}..{self.last_day} ({self.filename})"


class SettlementLine(models.Model):
    """One row of a report, as the provider wrote it (amounts in cents, always positive)."""

    report = models.ForeignKey(SettlementReport, on_delete=models.PROTECT, related_name="lines")
    row_number = models.PositiveIntegerField(_("row"))
    provider_payment_id = models.CharField(_("provider payment id"), max_length=100)
    line_type = models.CharField(_("type"), max_length=16, choices=SettlementLineType.choices)
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    fee_cents = models.BigIntegerField(_("fee (cents)"))
    currency = models.CharField(_("currency"), max_length=3)
    settled_on = models.DateField(_("settled on"))

    class Meta:
        ordering = ["report", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "provider_payment_id", "line_type", "settled_on"],
                name="finance_line_once_per_report",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="finance_line_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(fee_cents__gte=0) & Q(fee_cents__lte=models.F("amount_cents")),
                name="finance_line_fee_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["provider_payment_id"])]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.line_type} {self.provider_payment_id}"


class ReconciliationKind(models.TextChoices):
    MATCHED = "matched", _("Matched")
    MISSING_IN_LEDGER = "missing_in_ledger", _("Missing in the ledger")
    MISSING_IN_REPORT = "missing_in_report", _("Missing in the report")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount mismatch")


class ReconciliationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("status", "Open")
    RESOLVED = "resolved", _("Resolved")


class ReconciliationItem(models.Model):
    """What one line (or one payment the report lacks) looks like next to the ledger.

    `difference_cents` is reported minus expected. A matched item is stored resolved; every
    other kind opens and waits for a person to resolve it with a reason.
    """

    report = models.ForeignKey(SettlementReport, on_delete=models.PROTECT, related_name="items")
    line = models.OneToOneField(
        SettlementLine, null=True, blank=True, on_delete=models.PROTECT, related_name="item"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider_payment_id = models.CharField(_("provider payment id"), max_length=100)
    line_type = models.CharField(_("type"), max_length=16, choices=SettlementLineType.choices)
    kind = models.CharField(_("kind"), max_length=32, choices=ReconciliationKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=ReconciliationStatus.choices)
    expected_cents = models.BigIntegerField(_("expected (cents)"))
    reported_cents = models.BigIntegerField(_("reported (cents)"))
    difference_cents = models.BigIntegerField(_("difference (cents)"))
    resolution_transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_reason = models.CharField(_("reason"), max_length=255, blank=True)
    resolved_by = models.CharField(_("resolved by"), max_length=100, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["report", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    difference_cents=models.F("reported_cents") - models.F("expected_cents")
                ),
                name="finance_item_difference",
            ),
            models.CheckConstraint(
                condition=~Q(kind="matched") | Q(difference_cents=0, status="resolved"),
                name="finance_item_matched_is_settled",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(resolved_at__isnull=False),
                name="finance_item_resolved_has_time",
            ),
        ]
        indexes = [models.Index(fields=["report", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.provider_payment_id} ({self.status})"
