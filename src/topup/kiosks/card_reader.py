"""The kiosk's card reader: the card stays in the reader, the platform sees only what it may keep.

A kiosk's reader is the payment terminal itself: the customer inserts the card, the terminal
answers with a token, a masked number and a fingerprint, and charges "the card in the reader"
later. The simulator stands in for that hardware: the number it is given (typed on the
simulated reader, as there is no real one in development) is held in the reader's own memory,
here the process cache, under the token, until the card is taken out or the session ends. It is
never written to the database, logs or audit, and a charge goes through the terminal port.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from django.core.cache import cache

from topup.payments.simulator.cards import card_fingerprint, card_masked, card_number_normalise
from topup.payments.terminal.port import (
    TerminalCharge,
    TerminalChargeRequest,
    TerminalOutcome,
)
from topup.payments.terminal.simulator import terminal_get

CARD_HELD_S: Final = 15 * 60  # a card left in the reader longer than this is swallowed (forgotten)
_CACHE_PREFIX: Final = "topup.kiosks.card_reader:"


@dataclass(frozen=True)
class InsertedCard:
    token: str  # "the card now in this reader": charge and eject with it
    masked: str  # "•••• 4242"
    fingerprint: str  # the same card gives the same fingerprint (limits per instrument)


def card_reader_insert(*, card_number: str) -> InsertedCard | None:
    """Read the card; None when it cannot be read (not a plausible card number)."""
    digits = card_number_normalise(card_number)
    if digits is None:
        return None
    token = "kc_" + secrets.token_urlsafe(24)
    cache.set(_CACHE_PREFIX + token, digits, timeout=CARD_HELD_S)
    return InsertedCard(
        token=token, masked=card_masked(digits[-4:]), fingerprint=card_fingerprint(digits)
    )


def card_reader_charge(*, token: str, reference: str, amount_cents: int) -> TerminalCharge:
    """Charge the card still in the reader; an ERROR outcome when it is gone."""
    digits = cache.get(_CACHE_PREFIX + token) if token else None
    if not isinstance(digits, str):
        return TerminalCharge(TerminalOutcome.ERROR, failure_code="card_not_in_reader")
    return terminal_get().charge(
        TerminalChargeRequest(
            reference=reference, amount_cents=amount_cents, currency="EUR", card_number=digits
        )
    )


def card_reader_refund(*, charge: TerminalCharge, amount_cents: int) -> None:
    terminal_get().refund(token=charge.token, amount_cents=amount_cents)


def card_reader_eject(*, token: str) -> None:
    """The card is taken out: the reader forgets it."""
    if token:
        cache.delete(_CACHE_PREFIX + token)
