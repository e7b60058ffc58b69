"""Top-up orders, their stored transitions, their refunds, and the receipt numbering."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from topup.ledger.models import Account, Transfer
from topup.subscribers.models import Sim


class TopupStatus(models.TextChoices):
    CREATED = "created", "Created"
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    PAID = "paid", "Paid"
    CREDITED = "credited", "Credited"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    REFUNDED = "refunded", "Refunded"


class TopupOrder(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    idempotency_scope = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=128)
    request_fingerprint = models.CharField(max_length=64)
    sim = models.ForeignKey(Sim, on_delete=models.PROTECT, related_name="topups")
    requested_by = models.ForeignKey(
        Sim, null=True, blank=True, on_delete=models.PROTECT, related_name="topups_requested"
    )
    channel = models.CharField(max_length=16)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    payment_method = models.CharField(max_length=32)
    payment_provider = models.CharField(max_length=32)
    provider_payment_id = models.CharField(max_length=100, blank=True)
    payment_redirect_url = models.URLField(max_length=500, blank=True)
    payment_instrument_hash = models.CharField(max_length=64, blank=True)
    payment_instrument_masked = models.CharField(max_length=32, blank=True)
    status = models.CharField(
        max_length=32, choices=TopupStatus.choices, default=TopupStatus.CREATED
    )
    failure_reason = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, default="en")
    credit_transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receipt_number = models.CharField(max_length=32, null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    credited_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"], name="topup_idempotency"
            ),
            models.UniqueConstraint(
                fields=["payment_provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="topup_one_order_per_provider_payment",
            ),
            models.CheckConstraint(
                condition=~Q(status="credited") | Q(credit_transfer__isnull=False),
                name="topup_credited_has_transfer",
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="topup_positive"),
        ]
        indexes = [
            models.Index(fields=["sim", "created_at"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["payment_instrument_hash", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"top-up {self.id} ({self.status})"


class TopupTransition(models.Model):
    order = models.ForeignKey(TopupOrder, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32)
    at = models.DateTimeField()
    actor = models.CharField(max_length=100)
    cause = models.CharField(max_length=255)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class TopupRefundStatus(models.TextChoices):
    RESERVED = "reserved", "Reserved (credit held, provider not yet confirmed)"
    REFUNDED = "refunded", "Refunded"
    REFUSED = "refused", "Refused by the provider"


class TopupRefund(models.Model):
    """Money given back to the payment method for (part of) an order.

    Its life: RESERVED (a ledger hold on the line's paid credit, placed before the provider is
    asked) → REFUNDED (the provider said yes; the hold is posted) or REFUSED (the hold voided).
    `refund_key` is the caller's idempotency key ("dispute:7"): the provider's and the ledger's
    keys derive from it, so a retry never refunds twice.
    """

    order = models.ForeignKey(TopupOrder, on_delete=models.PROTECT, related_name="refunds")
    refund_key = models.CharField(max_length=100, unique=True)
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=TopupRefundStatus.choices, default=TopupRefundStatus.RESERVED
    )
    hold = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="+")
    transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider_refund_id = models.CharField(max_length=100, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="topup_refund_positive"),
            models.CheckConstraint(
                condition=~Q(status="refunded") | Q(transfer__isnull=False),
                name="topup_refund_refunded_has_transfer",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_key} of {self.order_id} ({self.status})"


class BulkImportStatus(models.TextChoices):
    RUNNING = "running", "Running (resumable)"
    COMPLETED = "completed", "Completed"


class BulkImport(models.Model):
    """One CSV file of top-ups credited from one funding account (`topup topups import`).

    The file is credited in chunks of `chunk_rows` rows; each chunk commits with its
    `BulkImportChunk`, which is the checkpoint: importing the same file again skips the chunks
    recorded and credits the others. The totals are the chunks' sums, stored on completion.
    """

    funding_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    credit_kind = models.CharField(max_length=8)  # "paid" or "promo": which credit of the line
    reason_code = models.CharField(max_length=64)  # of every transfer this import posts
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size_bytes = models.BigIntegerField()
    header_bytes = models.PositiveIntegerField()
    chunk_rows = models.PositiveIntegerField()  # fixed for the import: chunks resume alike
    status = models.CharField(
        max_length=16, choices=BulkImportStatus.choices, default=BulkImportStatus.RUNNING
    )
    rows_read = models.PositiveIntegerField(default=0)
    credited_rows = models.PositiveIntegerField(default=0)
    credited_cents = models.BigIntegerField(default=0)
    replayed_rows = models.PositiveIntegerField(default=0)  # already credited: moved nothing
    rejected_rows = models.PositiveIntegerField(default=0)
    started_by = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["funding_account", "file_sha256"], name="topup_bulk_import_once_per_file"
            ),
            models.CheckConstraint(
                condition=Q(credited_cents__gte=0), name="topup_bulk_import_credited_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"bulk import {self.pk} ({self.status})"


class BulkImportChunk(models.Model):
    """A chunk of a bulk import, committed with its credits: its counts and where it lies.

    Claimed (inserted) first in the chunk's transaction, so two runs of the same import never
    credit the same chunk twice: the second waits, then skips it.
    """

    bulk_import = models.ForeignKey(BulkImport, on_delete=models.PROTECT, related_name="chunks")
    start_offset = models.BigIntegerField()  # bytes from the start of the file
    end_offset = models.BigIntegerField()
    next_line = models.PositiveIntegerField()  # the line the next chunk starts at
    rows_read = models.PositiveIntegerField(default=0)
    credited_rows = models.PositiveIntegerField(default=0)
    credited_cents = models.BigIntegerField(default=0)
    replayed_rows = models.PositiveIntegerField(default=0)
    rejected_rows = models.PositiveIntegerField(default=0)
    committed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bulk_import", "start_offset"], name="topup_bulk_chunk_once"
            ),
            models.CheckConstraint(
                condition=Q(
                    rows_read=models.F("credited_rows")
                    + models.F("replayed_rows")
                    + models.F("rejected_rows")
                ),
                name="topup_bulk_chunk_rows_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"chunk at {self.start_offset} of bulk import {self.bulk_import_id}"


class BulkImportRejection(models.Model):
    """A row of a bulk import that credited nothing, and why (the rejects report is built here)."""

    bulk_import = models.ForeignKey(BulkImport, on_delete=models.PROTECT, related_name="+")
    line = models.PositiveIntegerField()
    reference = models.CharField(max_length=100, blank=True)
    reason_code = models.CharField(max_length=32)

    class Meta:
        ordering = ["line"]
        constraints = [
            models.UniqueConstraint(
                fields=["bulk_import", "line"], name="topup_bulk_rejection_once_per_line"
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason_code}"
