"""The append-only audit log: every state change that matters and every look at personal data."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One row per audited fact. Rows are never updated or deleted by the application."""

    at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=32)  # subscriber, staff, system, kiosk, provider
    actor_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)  # e.g. ledger.posted, pii.view
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)  # indexed with object_type below
    reason = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_type}:{self.actor_id} {self.action}"
