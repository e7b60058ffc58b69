"""Why a top-up failed, in plain words for the customer: one text per reason, every channel."""

from __future__ import annotations

from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FAILURE_REASON_MESSAGES: Final[dict[str, Promise]] = {
    "insufficient_funds": _(
        "Your bank refused the payment because there is not enough money on the account or card."
    ),
    "card_declined": _(
        "Your card was declined by the bank. Try another card or another payment method."
    ),
    "provider_unreachable": _(
        "We could not reach the payment provider. Try again in a few minutes, or choose another "
        "payment method."
    ),
    "canceled_by_customer": _("The payment was cancelled on the payment page."),
    "expired": _("The payment was not completed in time, so this top-up expired."),
}
FAILURE_UNKNOWN_MESSAGE: Final = _("The payment did not go through.")


def failure_reason_message(reason: str) -> Promise:
    return FAILURE_REASON_MESSAGES.get(reason, FAILURE_UNKNOWN_MESSAGE)
