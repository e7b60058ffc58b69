"""SMS messages (the send record), the outbox gateway's simulated handset inbox, one-time codes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SmsPurpose(models.TextChoices):
    OTP = "otp", "One-time code"
    RECEIPT = "receipt", "Receipt"
    ALERT = "alert", "Alert"
    REMINDER = "reminder", "Reminder"
    NOTICE = "notice", "Notice"
    DISPUTE = "dispute", "Dispute"
    BOOKING = "booking", "Booking"  # carries the reference that cancels it: masked once sent


class SmsStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class SmsMessage(models.Model):
    """One SMS the platform asked to send, and what the gateway did with it."""

    msisdn = models.CharField(max_length=16, db_index=True)  # E.164
    sender_name = models.CharField(max_length=11)  # alphanumeric sender ids stop at 11
    body = models.TextField()  # one-time codes, booking references masked once the gateway has them
    purpose = models.CharField(max_length=16, choices=SmsPurpose.choices)
    status = models.CharField(max_length=8, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    gateway = models.CharField(max_length=32, blank=True)
    gateway_message_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["msisdn", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="queued") | Q(status="sent") | Q(status="failed"),
                name="messaging_sms_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="messaging_sms_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"sms {self.pk} ({self.purpose}, {self.status})"


class OutboxMessage(models.Model):
    """What the `outbox` gateway delivered: the simulated handset's inbox, full text included."""

    gateway_message_id = models.CharField(max_length=64, unique=True)
    msisdn = models.CharField(max_length=16, db_index=True)
    sender_name = models.CharField(max_length=11)
    body = models.TextField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"outbox {self.gateway_message_id}"


class OneTimeCode(models.Model):
    """A login code sent by SMS. Only a keyed hash of the code is stored."""

    msisdn = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=128)  # "<salt>$<hmac-sha256 hex>"
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)  # wrong attempts on this code
    consumed_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)  # a newer code replaced it
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # None: the number is not a line of the platform. The code is recorded under the same limits
    # (so that the answer never tells a line from another number) but never sent.
    sms = models.ForeignKey(
        SmsMessage,
        on_delete=models.PROTECT,
        related_name="one_time_codes",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["msisdn", "created_at"]),
            models.Index(fields=["client_ip", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="messaging_otp_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"one-time code {self.pk}"


class OtpWrongAttempt(models.Model):
    """A wrong code typed, and from which address: guessing is limited per address as well."""

    msisdn = models.CharField(max_length=16)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["client_ip", "at"])]

    def __str__(self) -> str:
        return f"wrong code at {self.at:%Y-%m-%d %H:%M:%S}"
