"""The kiosk fleet: one device per catalog kiosk, its credential, its sessions and QR hand-offs.

No card number and no personal data stays here after a session ends: a session holds the card
reader's token and masked number, the target number and the customer link only while it runs.
"""

from __future__ import annotations

import uuid

from django.db import models

from topup.catalog.models import Kiosk


class KioskStatus(models.TextChoices):
    IN_SERVICE = "in_service", "in service"
    OUT_OF_PAPER = "out_of_paper", "out of paper"
    MAINTENANCE = "maintenance", "maintenance"
    OUT_OF_SERVICE = "out_of_service", "out of service"


class KioskDevice(models.Model):
    """The terminal standing at a catalog kiosk; it authenticates with its own credential."""

    kiosk = models.OneToOneField(Kiosk, on_delete=models.PROTECT, related_name="device")
    status = models.CharField(
        max_length=20, choices=KioskStatus.choices, default=KioskStatus.OUT_OF_SERVICE
    )
    printer_status = models.CharField(max_length=20, blank=True, default="")
    software_version = models.CharField(max_length=40, blank=True, default="")
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # A one-time code that turns a browser into this kiosk; hashed, valid 24 h.
    enrolment_code_hash = models.CharField(max_length=64, blank=True, default="")
    enrolment_expires_at = models.DateTimeField(null=True, blank=True)
    # The credential the kiosk browser keeps in a cookie: a lookup id + a secret, stored hashed.
    credential_id = models.CharField(max_length=32, blank=True, default="", db_index=True)
    credential_hash = models.CharField(max_length=64, blank=True, default="")
    enrolled_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"device of {self.kiosk.code}"

    @property
    def code(self) -> str:
        return self.kiosk.code


class KioskIdentity(models.TextChoices):
    NONE = "", "none"
    CARD = "card", "bank card"
    QR = "qr", "QR code from the app"


class KioskSession(models.Model):
    """One walk-in customer at one kiosk, from the language choice until the wipe."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device = models.ForeignKey(KioskDevice, on_delete=models.PROTECT, related_name="sessions")
    language = models.CharField(max_length=10)
    identity = models.CharField(
        max_length=8, choices=KioskIdentity.choices, blank=True, default=KioskIdentity.NONE
    )
    card_token = models.CharField(max_length=80, blank=True, default="")
    card_masked = models.CharField(max_length=32, blank=True, default="")
    card_fingerprint = models.CharField(max_length=64, blank=True, default="")
    customer_sim = models.ForeignKey(
        "subscribers.Sim", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_msisdn = models.CharField(max_length=16, blank=True, default="")
    amount_cents = models.PositiveIntegerField(null=True, blank=True)
    order = models.ForeignKey(
        "topups.TopupOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"kiosk session {self.pk}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class KioskHandoff(models.Model):
    """A QR hand-off token issued by a kiosk session: single use, valid 120 s, bound to both."""

    nonce = models.CharField(max_length=32, unique=True)
    session = models.ForeignKey(KioskSession, on_delete=models.CASCADE, related_name="handoffs")
    device = models.ForeignKey(KioskDevice, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"hand-off {self.nonce}"
