"""Platform-side payment records: payments, every gateway call, and incoming webhooks."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from topup.payments.gateway import PaymentStatus
from topup.payments.simulator.models import (
    SimulatorPayment,
    SimulatorRefund,
    SimulatorSettings,
    SimulatorWebhookDelivery,
)

__all__ = [
    "Payment",
    "PaymentAttempt",
    "PaymentOperation",
    "SimulatorPayment",
    "SimulatorRefund",
    "SimulatorSettings",
    "SimulatorWebhookDelivery",
    "WebhookEvent",
]

STATUS_CHOICES = [(status.value, status.value) for status in PaymentStatus]


class Payment(models.Model):
    """What the platform knows of one provider payment; the provider stays the source of truth."""

    provider = models.CharField(_("provider"), max_length=32)
    provider_payment_id = models.CharField(_("provider payment id"), max_length=100)
    reference = models.CharField(_("reference"), max_length=64, db_index=True)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=STATUS_CHOICES)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    # The provider's fingerprint and a masked label: never a card number.
    instrument_fingerprint = models.CharField(
        _("instrument fingerprint"), max_length=64, blank=True
    )
    instrument_masked = models.CharField(_("instrument"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"], name="payment_one_per_provider_id"
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_payment_id} ({self.status})"


class PaymentOperation(models.TextChoices):
    CREATE = "create", _("Create")
    GET = "get", _("Get")
    REFUND = "refund", _("Refund")


class PaymentAttempt(models.Model):
    """One call to a gateway, success or failure. Summaries never hold card data."""

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    provider = models.CharField(_("provider"), max_length=32)
    operation = models.CharField(_("operation"), max_length=16, choices=PaymentOperation.choices)
    succeeded = models.BooleanField(_("succeeded"))
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    request_summary = models.JSONField(_("request summary"), default=dict)
    response_summary = models.JSONField(_("response summary"), default=dict)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        outcome = "ok" if self.succeeded else self.error_code
        return f"{self.provider} {self.operation} {self.reference} ({outcome})"


class WebhookEvent(models.Model):
    """A verified incoming webhook; its (provider, event_id) makes redelivery a no-op."""

    provider = models.CharField(_("provider"), max_length=32)
    event_id = models.CharField(_("event id"), max_length=100)
    event_type = models.CharField(_("event type"), max_length=64)
    provider_payment_id = models.CharField(_("provider payment id"), max_length=100)
    body = models.TextField(_("body"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="webhook_event_once_per_provider"
            ),
        ]
        # A top-up's timeline (back office) lists its payment's webhooks: two rows per top-up
        # accumulate, and without this the look-up reads them all.
        indexes = [
            models.Index(fields=["provider", "provider_payment_id"], name="webhook_event_payment")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.event_type}"
