from django.contrib import admin
from django.http import HttpRequest

from topup.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("at", "actor_type", "actor_id", "action", "object_type", "object_id")
    list_filter = ("action", "actor_type")
    search_fields = ("object_id", "actor_id", "request_id")

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
