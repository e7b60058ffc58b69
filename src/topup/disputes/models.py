"""Disputes of a top-up and their history: what the customer reported and what staff decided."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from topup.ledger.models import Transfer
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder

MESSAGE_MAX_CHARS = 1000
NOTE_MAX_CHARS = 1000


class DisputeReason(models.TextChoices):
    NOT_CREDITED = "not_credited", _("I paid but did not receive the credit")
    WRONG_AMOUNT = "wrong_amount", _("The amount credited is wrong")
    WRONG_NUMBER = "wrong_number", _("The credit went to the wrong number")
    CHARGED_TWICE = "charged_twice", _("I was charged twice")
    NOT_RECOGNISED = "not_recognised", _("I do not recognise this top-up")
    OTHER = "other", _("Something else")


class DisputeStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("status", "Open")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")


ACTIVE_STATUSES = (DisputeStatus.OPEN, DisputeStatus.AWAITING_APPROVAL)
FINAL_STATUSES = (DisputeStatus.RESOLVED, DisputeStatus.REJECTED)


class DisputeOutcome(models.TextChoices):
    REFUND = "refund", _("Refund to the payment method")
    GOODWILL = "goodwill", _("Goodwill credit on the line")
    REJECT = "reject", _("Reject")


class DisputeEventAction(models.TextChoices):
    OPENED = "opened", _("Opened by the customer")
    PROPOSED = "proposed", _("Decision proposed, awaiting approval")
    APPROVED = "approved", _("Decision approved")
    REFUNDED = "refunded", _("Refunded")
    CREDITED = "credited", _("Goodwill credit given")
    REJECTED = "rejected", _("Rejected")
    REFUND_FAILED = "refund_failed", _("Refund failed")


class Dispute(models.Model):
    """A customer's report about one top-up, and the one decision staff take on it."""

    order = models.ForeignKey(TopupOrder, on_delete=models.PROTECT, related_name="disputes")
    # The logged-in line that opened it: the order's line or the line that paid for it.
    opened_by = models.ForeignKey(Sim, on_delete=models.PROTECT, related_name="disputes_opened")
    reason = models.CharField(_("reason"), max_length=32, choices=DisputeReason.choices)
    message = models.CharField(_("message"), max_length=MESSAGE_MAX_CHARS, blank=True)
    language = models.CharField(_("language"), max_length=8)  # the customer's, for the SMS
    status = models.CharField(
        _("status"), max_length=32, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=DisputeOutcome.choices, blank=True
    )
    amount_cents = models.PositiveIntegerField(_("amount (cents)"), null=True, blank=True)
    resolution_note = models.CharField(_("resolution note"), max_length=NOTE_MAX_CHARS, blank=True)
    proposed_by = models.CharField(_("proposed by"), max_length=64, blank=True)  # staff id
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    approved_by = models.CharField(_("approved by"), max_length=64, blank=True)  # staff id
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    transfer = models.ForeignKey(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider_refund_id = models.CharField(_("provider refund id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["open", "awaiting_approval"]),
                name="dispute_one_active_per_order",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__isnull=True) | Q(amount_cents__gt=0),
                name="dispute_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "awaiting_approval"])
                | Q(resolved_at__isnull=False),
                name="dispute_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="awaiting_approval") | ~Q(outcome=""),
                name="dispute_awaiting_has_outcome",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"dispute {self.pk} ({self.status})"

    @property
    def refund_key(self) -> str:
        """The key of this dispute's refund: the provider's and the ledger's keys derive from it."""
        return f"dispute:{self.pk}"


class DisputeEvent(models.Model):
    """One line of a dispute's history, as the screens show it. Never updated."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.CharField(_("actor"), max_length=100)  # Actor.label(): "staff:12"
    action = models.CharField(_("action"), max_length=32, choices=DisputeEventAction.choices)
    note = models.CharField(_("note"), max_length=NOTE_MAX_CHARS, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
