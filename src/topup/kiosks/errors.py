"""Errors a kiosk or its customer can cause: each says what to do next."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from topup.core.errors import (
    ApplicationError,
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)


class KioskCredentialInvalid(AuthenticationRequired):
    code = "kiosk_credential_invalid"
    default_message = _(
        "This kiosk is not recognised. Ask the operator for a new enrolment code for it."
    )


class KioskRevoked(PermissionDenied):
    code = "kiosk_revoked"
    default_message = _("This kiosk has been taken out of the fleet. Use another kiosk.")


class KioskEnrolmentInvalid(ValidationFailed):
    code = "kiosk_enrolment_invalid"
    default_message = _(
        "This enrolment code is unknown, used or expired. Ask the operator for a new one."
    )


class KioskOutOfService(Conflict):
    code = "kiosk_out_of_service"
    http_status = 503
    default_message = _("This kiosk is out of service. Use another kiosk or top up online.")


class KioskSessionNotFound(NotFound):
    code = "kiosk_session_not_found"
    default_message = _("This kiosk session has ended. Touch the screen to start again.")


class KioskIdentityRequired(Conflict):
    code = "kiosk_identity_required"
    default_message = _("Insert your bank card or scan the QR code with your phone first.")


class KioskCardRequired(Conflict):
    code = "kiosk_card_required"
    default_message = _("Insert your bank card to pay with it, or pay with a Bancontact QR code.")


class KioskCardUnreadable(ValidationFailed):
    code = "kiosk_card_unreadable"
    default_message = _("The card could not be read. Take it out and insert it again.")


class KioskStepMissing(Conflict):
    code = "kiosk_step_missing"
    default_message = _("Choose the number and the amount first.")


class KioskCardDeclined(ApplicationError):
    code = "kiosk_card_declined"
    http_status = 402
    default_message = _(
        "The card was declined. Nothing was charged. Try another card or pay with Bancontact."
    )


class KioskTerminalError(ApplicationError):
    code = "kiosk_terminal_error"
    http_status = 503
    default_message = _("The card reader had a problem. Nothing was charged. Try again.")


class KioskHandoffInvalid(ValidationFailed):
    code = "kiosk_handoff_invalid"
    default_message = _(
        "This QR code is not valid or was already used. Ask the kiosk for a new one and scan it."
    )


class KioskHandoffExpired(ValidationFailed):
    code = "kiosk_handoff_expired"
    default_message = _(
        "This QR code has expired (it is valid for 2 minutes). Ask the kiosk for a new one."
    )


class KioskOrderNotFound(NotFound):
    code = "kiosk_order_not_found"
    default_message = _("No top-up of this kiosk session has this reference.")


class KioskFinderPlaceUnknown(ValidationFailed):
    code = "kiosk_finder_place_unknown"
    default_message = _(
        "We do not know this Belgian municipality. Check the spelling, type the name instead "
        "of a postal code, or search by coordinates."
    )


class KioskFinderQueryMissing(ValidationFailed):
    code = "kiosk_finder_query_missing"
    default_message = _("Give a municipality, or both a latitude and a longitude.")
