"""Errors a subscriber, a shop agent or customer service can cause; each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import AuthenticationRequired, Conflict, NotFound, ValidationFailed


class InvalidMsisdn(ValidationFailed):
    code = "invalid_msisdn"
    default_message = _(
        "This is not a Belgian mobile number. Type it as 0470 12 34 56 or +32 470 12 34 56."
    )


class InvalidIccid(ValidationFailed):
    code = "invalid_iccid"
    default_message = _(
        "This SIM card number (ICCID) is not valid. Copy the 19 or 20 digits printed on the card."
    )


class InvalidDocumentNumber(ValidationFailed):
    code = "invalid_document_number"
    default_message = _(
        "This document number is not valid. Check it against the original document and type it "
        "again."
    )


class DocumentExpired(ValidationFailed):
    code = "document_expired"
    default_message = _(
        "This identity document has expired. Identify with a document that is still valid."
    )


class SubscriberNotFound(NotFound):
    code = "subscriber_not_found"
    default_message = _(
        "This number is not a line of this operator. Check the number, or top up with the "
        "number's own operator."
    )


class SimAlreadyExists(Conflict):
    code = "sim_already_exists"
    default_message = _("A line with this number or SIM card already exists.")


class SubscriberNotIdentified(Conflict):
    code = "subscriber_not_identified"
    default_message = _(
        "This line is not identified yet. Identify it online with your eID or in a shop with your "
        "original identity document, then top up."
    )


class SubscriberSuspended(Conflict):
    code = "subscriber_suspended"
    default_message = _(
        "This line is suspended and cannot be topped up. Contact customer service to reactivate it."
    )


class SubscriberTerminated(SubscriberSuspended):
    code = "subscriber_terminated"
    default_message = _(
        "This line has been terminated and cannot be topped up. Check the number you typed."
    )


class LineHeldForReverification(Conflict):
    code = "line_held_for_reverification"
    default_message = _(
        "Top-ups and changes on this line are on hold because the registered information no "
        "longer matches the SIM or device in use. Verify your identity again online or in a shop, "
        "or contact customer service."
    )


class SimStatusChangeNotAllowed(Conflict):
    code = "sim_status_change_not_allowed"
    default_message = _("This line cannot be moved to that status from its current status.")


class InvalidAccessToken(AuthenticationRequired):
    """Unknown, expired or revoked bearer token: the same answer for each, to reveal nothing."""
