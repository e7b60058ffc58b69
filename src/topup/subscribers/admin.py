"""Admin views of subscribers and lines: document numbers only masked, never encrypted or clear."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from topup.subscribers import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are written only through the services: look, never edit here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(models.Subscriber)
class SubscriberAdmin(ReadOnlyAdmin):
    list_display = ("id", "preferred_language", "created_at")
    fields = ("first_name", "last_name", "preferred_language", "low_balance_alert_cents")


@admin.register(models.Sim)
class SimAdmin(ReadOnlyAdmin):
    list_display = ("msisdn", "status", "brand", "validity_until", "created_at")
    list_filter = ("status", "brand")
    search_fields = ("msisdn",)
    fields = ("msisdn", "iccid", "brand", "subscriber", "status", "validity_until", "created_at")


@admin.register(models.IdentificationRecord)
class IdentificationRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "sim",
        "method",
        "status",
        "document_type",
        "document_number_masked",
        "verified_by",
        "verified_at",
    )
    list_filter = ("method", "status", "document_type")
    fields = (
        "sim",
        "subscriber",
        "method",
        "status",
        "anomaly",
        "document_type",
        "issuing_country",
        "document_number_masked",
        "national_register_number_masked",
        "document_expires_on",
        "verified_by",
        "verified_at",
        "shop",
        "evidence_reference",
    )


@admin.register(models.ReidentificationRequest)
class ReidentificationRequestAdmin(ReadOnlyAdmin):
    list_display = ("sim", "reason", "requested_by", "requested_at", "resolved_at")


@admin.register(models.LineHold)
class LineHoldAdmin(ReadOnlyAdmin):
    list_display = ("sim", "reason", "detected_at", "cleared_at")
    list_filter = ("reason",)


@admin.register(models.AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    list_display = ("sim", "created_at", "expires_at", "revoked_at")
    fields = ("sim", "created_at", "expires_at", "revoked_at")
