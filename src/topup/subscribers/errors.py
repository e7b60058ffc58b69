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


class SavedNumberIsOwn(ValidationFailed):
    code = "saved_number_is_own"
    default_message = _(
        "This is your own number: it is always offered when you top up. Save another number."
    )


class SavedNumberExists(Conflict):
    code = "saved_number_exists"
    default_message = _("You have already saved this number.")


class SavedNumbersLimit(Conflict):
    code = "saved_numbers_limit"
    default_message = _(
        "You can save up to 20 numbers. Delete a number you no longer use, then add this one."
    )


class SavedNumberNicknameInvalid(ValidationFailed):
    code = "invalid_nickname"
    default_message = _("Give the number a nickname of 1 to 40 characters, for example “Mum”.")


class SavedNumberNotFound(NotFound):
    code = "saved_number_not_found"
    default_message = _("This saved number no longer exists. Reload the page.")


class LanguageNotOffered(ValidationFailed):
    code = "language_not_offered"
    default_message = _("Choose one of the languages in the list.")


class LowBalanceAlertOutOfRange(ValidationFailed):
    code = "low_balance_alert_out_of_range"
    default_message = _("Choose an alert threshold between € 0 and € 100 (0 turns the alert off).")


class CorrectionReasonMissing(ValidationFailed):
    code = "correction_reason_missing"
    default_message = _(
        "Say why the record is corrected, for example which document the new value was checked "
        "against."
    )


class SubscriberNameInvalid(ValidationFailed):
    code = "invalid_subscriber_name"
    default_message = _(
        "Type the first and last name as on the identity document, up to 100 characters each."
    )


class CorrectionChangesNothing(ValidationFailed):
    code = "correction_changes_nothing"
    default_message = _(
        "These are already the names on record. Change a name, or leave the record as it is."
    )
