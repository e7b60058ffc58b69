"""Admin of the kiosk fleet: read-only rows; registering and revoking go through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from topup.audit.services import Actor
from topup.kiosks.models import KioskDevice, KioskSession
from topup.kiosks.services import kiosk_device_register, kiosk_device_revoke


def _actor(request: HttpRequest) -> Actor:
    return Actor(actor_type="staff", actor_id=str(request.user.pk))


@admin.register(KioskDevice)
class KioskDeviceAdmin(admin.ModelAdmin[KioskDevice]):
    list_display = (
        "kiosk",
        "status",
        "printer_status",
        "last_heartbeat_at",
        "software_version",
        "enrolled_at",
        "revoked_at",
    )
    list_filter = ("status",)
    actions = ("issue_enrolment_code", "revoke")
    exclude = ("enrolment_code_hash", "credential_hash", "credential_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: KioskDevice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: KioskDevice | None = None) -> bool:
        return False

    @admin.action(description="Issue a new enrolment code (valid 24 h)")
    def issue_enrolment_code(self, request: HttpRequest, queryset: QuerySet[KioskDevice]) -> None:
        for device in queryset.select_related("kiosk"):
            _device, code = kiosk_device_register(kiosk=device.kiosk, actor=_actor(request))
            self.message_user(
                request, f"{device.kiosk.code}: open /kiosk/enrol/{code} on the kiosk (24 h)."
            )

    @admin.action(description="Revoke: cut the kiosk off now")
    def revoke(self, request: HttpRequest, queryset: QuerySet[KioskDevice]) -> None:
        for device in queryset.select_related("kiosk"):
            kiosk_device_revoke(device=device, actor=_actor(request))
        self.message_user(request, "Revoked.", level=messages.WARNING)


@admin.register(KioskSession)
class KioskSessionAdmin(admin.ModelAdmin[KioskSession]):
    list_display = ("id", "device", "language", "identity", "started_at", "ended_at")
    list_filter = ("identity",)
    exclude = ("card_token", "card_fingerprint")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: KioskSession | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: KioskSession | None = None) -> bool:
        return False
