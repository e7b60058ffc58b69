"""Booking a visit: slots within opening hours, capacity, refusals, and the SMS confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django.fixtures import Settings

from tests.support import FakeClock
from tests.visits.conftest import local
from topup.catalog.models import Shop
from topup.core.worker import worker_drain
from topup.messaging.models import SmsMessage, SmsPurpose, SmsStatus
from topup.messaging.selectors import sms_outbox_list
from topup.subscribers.crypto import decrypt_text
from topup.visits import errors
from topup.visits.models import ShopBooking
from topup.visits.services import (
    OpeningPeriod,
    booking_cancel,
    booking_create,
    booking_reference_display,
    booking_reference_hash,
    booking_slots,
    visits_hours_replace,
)

pytestmark = pytest.mark.django_db

THURSDAY = dt.date(2031, 1, 9)
SUNDAY = dt.date(2031, 1, 12)
NUMBER = "+32470000001"


def test_slots_are_15_minutes_within_opening_hours(now: FakeClock, shop: Shop) -> None:
    slots = booking_slots(shop=shop, day=THURSDAY)
    assert len(slots) == 36  # 09:00-18:00
    assert slots[0].start == local(THURSDAY, 9) and slots[0].end == local(THURSDAY, 9, 15)
    assert slots[-1].start == local(THURSDAY, 17, 45)
    assert all(slot.bookable and slot.free == 2 for slot in slots)
    assert booking_slots(shop=shop, day=SUNDAY) == []


def test_a_split_day_has_no_slots_over_lunch(now: FakeClock, shop: Shop) -> None:
    visits_hours_replace(
        shop=shop,
        periods=[
            OpeningPeriod(3, dt.time(9, 0), dt.time(12, 0)),
            OpeningPeriod(3, dt.time(13, 30), dt.time(15, 0)),
        ],
    )
    starts = [slot.start for slot in booking_slots(shop=shop, day=THURSDAY)]
    assert len(starts) == 12 + 6
    assert local(THURSDAY, 12, 0) not in starts and local(THURSDAY, 13, 30) in starts


def test_todays_past_slots_are_shown_but_not_bookable(now: FakeClock, shop: Shop) -> None:
    today = booking_slots(shop=shop, day=dt.date(2031, 1, 8))  # the clock says 10:00
    past = [slot for slot in today if not slot.bookable]
    assert [slot.start for slot in past] == [
        local(dt.date(2031, 1, 8), 9, m) for m in (0, 15, 30, 45)
    ] + [local(dt.date(2031, 1, 8), 10)]


def test_capacity_counts_bookings_and_a_full_slot_is_refused(
    now: FakeClock, shop: Shop, settings: Settings
) -> None:
    settings.TOPUP_VISITS_SLOT_CAPACITY = 2
    start = local(THURSDAY, 11)
    booking_create(shop=shop, slot_start=start, msisdn="0470 00 00 01", language="nl")
    after_one = {slot.start: slot for slot in booking_slots(shop=shop, day=THURSDAY)}[start]
    assert (after_one.booked, after_one.free) == (1, 1)
    booking_create(shop=shop, slot_start=start, msisdn="0470 00 00 02", language="fr")
    with pytest.raises(errors.SlotFull):
        booking_create(shop=shop, slot_start=start, msisdn="0470 00 00 03", language="en")
    full = {slot.start: slot for slot in booking_slots(shop=shop, day=THURSDAY)}[start]
    assert not full.bookable
    assert ShopBooking.objects.filter(slot_start=start).count() == 2


def test_a_cancelled_booking_frees_its_place(
    now: FakeClock, shop: Shop, settings: Settings
) -> None:
    settings.TOPUP_VISITS_SLOT_CAPACITY = 1
    start = local(THURSDAY, 11)
    booking = booking_create(shop=shop, slot_start=start, msisdn=NUMBER, language="en")
    with pytest.raises(errors.SlotFull):
        booking_create(shop=shop, slot_start=start, msisdn="0470000002", language="en")
    cancelled = booking_cancel(reference=booking_reference_display(booking.reference).lower())
    assert cancelled.cancelled_at == now.now()
    with pytest.raises(errors.BookingAlreadyCancelled):
        booking_cancel(reference=booking.reference)
    booking_create(shop=shop, slot_start=start, msisdn="0470000002", language="en")


@pytest.mark.parametrize(
    ("slot_start", "error"),
    [
        (local(dt.date(2031, 1, 8), 9, 30), errors.SlotInPast),  # earlier today
        (local(SUNDAY, 11), errors.SlotUnavailable),  # closed on Sunday
        (local(THURSDAY, 18), errors.SlotUnavailable),  # closing time
        (local(THURSDAY, 11, 5), errors.SlotUnavailable),  # not on a quarter hour
        (local(dt.date(2031, 3, 4), 11), errors.BookingTooFarAhead),
        (dt.datetime(2031, 1, 9, 11, 0), errors.SlotUnavailable),  # naive: no time zone
    ],
)
def test_refusals_say_what_is_wrong(
    now: FakeClock, shop: Shop, slot_start: dt.datetime, error: type[Exception]
) -> None:
    with pytest.raises(error):
        booking_create(shop=shop, slot_start=slot_start, msisdn=NUMBER, language="en")
    assert ShopBooking.objects.count() == 0


def test_a_number_that_is_not_a_belgian_mobile_is_refused(now: FakeClock, shop: Shop) -> None:
    with pytest.raises(errors.InvalidContactNumber):
        booking_create(
            shop=shop, slot_start=local(THURSDAY, 11), msisdn="02 123 45 67", language="en"
        )


def test_one_number_holds_at_most_three_open_bookings(now: FakeClock, shop: Shop) -> None:
    for hour in (10, 11, 12):
        booking_create(shop=shop, slot_start=local(THURSDAY, hour), msisdn=NUMBER, language="en")
    with pytest.raises(errors.TooManyBookings):
        booking_create(shop=shop, slot_start=local(THURSDAY, 13), msisdn=NUMBER, language="en")


def test_the_number_is_encrypted_and_masked_and_the_reference_is_short(
    now: FakeClock, shop: Shop
) -> None:
    made = booking_create(
        shop=shop, slot_start=local(THURSDAY, 11), msisdn="0470 00 00 01", language="en"
    )
    booking = made.booking
    assert NUMBER not in booking.msisdn_encrypted
    assert decrypt_text(booking.msisdn_encrypted) == NUMBER
    assert booking.msisdn_masked == "+32470••••01"
    assert len(made.reference) == 8 and made.reference.isalnum()
    assert booking.reference_hash == booking_reference_hash(made.reference)
    assert made.reference not in booking.reference_hash
    other = booking_create(
        shop=shop, slot_start=local(THURSDAY, 11), msisdn="0470000002", language="en"
    )
    assert other.reference != made.reference


def test_the_confirmation_sms_carries_the_visit_and_the_reference(
    now: FakeClock, shop: Shop
) -> None:
    booking = booking_create(
        shop=shop, slot_start=local(THURSDAY, 11), msisdn=NUMBER, language="en"
    )
    worker_drain()
    [sms] = sms_outbox_list(msisdn=NUMBER)
    assert f"Reference: {booking_reference_display(booking.reference)}" in sms.body
    assert shop.name in sms.body and "09/01/2031" in sms.body and "11:00" in sms.body
    # The platform's own record of the SMS keeps the visit but no longer the reference.
    [record] = SmsMessage.objects.filter(purpose=SmsPurpose.BOOKING)
    assert record.status == SmsStatus.SENT
    assert booking_reference_display(booking.reference) not in record.body
    assert "Reference: ••••-••••." in record.body and "11:00" in record.body


@pytest.mark.parametrize(
    ("asked", "stored"), [("zh-Hans", "zh-hans"), ("fr-BE", "fr"), ("xx", "en")]
)
def test_the_sms_language_is_one_the_platform_speaks(
    now: FakeClock, shop: Shop, asked: str, stored: str
) -> None:
    """The SMS is written under translation.override(booking.language)."""
    made = booking_create(shop=shop, slot_start=local(THURSDAY, 11), msisdn=NUMBER, language=asked)
    assert made.booking.language == stored


def test_cancelling_an_unknown_or_past_booking_is_refused(now: FakeClock, shop: Shop) -> None:
    with pytest.raises(errors.BookingNotFound):
        booking_cancel(reference="AAAA-BBBB")
    booking = booking_create(
        shop=shop, slot_start=local(dt.date(2031, 1, 8), 11), msisdn=NUMBER, language="en"
    )
    now.advance(seconds=2 * 3600)
    with pytest.raises(errors.SlotInPast):
        booking_cancel(reference=booking.reference)
