"""Admin views of payments: records are read-only; the simulator's switches are editable."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from topup.audit.services import Actor, audit_record
from topup.payments.models import (
    Payment,
    PaymentAttempt,
    SimulatorPayment,
    SimulatorSettings,
    SimulatorWebhookDelivery,
    WebhookEvent,
)
from topup.payments.simulator.services import simulator_settings_update

_M = TypeVar("_M", bound=Model)


class _ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """Payment records are written by the services only; staff look, they do not edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(_ReadOnlyAdmin[Payment]):
    list_display = ("created_at", "provider", "provider_payment_id", "reference", "status")
    list_filter = ("provider", "status", "method")
    search_fields = ("provider_payment_id", "reference")


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(_ReadOnlyAdmin[PaymentAttempt]):
    list_display = ("at", "provider", "operation", "reference", "succeeded", "error_code")
    list_filter = ("provider", "operation", "succeeded")
    search_fields = ("reference",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(_ReadOnlyAdmin[WebhookEvent]):
    list_display = ("received_at", "provider", "event_id", "event_type", "provider_payment_id")
    list_filter = ("provider", "event_type")
    search_fields = ("event_id", "provider_payment_id")


@admin.register(SimulatorPayment)
class SimulatorPaymentAdmin(_ReadOnlyAdmin[SimulatorPayment]):
    list_display = ("created_at", "id", "reference", "method", "status", "failure_code")
    list_filter = ("status", "method")
    search_fields = ("id", "reference")


@admin.register(SimulatorWebhookDelivery)
class SimulatorWebhookDeliveryAdmin(_ReadOnlyAdmin[SimulatorWebhookDelivery]):
    list_display = ("created_at", "event_id", "payment", "attempts", "delivered_at", "last_error")
    search_fields = ("event_id", "payment__id")


@admin.register(SimulatorSettings)
class SimulatorSettingsAdmin(admin.ModelAdmin[SimulatorSettings]):
    list_display = ("__str__", "webhook_mode", "late_delay_s", "outage")
    fields = ("webhook_mode", "late_delay_s", "outage")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SimulatorSettings.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: SimulatorSettings | None = None
    ) -> bool:
        return False

    def save_model(
        self,
        request: HttpRequest,
        obj: SimulatorSettings,
        form: ModelForm[SimulatorSettings],
        change: bool,
    ) -> None:
        # Through the one service that writes these switches, and on the record.
        simulator_settings_update(
            webhook_mode=obj.webhook_mode, late_delay_s=obj.late_delay_s, outage=obj.outage
        )
        audit_record(
            actor=Actor(actor_type="staff", actor_id=str(request.user.pk)),
            action="simulator.settings_changed",
            object_type="simulator_settings",
            object_id=SimulatorSettings.SINGLETON_ID,
            data={
                "webhook_mode": obj.webhook_mode,
                "late_delay_s": obj.late_delay_s,
                "outage": obj.outage,
            },
        )
