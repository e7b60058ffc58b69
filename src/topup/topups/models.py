"""Top-up orders, their stored transitions, and the receipt numbering."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from topup.ledger.models import Transfer
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
