"""Belgian mobile numbers (E.164) and ICCIDs: parsing, normalising and check digits."""

from __future__ import annotations

import re

import phonenumbers
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumValidationError

_BE_MOBILE_E164 = re.compile(r"^\+324[5-9]\d{7}$")
# What people type around the digits; letters are refused (no vanity numbers on a top-up form).
_MSISDN_CHARACTERS = re.compile(r"^[\d\s+()./-]+$")
_MAX_INPUT = 32


class InvalidNumber(ValueError):
    """Not a Belgian mobile number."""


class InvalidIccid(ValueError):
    """Not an ICCID with a valid Luhn check digit."""


def normalize_msisdn(text: str) -> str:
    """`0470 12 34 56`, `+32 470…`, `0032…` → `+32470123456`; refuse anything else."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > _MAX_INPUT or not _MSISDN_CHARACTERS.match(cleaned):
        raise InvalidNumber(text)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        parsed = phonenumbers.parse(cleaned, "BE")
    except phonenumbers.NumberParseException as error:
        raise InvalidNumber(text) from error
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not _BE_MOBILE_E164.match(e164) or not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(text)
    return e164


def format_msisdn_national(e164: str) -> str:
    """`+32470123456` → `0470 12 34 56` (how Belgians write it)."""
    digits = "0" + e164.removeprefix("+32")
    return f"{digits[:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"


def format_msisdn_masked(e164: str) -> str:
    """`+32470123456` → `0470 •• •• 56`: enough to recognise one's own number, not to read it."""
    national = format_msisdn_national(e164)
    return f"{national[:4]} •• •• {national[-2:]}"


def normalize_iccid(text: str) -> str:
    """An ICCID is 19 or 20 digits starting with 89 (telecom), with a Luhn check digit."""
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"89\d{17,18}", digits):
        raise InvalidIccid(text)
    try:
        luhn.validate(digits)
    except StdnumValidationError as error:
        raise InvalidIccid(text) from error
    return digits
