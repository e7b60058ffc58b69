"""Belgian mobile numbers (E.164), ICCIDs, structured payment references: parsing, check digits."""

from __future__ import annotations

import re

import phonenumbers
from stdnum import luhn
from stdnum.be import ogm_vcs
from stdnum.exceptions import ValidationError as StdnumValidationError

_BE_MOBILE_E164 = re.compile(r"^\+324[5-9]\d{7}$")
# What people type around the digits; letters are refused (no vanity numbers on a top-up form).
_MSISDN_CHARACTERS = re.compile(r"^[\d\s+()./-]+$")
_MAX_INPUT = 32


class InvalidNumber(ValueError):
    """Not a Belgian mobile number."""


class InvalidIccid(ValueError):
    """Not an ICCID with a valid Luhn check digit."""


class InvalidStructuredReference(ValueError):
    """Not a Belgian structured payment reference (OGM/VCS) with a valid mod-97 check."""


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


# What a structured reference is written with around its 12 digits: `+++` or `***` frames,
# slashes, and the spaces, dots and dashes people add. ASCII digits only.
_STRUCTURED_REFERENCE_CHARACTERS = re.compile(r"^[0-9\s+*/.-]+$")
_STRUCTURED_REFERENCE_MAX_INPUT = 40
# Shaped like one: framed (`+++…+++`, `***…***`) or grouped 3/4/5 with slashes.
_STRUCTURED_REFERENCE_SHAPE = re.compile(
    r"^\s*(?:[+*]{3}\s*[0-9 ./-]+\s*[+*]{3}|[0-9]{3}\s*/\s*[0-9]{4}\s*/\s*[0-9]{5})\s*$"
)


def normalize_structured_reference(text: str) -> str:
    """`+++090/9337/55493+++`, `***090/9337/55493***`, `090 9337 55493` → `090933755493`.

    Twelve digits: ten, then their remainder modulo 97 (97 for a remainder of 0), as
    `stdnum.be.ogm_vcs` checks. A typing error in one digit or two swapped digits is refused.
    """
    if len(text) > _STRUCTURED_REFERENCE_MAX_INPUT or not _STRUCTURED_REFERENCE_CHARACTERS.match(
        text
    ):
        raise InvalidStructuredReference(text)
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) != 12:
        raise InvalidStructuredReference(text)
    try:
        return str(ogm_vcs.validate(digits))
    except StdnumValidationError as error:
        raise InvalidStructuredReference(text) from error


def format_structured_reference(digits: str) -> str:
    """`090933755493` → `+++090/9337/55493+++` (as printed on a Belgian transfer form)."""
    return f"+++{ogm_vcs.format(digits)}+++"


def looks_like_structured_reference(text: str) -> bool:
    """Framed by `+++`/`***` or grouped 3/4/5 with slashes: meant as one, whether valid or not."""
    return len(text) <= _STRUCTURED_REFERENCE_MAX_INPUT and bool(
        _STRUCTURED_REFERENCE_SHAPE.match(text)
    )
