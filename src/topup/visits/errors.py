"""Errors a customer or an agent can cause with queues and bookings; each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import ApplicationError, Conflict, NotFound


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    default_message = _("We could not find this queue ticket. Reload the queue and try again.")


class TicketNotCalled(Conflict):
    code = "ticket_not_called"
    default_message = _("This ticket has not been called or is already finished. Reload the queue.")


class ShopClosed(ApplicationError):
    code = "shop_closed"
    http_status = 422
    default_message = _("The shop is closed now. Check the opening hours or book a visit.")


class QueueFull(ApplicationError):
    code = "queue_full"
    http_status = 422
    default_message = _("The queue is full for today. Book a visit on another day.")


class SlotUnavailable(ApplicationError):
    code = "slot_unavailable"
    http_status = 422
    default_message = _(
        "This time is not a bookable slot of this shop. Choose one of the times shown."
    )


class SlotInPast(ApplicationError):
    code = "slot_in_past"
    http_status = 422
    default_message = _("This time has already passed. Choose a later time.")


class SlotFull(ApplicationError):
    code = "slot_full"
    http_status = 409
    default_message = _("This time has just been fully booked. Choose another time.")


class BookingTooFarAhead(ApplicationError):
    code = "booking_too_far_ahead"
    http_status = 422
    default_message = _("Visits can be booked up to 28 days ahead. Choose an earlier day.")


class InvalidContactNumber(ApplicationError):
    code = "invalid_contact_number"
    http_status = 422
    default_message = _(
        "Enter a Belgian mobile number, for example 0470 12 34 56, to receive the confirmation."
    )


class BookingNotFound(NotFound):
    code = "booking_not_found"
    default_message = _("We could not find a booking with this reference. Check it and try again.")


class BookingAlreadyCancelled(Conflict):
    code = "booking_already_cancelled"
    default_message = _("This booking was already cancelled. Book a new visit if you need one.")


class TooManyBookings(ApplicationError):
    code = "too_many_bookings"
    http_status = 422
    default_message = _(
        "This number already has three visits booked. Cancel one with its reference first."
    )


class InvalidOpeningHours(ApplicationError):
    code = "invalid_opening_hours"
    http_status = 422
    default_message = _(
        "Each opening period needs a weekday and a closing time after its opening time."
    )
