"""Back-office views of opening hours, queue tickets and bookings (numbers stay masked)."""

from __future__ import annotations

from django.contrib import admin

from topup.visits.models import QueueTicket, ShopBooking, ShopHours


@admin.register(ShopHours)
class ShopHoursAdmin(admin.ModelAdmin[ShopHours]):
    list_display = ("shop", "weekday", "opens", "closes")
    list_filter = ("shop", "weekday")


@admin.register(QueueTicket)
class QueueTicketAdmin(admin.ModelAdmin[QueueTicket]):
    list_display = ("shop", "service_day", "number", "source", "status", "taken_at", "called_by")
    list_filter = ("shop", "status", "source")
    date_hierarchy = "taken_at"
    readonly_fields = ("taken_at", "called_at", "finished_at", "called_by")


@admin.register(ShopBooking)
class ShopBookingAdmin(admin.ModelAdmin[ShopBooking]):
    list_display = ("id", "shop", "slot_start", "msisdn_masked", "language", "cancelled_at")
    list_filter = ("shop",)
    exclude = ("msisdn_encrypted", "msisdn_hash", "reference_hash")
    readonly_fields = ("msisdn_masked", "created_at")
