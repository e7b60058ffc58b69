"""The simulator's provider-side tables: payments, refunds, webhook deliveries, its switches."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from topup.payments.gateway import PaymentStatus, RefundStatus

STATUS_CHOICES = [(status.value, status.value) for status in PaymentStatus]
REFUND_STATUS_CHOICES = [(status.value, status.value) for status in RefundStatus]
MAX_LATE_DELAY_S = 3600


class SimulatorPayment(models.Model):
    """A payment as the provider holds it. Only the last four digits and a fingerprint: no PAN."""

    id = models.CharField(primary_key=True, max_length=40, editable=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    reference = models.CharField(_("reference"), max_length=64)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=32)
    description = models.CharField(_("description"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=PaymentStatus.PENDING.value
    )
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    return_url = models.URLField(_("return URL"), max_length=500)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    card_last4 = models.CharField(_("card last 4"), max_length=4, blank=True)
    card_fingerprint = models.CharField(_("card fingerprint"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    # Set when the customer has answered but the outcome is still processing.
    resolve_after = models.DateTimeField(_("resolve after"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="simulator_payment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def awaits_customer(self) -> bool:
        """The hosted page still takes an answer: pending and nothing submitted yet."""
        return self.status == PaymentStatus.PENDING and self.resolve_after is None


class SimulatorRefund(models.Model):
    """A refund as the provider holds it: one per idempotency key, refused ones included."""

    id = models.CharField(primary_key=True, max_length=40, editable=False)
    payment = models.ForeignKey(SimulatorPayment, on_delete=models.PROTECT, related_name="refunds")
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    status = models.CharField(_("status"), max_length=16, choices=REFUND_STATUS_CHOICES)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="simulator_refund_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} of {self.payment_id} ({self.status})"


class SimulatorWebhookDelivery(models.Model):
    """One webhook the simulator sends, with its delivery attempts."""

    event_id = models.CharField(_("event id"), max_length=40, db_index=True)
    payment = models.ForeignKey(
        SimulatorPayment, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event_type = models.CharField(_("event type"), max_length=64)
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    gave_up_at = models.DateTimeField(_("gave up at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.payment_id}"


class WebhookMode(models.TextChoices):
    NORMAL = "normal", _("Normal: each event once")
    TWICE = "twice", _("Twice: each event delivered two times")
    LATE = "late", _("Late: each event delayed")
    OUT_OF_ORDER = "out_of_order", _("Out of order: a stale 'pending' event after the final one")
    NEVER = "never", _("Never: no webhooks (reconcile by status query)")


class SimulatorSettings(models.Model):
    """The simulator's switches: one row, edited in the admin or by `simulator_settings_update`."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    webhook_mode = models.CharField(
        _("webhook mode"), max_length=16, choices=WebhookMode.choices, default=WebhookMode.NORMAL
    )
    late_delay_s = models.PositiveIntegerField(
        _("late delay (seconds)"),
        default=60,
        help_text=_("How long webhooks wait in the 'late' mode (at most one hour)."),
    )
    outage = models.BooleanField(
        _("outage"),
        default=False,
        help_text=_("When on, the simulator's API answers as if the provider were unreachable."),
    )

    class Meta:
        verbose_name = _("simulator settings")
        verbose_name_plural = _("simulator settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="simulator_settings_singleton"),
            models.CheckConstraint(
                condition=Q(late_delay_s__lte=MAX_LATE_DELAY_S), name="simulator_late_delay_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"simulator settings ({self.webhook_mode})"
