"""Shop visits: opening hours, queue tickets and booked visits."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from topup.catalog.models import Shop


class ShopHours(models.Model):
    """One opening period of a shop on a weekday (0 = Monday); a day may have several."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField()
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["shop", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="visits_hours_weekday"
            ),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="visits_hours_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"


class TicketSource(models.TextChoices):
    SHOP = "shop", "At the shop"
    SCREEN = "screen", "On the shop's screen"
    ONLINE = "online", "Online"


class TicketStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    CALLED = "called", "Called"
    SERVED = "served", "Served"
    NO_SHOW = "no_show", "Did not come"


class QueueTicket(models.Model):
    """A place in a shop's queue; numbers start again at 1 every (local) day."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="queue_tickets")
    service_day = models.DateField()
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=8, choices=TicketSource.choices)
    status = models.CharField(
        max_length=8, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    taken_at = models.DateTimeField(db_index=True)
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shop", "service_day", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "service_day", "number"], name="visits_ticket_number_per_day"
            ),
        ]
        indexes = [models.Index(fields=["shop", "status", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.service_day} #{self.number}"


class ShopBooking(models.Model):
    """A booked visit in a 15-minute slot; the contact number is encrypted at rest.

    The reference (it cancels the booking) is handed out once, on the confirmation page and by
    SMS; the table keeps only its keyed hash, so a copy of it cancels nothing.
    """

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="bookings")
    slot_start = models.DateTimeField()
    slot_end = models.DateTimeField()
    reference_hash = models.CharField(max_length=64, unique=True)
    msisdn_encrypted = models.TextField()
    # A keyed hash, so that the open bookings of one number can be counted without decrypting.
    msisdn_hash = models.CharField(max_length=64, db_index=True)
    msisdn_masked = models.CharField(max_length=20)
    language = models.CharField(max_length=10)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shop", "slot_start"]
        indexes = [models.Index(fields=["shop", "slot_start"])]

    def __str__(self) -> str:
        return f"booking {self.pk} {self.shop_id} {self.slot_start:%Y-%m-%d %H:%M}"
