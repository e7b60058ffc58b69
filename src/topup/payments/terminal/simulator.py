"""A deterministic card terminal for development and tests, with the simulator's test cards.

4242424242424242 is approved, 4000000000000002 declined (card_declined), 4000000000009995
declined (insufficient_funds), 4000000000000119 fails with a terminal error (processing_error):
nothing is charged and the agent tries again. Any other Luhn-valid number is approved.
It keeps no state: the token is derived from the reference, so a retried charge is the same one.
"""

from __future__ import annotations

import structlog
from django.utils.crypto import salted_hmac

from topup.payments.gateway import FailureCode, PaymentStatus
from topup.payments.simulator.cards import (
    card_fingerprint,
    card_masked,
    card_number_normalise,
    card_outcome,
)
from topup.payments.terminal.port import (
    CardTerminal,
    TerminalCharge,
    TerminalChargeRequest,
    TerminalOutcome,
)

logger = structlog.get_logger(__name__)

_REFERENCE_SALT = "topup.payments.terminal.simulator.token"
TERMINAL_ERROR_CARD = "4000000000000119"


class SimulatedTerminal:
    def charge(self, request: TerminalChargeRequest) -> TerminalCharge:
        digits = card_number_normalise(request.card_number)
        if digits is None:
            return TerminalCharge(TerminalOutcome.DECLINED, failure_code="invalid_card_number")
        masked = card_masked(digits[-4:])
        if digits == TERMINAL_ERROR_CARD:
            return TerminalCharge(
                TerminalOutcome.ERROR,
                instrument_masked=masked,
                failure_code=FailureCode.PROCESSING_ERROR.value,
            )
        outcome = card_outcome(digits)
        if outcome.status != PaymentStatus.CAPTURED:
            return TerminalCharge(
                TerminalOutcome.DECLINED,
                instrument_masked=masked,
                failure_code=outcome.failure_code or FailureCode.CARD_DECLINED.value,
            )
        token = (
            "tt_" + salted_hmac(_REFERENCE_SALT, request.reference, algorithm="sha256").hexdigest()
        )
        return TerminalCharge(
            TerminalOutcome.APPROVED,
            token=token[:64],
            instrument_masked=masked,
            instrument_fingerprint=card_fingerprint(digits),
        )

    def refund(self, *, token: str, amount_cents: int) -> None:
        logger.info("terminal_refund", token=token, amount_cents=amount_cents)


def terminal_get() -> CardTerminal:
    """The terminal a shop uses; one simulator until a real terminal provider is added."""
    return SimulatedTerminal()
