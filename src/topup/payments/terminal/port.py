"""The card-terminal port: plain dataclasses in and out, never an ORM object, never a stored PAN.

A real terminal reads the card itself and the platform never sees its number. The simulator
takes the number the agent types (there is no card reader in development) and answers as a
terminal would: with a token, a masked number and a fingerprint, and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

TERMINAL_PROVIDER = "terminal"  # the ledger clearing account a terminal's sales are owed on


class TerminalOutcome(enum.StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"  # the issuer said no: another card or cash
    ERROR = "error"  # the terminal or its network failed: nothing charged, try again


@dataclass(frozen=True)
class TerminalChargeRequest:
    reference: str  # the shop's idempotency key for this sale: the same reference charges once
    amount_cents: int
    currency: str
    card_number: str = ""  # only the simulator needs it; never stored, never logged

    def __repr__(self) -> str:  # keep the card number out of tracebacks and logs
        return (
            f"TerminalChargeRequest(reference={self.reference!r}, "
            f"amount_cents={self.amount_cents}, currency={self.currency!r})"
        )


@dataclass(frozen=True)
class TerminalCharge:
    outcome: TerminalOutcome
    token: str = ""  # the terminal's reference for this charge: refund with it
    instrument_masked: str = ""  # "•••• 4242"
    instrument_fingerprint: str = ""  # the same card gives the same fingerprint
    failure_code: str = ""  # card_declined, insufficient_funds, processing_error


class CardTerminal(Protocol):
    def charge(self, request: TerminalChargeRequest) -> TerminalCharge: ...

    def refund(self, *, token: str, amount_cents: int) -> None: ...
