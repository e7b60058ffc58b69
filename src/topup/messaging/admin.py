"""Read-only admin views of SMS and one-time codes: the application writes them, never staff."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from topup.messaging.models import OneTimeCode, OutboxMessage, SmsMessage

_ModelT = TypeVar("_ModelT", bound=Model)


class _ReadOnlyAdmin(admin.ModelAdmin[_ModelT]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _ModelT | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _ModelT | None = None) -> bool:
        return False


@admin.register(SmsMessage)
class SmsMessageAdmin(_ReadOnlyAdmin[SmsMessage]):
    list_display = ["id", "created_at", "purpose", "status", "attempts", "gateway", "sent_at"]
    list_filter = ["status", "purpose", "gateway"]
    search_fields = ["msisdn", "gateway_message_id"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(_ReadOnlyAdmin[OutboxMessage]):
    list_display = ["id", "received_at", "msisdn", "sender_name"]
    search_fields = ["msisdn", "gateway_message_id"]


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(_ReadOnlyAdmin[OneTimeCode]):
    list_display = ["id", "created_at", "expires_at", "attempts", "consumed_at", "invalidated_at"]
    search_fields = ["msisdn"]
    exclude = ["code_hash"]
