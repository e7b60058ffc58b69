"""Card numbers in the simulator: validation, the test cards' outcomes, and what may be kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from django.utils.crypto import salted_hmac
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumValidationError

from topup.payments.gateway import FailureCode, PaymentStatus

_SEPARATORS_RE: Final = re.compile(r"[\s-]")
_CARD_DIGITS_RE: Final = re.compile(r"\d{12,19}")
_FINGERPRINT_SALT: Final = "topup.payments.simulator.card_fingerprint"


@dataclass(frozen=True)
class CardOutcome:
    status: PaymentStatus
    failure_code: str = ""


CAPTURED: Final = CardOutcome(PaymentStatus.CAPTURED)
TEST_CARD_OUTCOMES: Final[dict[str, CardOutcome]] = {
    "4242424242424242": CAPTURED,
    "4000000000000002": CardOutcome(PaymentStatus.FAILED, FailureCode.CARD_DECLINED.value),
    "4000000000009995": CardOutcome(PaymentStatus.FAILED, FailureCode.INSUFFICIENT_FUNDS.value),
    # Processing error: the payment stays pending and a worker task captures it later.
    "4000000000000119": CardOutcome(PaymentStatus.PENDING),
}


def card_number_normalise(text: str) -> str | None:
    """The digits of a plausible card number (12-19 digits, Luhn-valid), or None."""
    digits = _SEPARATORS_RE.sub("", text)
    if not _CARD_DIGITS_RE.fullmatch(digits):
        return None
    try:
        luhn.validate(digits)
    except StdnumValidationError:
        return None
    return digits


def card_outcome(card_number: str) -> CardOutcome:
    """The simulated issuer's answer: a test card's outcome; any other valid card succeeds."""
    return TEST_CARD_OUTCOMES.get(card_number, CAPTURED)


def card_fingerprint(card_number: str) -> str:
    """A keyed hash that recognises the same card again without keeping its number."""
    return salted_hmac(_FINGERPRINT_SALT, card_number, algorithm="sha256").hexdigest()


def card_masked(last4: str) -> str:
    return f"•••• {last4}" if last4 else ""
