"""Subscribers, their SIMs (lines), identification records and what holds a line."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from topup.catalog.models import Brand, Plan, Shop
from topup.ledger.models import Account


class Subscriber(models.Model):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    preferred_language = models.CharField(max_length=8, default="en")
    low_balance_alert_cents = models.PositiveIntegerField(default=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when retention erased the names (every line terminated long enough ago).
    erased_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"subscriber {self.pk}"


class SimStatus(models.TextChoices):
    AWAITING_IDENTIFICATION = "awaiting_identification", "Awaiting identification"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class Sim(models.Model):
    """A prepaid line: one MSISDN on one SIM card, with its paid and promotional credit."""

    msisdn = models.CharField(max_length=16, unique=True)
    iccid = models.CharField(max_length=20, unique=True)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="sims")
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.PROTECT, related_name="sims"
    )
    status = models.CharField(
        max_length=32, choices=SimStatus.choices, default=SimStatus.AWAITING_IDENTIFICATION
    )
    paid_account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="+")
    promo_account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="+")
    validity_until = models.DateField(null=True, blank=True)
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.msisdn


class SavedNumber(models.Model):
    """A number the line's owner tops up often, with a nickname ("Mum", "Office phone")."""

    owner = models.ForeignKey(Sim, on_delete=models.CASCADE, related_name="saved_numbers")
    msisdn = models.CharField(max_length=16)
    nickname = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["nickname", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "msisdn"], name="saved_number_once_per_owner")
        ]

    def __str__(self) -> str:
        return self.nickname


class IdentificationMethod(models.TextChoices):
    SHOP_DOCUMENT = "shop_document", "Original document in a shop"
    ONLINE_EID = "online_eid", "Online with the eID"
    CERTIFIED_SERVICE = "certified_service", "Certified identification service (e.g. itsme)"
    ONLINE_PAYMENT = "online_payment", "Online payment in the customer's name"
    EXISTING_CUSTOMER = "existing_customer", "Existing customer"


class DocumentType(models.TextChoices):
    BE_EID = "be_eid", "Belgian eID card"
    EU_ID_CARD = "eu_id_card", "EU identity card"
    PASSPORT = "passport", "Passport"
    BE_FOREIGNER_CARD = "be_foreigner_card", "Belgian foreigner's card"
    TEMPORARY_DOCUMENT = "temporary_document", "Temporary replacement document"


class IdentificationStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    ANOMALY = "anomaly", "Anomaly (line not activated)"


class IdentificationRecord(models.Model):
    """How and on what evidence a line's user was identified. Never edited; new records supersede.
    The one exception is erasure once the retention period is over (`erased_at`).

    Document numbers are stored encrypted (`*_encrypted`), masked for screens (`*_masked`) and as
    a keyed hash (`*_hash`) that finds the same identity on other lines without decrypting.
    """

    sim = models.ForeignKey(Sim, on_delete=models.PROTECT, related_name="identifications")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=32, choices=IdentificationMethod.choices)
    status = models.CharField(max_length=16, choices=IdentificationStatus.choices)
    anomaly = models.CharField(max_length=255, blank=True)
    document_type = models.CharField(max_length=32, choices=DocumentType.choices, blank=True)
    issuing_country = models.CharField(max_length=3, blank=True)
    document_number_encrypted = models.TextField(blank=True)
    document_number_masked = models.CharField(max_length=32, blank=True)
    document_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    document_expires_on = models.DateField(null=True, blank=True)
    national_register_number_encrypted = models.TextField(blank=True)
    national_register_number_masked = models.CharField(max_length=32, blank=True)
    national_register_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    verified_by = models.CharField(max_length=100)
    verified_at = models.DateTimeField()
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.PROTECT)
    evidence_reference = models.CharField(max_length=200, blank=True)
    # Set when retention erased the numbers, hashes and evidence: method, date and verifier stay.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-verified_at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.document_number_masked}"


class IdentificationRefusal(models.Model):
    """A document number refused because a check digit failed: no number is kept, only the fact.

    One refusal is a typing error; many on one line are for compliance to look at.
    """

    sim = models.ForeignKey(Sim, on_delete=models.PROTECT, related_name="identification_refusals")
    reason = models.CharField(max_length=32)  # the validator's reason, e.g. check_digits
    document_type = models.CharField(max_length=32, choices=DocumentType.choices, blank=True)
    refused_by = models.CharField(max_length=100)  # the actor's label, e.g. "staff:12"
    refused_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-refused_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} on {self.sim_id}"


class ReidentificationRequest(models.Model):
    sim = models.ForeignKey(Sim, on_delete=models.PROTECT, related_name="reidentifications")
    reason = models.CharField(max_length=255)
    requested_by = models.CharField(max_length=100)
    requested_at = models.DateTimeField()
    resolved_by = models.ForeignKey(
        IdentificationRecord, null=True, blank=True, on_delete=models.PROTECT
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"re-identify {self.sim_id}"


class HoldReason(models.TextChoices):
    SIM_SWAP = "sim_swap", "SIM swapped"
    DEVICE_CHANGE = "device_change", "Device changed"
    INFORMATION_MISMATCH = "information_mismatch", "Registered information does not match"
    REIDENTIFICATION = "reidentification", "Re-identification requested"


class LineHold(models.Model):
    """The registered information no longer matches: top-ups and changes wait for re-identifying."""

    sim = models.ForeignKey(Sim, on_delete=models.PROTECT, related_name="holds")
    reason = models.CharField(max_length=32, choices=HoldReason.choices)
    details = models.JSONField(default=dict, blank=True)
    detected_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        IdentificationRecord, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        indexes = [
            models.Index(fields=["sim"], condition=Q(cleared_at__isnull=True), name="open_holds")
        ]

    def __str__(self) -> str:
        return f"{self.reason} on {self.sim_id}"


class AccessToken(models.Model):
    """A bearer token for the API, stored only as its SHA-256 hash."""

    token_hash = models.CharField(max_length=64, unique=True)
    sim = models.ForeignKey(Sim, on_delete=models.CASCADE, related_name="access_tokens")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token for {self.sim_id}"


class CorrectionField(models.TextChoices):
    NAME = "name", "Name (first and last)"


class SubscriberCorrection(models.Model):
    """A verified change to a subscriber's record by customer service. Never edited or deleted:
    the values before and after stay here, with the reason and who made the change.
    """

    subscriber = models.ForeignKey(Subscriber, on_delete=models.PROTECT, related_name="corrections")
    field = models.CharField(max_length=32, choices=CorrectionField.choices)
    # The corrected part of the record, before and after: {"first_name": …, "last_name": …}.
    old_value = models.JSONField(default=dict)
    new_value = models.JSONField(default=dict)
    reason = models.CharField(max_length=255)
    corrected_by = models.CharField(max_length=100)  # the actor's label, e.g. "staff:12"
    corrected_at = models.DateTimeField()

    class Meta:
        ordering = ["-corrected_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="subscriber_correction_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field} of subscriber {self.subscriber_id}"
