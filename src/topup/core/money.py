"""Money as integer euro cents: parsing, formatting and locale display. Never floats."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from babel.numbers import format_currency

CURRENCY: Final = "EUR"
MAX_AMOUNT_CENTS: Final = 100_000_000  # € 1,000,000.00: a hard upper bound on any single amount

_AMOUNT_RE: Final = re.compile(r"^(?P<units>\d{1,9})(?:[.,](?P<fraction>\d{1,2}))?$")

_LOCALES: Final = {
    "nl": "nl_BE",
    "fr": "fr_BE",
    "de": "de_BE",
    "en": "en_IE",
    "zh-hans": "zh_Hans_CN",
}


class AmountParseError(ValueError):
    """The text is not a positive euro amount with at most two decimals."""


def parse_amount_cents(text: str) -> int:
    """Parse "5", "5.00", "5,5" or "12.34" into cents; refuse signs, separators and floats."""
    match = _AMOUNT_RE.match(text.strip())
    if match is None:
        raise AmountParseError(text)
    units = int(match.group("units"))
    fraction = (match.group("fraction") or "0").ljust(2, "0")
    cents = units * 100 + int(fraction)
    if cents > MAX_AMOUNT_CENTS:
        raise AmountParseError(text)
    return cents


def format_amount(amount_cents: int) -> str:
    """The API form of an amount: "1234.56" (sign kept for corrections)."""
    sign = "-" if amount_cents < 0 else ""
    units, cents = divmod(abs(amount_cents), 100)
    return f"{sign}{units}.{cents:02d}"


def format_amount_for_locale(amount_cents: int, language: str) -> str:
    """A display amount: `€ 1.234,56` (nl), `1 234,56 €` (fr), `1.234,56 €` (de)."""
    locale = _LOCALES.get(language.lower(), "en_IE")
    text = format_currency(Decimal(amount_cents).scaleb(-2), CURRENCY, locale=locale)
    # Babel uses narrow no-break spaces; keep them as ordinary no-break spaces for printers.
    return text.replace("\u202f", "\u00a0")
