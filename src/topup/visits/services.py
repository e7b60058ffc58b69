"""Writes for shop visits: opening hours, the queue (take, call next, finish) and bookings.

The agent console calls `queue_call_next` and `queue_ticket_finish`; it checks that the user works
at the shop (visits does not know the staff model). Tickets carry no personal data; a booking's
contact number is encrypted at rest and shown masked.
"""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext

from topup.catalog.models import Shop
from topup.core import clock
from topup.messaging.models import SmsPurpose
from topup.messaging.services import messaging_sms_send
from topup.subscribers.crypto import decrypt_text, encrypt_text, lookup_hash
from topup.subscribers.numbers import InvalidNumber, normalize_msisdn
from topup.visits import errors
from topup.visits.models import (
    QueueTicket,
    ShopBooking,
    ShopHours,
    TicketSource,
    TicketStatus,
)

# --- Limits and defaults (TIGER_STYLE: a limit on everything) ------------------------------

SLOT_MINUTES = 15
# Bookings per 15-minute slot when the setting TOPUP_VISITS_SLOT_CAPACITY is not set: the number
# of agents a shop usually has at the counter.
DEFAULT_SLOT_CAPACITY = 2
BOOKING_DAYS_AHEAD_MAX = 28
# Open (not cancelled, not yet past) bookings one phone number may hold, so that nobody books
# every slot of a shop.
BOOKINGS_OPEN_PER_NUMBER_MAX = 3
TICKETS_PER_SHOP_PER_DAY_MAX = 999
# Online tickets waiting at one shop at once: people who are not there yet must not fill the queue.
ONLINE_TICKETS_WAITING_MAX = 30
# The wait estimate uses the median service time of the last N served tickets (last 28 days).
SERVICE_SAMPLE_SIZE = 30
SERVICE_SAMPLE_DAYS = 28
# Without any history: a counter top-up with identification takes about six minutes.
DEFAULT_SERVICE_MINUTES = 6.0
# Agents counted as "at the counter" if they called a ticket this recently.
ACTIVE_AGENT_WINDOW = dt.timedelta(hours=1)
# Booking references: 8 characters, no look-alikes (0/O, 1/I/L), about 39 bits; shown as XXXX-XXXX.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8

DEFAULT_WEEK_HOURS = ((dt.time(9, 0), dt.time(18, 0)),)
DEFAULT_OPEN_WEEKDAYS = (0, 1, 2, 3, 4, 5)  # Monday to Saturday


@dataclass(frozen=True)
class WaitEstimate:
    """How long a customer who takes a ticket now is expected to wait."""

    people_waiting: int
    minutes: int
    service_minutes: float  # median minutes per customer used for the estimate
    sample_size: int  # served tickets behind the median; 0 = DEFAULT_SERVICE_MINUTES
    counters: int  # agents assumed to be serving in parallel

    @property
    def from_history(self) -> bool:
        return self.sample_size > 0


@dataclass(frozen=True)
class Slot:
    """A 15-minute booking slot (aware datetimes) and how full it is."""

    start: dt.datetime
    end: dt.datetime
    capacity: int
    booked: int
    in_past: bool

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def bookable(self) -> bool:
        return self.free > 0 and not self.in_past


# --- Opening hours ---------------------------------------------------------------------------


def visits_hours_setup_default(*, shop: Shop) -> list[ShopHours]:
    """Give a shop without hours the plain default (Mon-Sat 09:00-18:00); idempotent."""
    with transaction.atomic():
        Shop.objects.select_for_update().get(pk=shop.pk)
        existing = list(ShopHours.objects.filter(shop=shop))
        if existing:
            return existing
        return ShopHours.objects.bulk_create(
            ShopHours(shop=shop, weekday=weekday, opens=opens, closes=closes)
            for weekday in DEFAULT_OPEN_WEEKDAYS
            for opens, closes in DEFAULT_WEEK_HOURS
        )


@dataclass(frozen=True)
class OpeningPeriod:
    weekday: int  # 0 = Monday
    opens: dt.time
    closes: dt.time


def visits_hours_replace(*, shop: Shop, periods: list[OpeningPeriod]) -> list[ShopHours]:
    """Replace a shop's opening hours with `periods` (bookings already made are kept)."""
    for period in periods:
        if not 0 <= period.weekday <= 6 or period.closes <= period.opens:
            raise errors.InvalidOpeningHours()
    with transaction.atomic():
        Shop.objects.select_for_update().get(pk=shop.pk)
        ShopHours.objects.filter(shop=shop).delete()
        return ShopHours.objects.bulk_create(
            ShopHours(shop=shop, weekday=p.weekday, opens=p.opens, closes=p.closes) for p in periods
        )


def shop_is_open(*, shop: Shop, at: dt.datetime) -> bool:
    local = timezone.localtime(at)
    return ShopHours.objects.filter(
        shop=shop, weekday=local.weekday(), opens__lte=local.time(), closes__gt=local.time()
    ).exists()


# --- The queue -------------------------------------------------------------------------------


def _service_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def queue_ticket_take(*, shop: Shop, source: str) -> QueueTicket:
    """Give the next number of the day. Online tickets only while the shop is open."""
    source = TicketSource(source)
    now = clock.now()
    day = _service_day(now)
    with transaction.atomic():
        # The shop row is the lock that makes numbers gapless and unique per day.
        Shop.objects.select_for_update().get(pk=shop.pk)
        if source == TicketSource.ONLINE:
            if not shop_is_open(shop=shop, at=now):
                raise errors.ShopClosed()
            online_waiting = QueueTicket.objects.filter(
                shop=shop, service_day=day, source=source, status=TicketStatus.WAITING
            ).count()
            if online_waiting >= ONLINE_TICKETS_WAITING_MAX:
                raise errors.QueueFull()
        last = QueueTicket.objects.filter(shop=shop, service_day=day).aggregate(m=Max("number"))
        number = (last["m"] or 0) + 1
        if number > TICKETS_PER_SHOP_PER_DAY_MAX:
            raise errors.QueueFull()
        return QueueTicket.objects.create(
            shop=shop, service_day=day, number=number, source=source, taken_at=now
        )


def queue_call_next(*, shop: Shop, user: AbstractBaseUser) -> QueueTicket | None:
    """Call today's lowest waiting number to the counter of `user`; None when nobody waits."""
    now = clock.now()
    with transaction.atomic():
        Shop.objects.select_for_update().get(pk=shop.pk)
        ticket = (
            QueueTicket.objects.filter(
                shop=shop, service_day=_service_day(now), status=TicketStatus.WAITING
            )
            .order_by("number")
            .first()
        )
        if ticket is None:
            return None
        ticket.status = TicketStatus.CALLED
        ticket.called_at = now
        ticket.called_by_id = user.pk
        ticket.save(update_fields=["status", "called_at", "called_by"])
        return ticket


def queue_ticket_finish(
    *, ticket_id: int, user: AbstractBaseUser, served: bool, shop: Shop | None = None
) -> QueueTicket:
    """Close a called ticket as served (or as a no-show). With `shop`, only that shop's tickets.

    Served tickets feed the wait estimate: their called → finished time is a real service time.
    """
    now = clock.now()
    with transaction.atomic():
        tickets = QueueTicket.objects.select_for_update()
        if shop is not None:
            tickets = tickets.filter(shop=shop)
        ticket = tickets.filter(pk=ticket_id).first()
        if ticket is None:
            raise errors.TicketNotFound()
        if ticket.status != TicketStatus.CALLED:
            raise errors.TicketNotCalled()
        ticket.status = TicketStatus.SERVED if served else TicketStatus.NO_SHOW
        ticket.finished_at = now
        if ticket.called_by_id is None:
            ticket.called_by_id = user.pk
        ticket.save(update_fields=["status", "finished_at", "called_by"])
        return ticket


def queue_wait_estimate(*, shop: Shop) -> WaitEstimate:
    """People waiting now times the median real service time, shared by the agents at the counter.

    The median of the last SERVICE_SAMPLE_SIZE served tickets' (finished_at - called_at) over
    SERVICE_SAMPLE_DAYS days; DEFAULT_SERVICE_MINUTES when there is none. Counters = agents who
    called a ticket in the last hour (at least 1).
    """
    now = clock.now()
    waiting = QueueTicket.objects.filter(
        shop=shop, service_day=_service_day(now), status=TicketStatus.WAITING
    ).count()
    recent = QueueTicket.objects.filter(
        shop=shop,
        status=TicketStatus.SERVED,
        called_at__isnull=False,
        finished_at__gte=now - dt.timedelta(days=SERVICE_SAMPLE_DAYS),
    ).order_by("-finished_at")[:SERVICE_SAMPLE_SIZE]
    durations_min = [
        (ticket.finished_at - ticket.called_at).total_seconds() / 60
        for ticket in recent
        if ticket.finished_at is not None and ticket.called_at is not None
    ]
    service_min = statistics.median(durations_min) if durations_min else DEFAULT_SERVICE_MINUTES
    counters = max(
        1,
        QueueTicket.objects.filter(shop=shop, called_at__gte=now - ACTIVE_AGENT_WINDOW)
        .exclude(called_by__isnull=True)
        .values("called_by")
        .distinct()
        .count(),
    )
    minutes = -(-round(waiting * service_min) // counters)  # ceiling division
    return WaitEstimate(
        people_waiting=waiting,
        minutes=minutes,
        service_minutes=round(service_min, 1),
        sample_size=len(durations_min),
        counters=counters,
    )


# --- Bookings --------------------------------------------------------------------------------


def slot_capacity(*, shop: Shop) -> int:
    """Bookings per slot: the setting TOPUP_VISITS_SLOT_CAPACITY, else DEFAULT_SLOT_CAPACITY."""
    configured = getattr(settings, "TOPUP_VISITS_SLOT_CAPACITY", DEFAULT_SLOT_CAPACITY)
    return max(1, int(configured))


def _slot_starts(*, shop: Shop, day: dt.date) -> list[dt.datetime]:
    zone = timezone.get_current_timezone()
    step = dt.timedelta(minutes=SLOT_MINUTES)
    starts: list[dt.datetime] = []
    for hours in ShopHours.objects.filter(shop=shop, weekday=day.weekday()).order_by("opens"):
        start = dt.datetime.combine(day, hours.opens, tzinfo=zone)
        closes = dt.datetime.combine(day, hours.closes, tzinfo=zone)
        while start + step <= closes:
            starts.append(start)
            start += step
    return sorted(set(starts))


def booking_slots(*, shop: Shop, day: dt.date) -> list[Slot]:
    """The day's 15-minute slots within opening hours, with what is left of each."""
    starts = _slot_starts(shop=shop, day=day)
    if not starts:
        return []
    step = dt.timedelta(minutes=SLOT_MINUTES)
    booked: dict[dt.datetime, int] = {}
    for slot_start in ShopBooking.objects.filter(
        shop=shop,
        cancelled_at__isnull=True,
        slot_start__gte=starts[0],
        slot_start__lte=starts[-1],
    ).values_list("slot_start", flat=True):
        booked[slot_start] = booked.get(slot_start, 0) + 1
    capacity = slot_capacity(shop=shop)
    now = clock.now()
    return [
        Slot(
            start=start,
            end=start + step,
            capacity=capacity,
            booked=booked.get(start, 0),
            in_past=start <= now,
        )
        for start in starts
    ]


def booking_reference_normalize(reference: str) -> str:
    """`k7qh-4m2p ` → `K7QH4M2P`: what people type back, as hashed."""
    return "".join(ch for ch in reference.upper() if ch.isalnum())[: REFERENCE_LENGTH * 2]


def booking_reference_display(reference: str) -> str:
    return f"{reference[:4]}-{reference[4:]}"


def booking_reference_hash(reference: str) -> str:
    """What the table keeps of a reference: keyed, since 39 bits could be searched offline."""
    return lookup_hash("booking:" + booking_reference_normalize(reference))


def booking_reference_seal(reference: str) -> str:
    """The reference encrypted, for the confirmation page's session: session rows are readable."""
    return encrypt_text(reference)


def booking_reference_unseal(sealed: object) -> str | None:
    if not isinstance(sealed, str):
        return None
    try:
        return decrypt_text(sealed)
    except ValueError:  # sealed with a key no longer configured: the SMS still has it
        return None


def _reference_new() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _msisdn_masked(msisdn: str) -> str:
    """`+32470••••56`: enough to recognise one's own number."""
    return msisdn[:6] + "•" * (len(msisdn) - 8) + msisdn[-2:]


def _check_slot(*, shop: Shop, slot_start: dt.datetime, now: dt.datetime) -> Slot:
    if timezone.is_naive(slot_start):
        raise errors.SlotUnavailable()
    if slot_start <= now:
        raise errors.SlotInPast()
    local_day = timezone.localtime(slot_start).date()
    if local_day > _service_day(now) + dt.timedelta(days=BOOKING_DAYS_AHEAD_MAX):
        raise errors.BookingTooFarAhead()
    slot = next((s for s in booking_slots(shop=shop, day=local_day) if s.start == slot_start), None)
    if slot is None:
        raise errors.SlotUnavailable()
    if slot.free <= 0:
        raise errors.SlotFull()
    return slot


@dataclass(frozen=True)
class BookingMade:
    """A new booking, and its reference: in clear here only, for the confirmation page."""

    booking: ShopBooking
    reference: str


def booking_create(
    *, shop: Shop, slot_start: dt.datetime, msisdn: str, language: str
) -> BookingMade:
    """Book a visit in a free future slot and confirm it by SMS in the customer's language."""
    try:
        msisdn = normalize_msisdn(msisdn)
    except InvalidNumber as error:
        raise errors.InvalidContactNumber() from error
    language = _language_supported(language)
    now = clock.now()
    with transaction.atomic():
        # One booking at a time per shop, so two customers cannot take the last place.
        Shop.objects.select_for_update().get(pk=shop.pk)
        slot = _check_slot(shop=shop, slot_start=slot_start, now=now)
        msisdn_hash = lookup_hash(msisdn)
        open_bookings = ShopBooking.objects.filter(
            msisdn_hash=msisdn_hash, cancelled_at__isnull=True, slot_end__gt=now
        ).count()
        if open_bookings >= BOOKINGS_OPEN_PER_NUMBER_MAX:
            raise errors.TooManyBookings()
        reference = _reference_new()
        booking = ShopBooking.objects.create(
            shop=shop,
            slot_start=slot.start,
            slot_end=slot.end,
            reference_hash=booking_reference_hash(reference),
            msisdn_encrypted=encrypt_text(msisdn),
            msisdn_hash=msisdn_hash,
            msisdn_masked=_msisdn_masked(msisdn),
            language=language,
            created_at=now,
        )
        messaging_sms_send(
            msisdn=msisdn,
            body=_booking_sms_text(booking=booking, reference=reference, shop=shop),
            sender_name=_sms_sender_name(),
            purpose=SmsPurpose.BOOKING,
        )
    return BookingMade(booking=booking, reference=reference)


def booking_cancel(*, reference: str) -> ShopBooking:
    """Cancel a booking by its reference (the reference is the secret; it is never listed)."""
    normalized = booking_reference_normalize(reference)
    with transaction.atomic():
        booking = (
            ShopBooking.objects.select_for_update()
            .filter(reference_hash=booking_reference_hash(normalized))
            .first()
        )
        if booking is None:
            raise errors.BookingNotFound()
        if booking.cancelled_at is not None:
            raise errors.BookingAlreadyCancelled()
        if booking.slot_start <= clock.now():
            raise errors.SlotInPast()
        booking.cancelled_at = clock.now()
        booking.save(update_fields=["cancelled_at"])
        return booking


def _language_supported(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    base = language.split("-", maxsplit=1)[0].lower() if language else ""
    for code in codes:
        if code.lower() == language.lower() or code.split("-", maxsplit=1)[0].lower() == base:
            return code
    return settings.LANGUAGE_CODE


def _sms_sender_name() -> str:
    return str(getattr(settings, "TOPUP_VISITS_SMS_SENDER_NAME", "TopupShops"))


def _booking_sms_text(*, booking: ShopBooking, reference: str, shop: Shop) -> str:
    local = timezone.localtime(booking.slot_start)
    with translation.override(booking.language):
        return gettext(
            "Your visit to %(shop)s on %(day)s at %(time)s is booked. Reference: %(reference)s. "
            "Bring your phone and your original ID document."
        ) % {
            "shop": shop.name,
            "day": local.strftime("%d/%m/%Y"),
            "time": local.strftime("%H:%M"),
            "reference": booking_reference_display(reference),
        }
