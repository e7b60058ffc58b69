"""Identity document numbers: format and check digits per document type, and ICAO 9303 MRZ reading.

Check digits catch typing errors; they prove no identity. The agent still looks at the original.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from mrz.base.functions import hash_string
from mrz.checker.td1 import TD1CodeChecker
from mrz.checker.td3 import TD3CodeChecker
from stdnum.be import eid, nn
from stdnum.exceptions import ValidationError as StdnumValidationError

from topup.core.errors import JsonValue
from topup.subscribers.errors import DocumentExpired, InvalidDocumentNumber
from topup.subscribers.models import DocumentType

_MAX_INPUT = 200
_SEPARATORS = re.compile(r"[\s.\-/]")
_PLAIN_NUMBER = re.compile(r"^[A-Z0-9]{1,9}$")
_TEMPORARY_NUMBER = re.compile(r"^[A-Z0-9]{1,20}$")
_FOREIGNER_CARD = re.compile(r"^[A-Z]{0,2}(\d{12})$")
_COUNTRY = re.compile(r"^[A-Z]{1,3}$")
_TD1 = (3, 30)
_TD3 = (2, 44)
BELGIUM = "BEL"


@dataclass(frozen=True)
class ValidatedDocument:
    """A document number in canonical form, with what its type or MRZ tells about it."""

    document_type: DocumentType
    number: str
    issuing_country: str  # ICAO 9303 code as in the MRZ: BEL, NLD, D (Germany)…
    expires_on: dt.date | None
    national_register_number: str | None = None


def _refuse(reason: str) -> InvalidDocumentNumber:
    details: dict[str, JsonValue] = {"reason": reason}
    return InvalidDocumentNumber(details=details)


def _compact(text: str) -> str:
    if len(text) > _MAX_INPUT:
        raise _refuse("too_long")
    return _SEPARATORS.sub("", text).upper()


def _country(text: str) -> str:
    country = text.strip().upper().strip("<")
    if not _COUNTRY.match(country):
        raise _refuse("issuing_country")
    return country


def belgian_card_number_validate(text: str) -> str:
    """Belgian eID (and eID-series foreigner's card) number: 12 digits, mod 97."""
    try:
        return str(eid.validate(text))
    except StdnumValidationError as error:
        raise _refuse("check_digits") from error


def foreigner_card_number_validate(text: str) -> str:
    """A foreigner's card number: an optional letter prefix (e.g. "B"), then 12 digits, mod 97."""
    match = _FOREIGNER_CARD.match(_compact(text))
    if match is None:
        raise _refuse("format")
    return belgian_card_number_validate(match.group(1))


def national_register_number_validate(text: str) -> str:
    """The Belgian national register number: 11 digits, the last two a mod-97 check."""
    try:
        return str(nn.validate(text))
    except StdnumValidationError as error:
        raise _refuse("national_register_number") from error


def _mrz_lines(text: str) -> list[str]:
    return [line.strip().upper() for line in text.strip().splitlines() if line.strip()]


def looks_like_mrz(text: str) -> bool:
    lines = _mrz_lines(text)
    return len(lines) in (2, 3) and all("<" in line for line in lines)


def _mrz_expiry(yymmdd: str) -> dt.date:
    """MRZ expiry dates have two-digit years; an expiry is never before 2000."""
    try:
        return dt.date(2000 + int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError as error:
        raise _refuse("mrz_expiry") from error


def _td1_document_number(first_line: str) -> tuple[str, bool]:
    """TD1 number, and whether it is a long one (ICAO 9303-5 §4.2.2: `<` then optional data)."""
    short_number = first_line[5:14]
    if first_line[14] != "<":
        return short_number.replace("<", ""), False
    rest = first_line[15:30].split("<", 1)[0]
    if len(rest) < 2:
        raise _refuse("mrz_document_number")
    number, check_digit = short_number + rest[:-1], rest[-1]
    if hash_string(number) != check_digit:
        raise _refuse("mrz_check_digits")
    return number, True


def _td1_read(lines: list[str]) -> tuple[str, str, str]:
    """(document number, issuing country, expiry YYMMDD) of a TD1 MRZ whose check digits hold."""
    code = "\n".join(lines)
    try:
        checker = TD1CodeChecker(code)
    except ValueError as error:
        raise _refuse("mrz_format") from error
    number, long_number = _td1_document_number(lines[0])
    # A long number leaves `<` where the library expects the number's check digit.
    ignorable = {"document number hash"} if long_number else set()
    failed = {str(description) for description, ok in checker.report.fields if not ok}
    if failed - ignorable:
        raise _refuse("mrz_check_digits")
    return number, lines[0][2:5], lines[1][8:14]


def _td3_read(lines: list[str]) -> tuple[str, str, str]:
    """(document number, issuing country, expiry YYMMDD) of a TD3 MRZ whose check digits hold."""
    try:
        checker = TD3CodeChecker("\n".join(lines))
    except ValueError as error:
        raise _refuse("mrz_format") from error
    if not bool(checker):
        raise _refuse("mrz_check_digits")
    return lines[1][0:9].replace("<", ""), lines[0][2:5], lines[1][21:27]


def mrz_read(*, text: str, document_type: DocumentType) -> ValidatedDocument:
    """Read a TD1 (identity card) or TD3 (passport) MRZ, verifying every 7-3-1 check digit."""
    if len(text) > _MAX_INPUT:
        raise _refuse("too_long")
    lines = _mrz_lines(text)
    shape = (len(lines), len(lines[0]) if lines else 0)
    if any(len(line) != shape[1] for line in lines):
        raise _refuse("mrz_format")
    expected = _TD3 if document_type == DocumentType.PASSPORT else _TD1
    if shape != expected:
        raise _refuse("mrz_format")
    reader = _td3_read if shape == _TD3 else _td1_read
    number, country, expiry = reader(lines)
    if not number:
        raise _refuse("mrz_document_number")
    return ValidatedDocument(
        document_type=document_type,
        number=number,
        issuing_country=_country(country),
        expires_on=_mrz_expiry(expiry),
    )


def _plain_validate(
    *, document_type: DocumentType, number: str, issuing_country: str
) -> ValidatedDocument:
    compact = _compact(number)
    if document_type == DocumentType.BE_EID:
        return ValidatedDocument(
            document_type, belgian_card_number_validate(compact), BELGIUM, None
        )
    if document_type == DocumentType.BE_FOREIGNER_CARD:
        return ValidatedDocument(
            document_type, foreigner_card_number_validate(compact), BELGIUM, None
        )
    pattern = (
        _TEMPORARY_NUMBER if document_type == DocumentType.TEMPORARY_DOCUMENT else _PLAIN_NUMBER
    )
    if not pattern.match(compact):
        raise _refuse("format")
    return ValidatedDocument(document_type, compact, _country(issuing_country), None)


def _expiry_checked(
    *, stated: dt.date | None, read: dt.date | None, today: dt.date
) -> dt.date | None:
    if stated is not None and read is not None and stated != read:
        raise _refuse("expiry_mismatch")
    expires_on = read or stated
    if expires_on is not None and expires_on < today:
        raise DocumentExpired(details={"expired_on": expires_on.isoformat()})
    return expires_on


def document_validate(
    *,
    document_type: DocumentType | str,
    number: str,
    issuing_country: str,
    expires_on: dt.date | None,
    today: dt.date,
    national_register_number: str | None = None,
) -> ValidatedDocument:
    """Validate a document as typed or scanned; passports and ID cards may be given as MRZ lines."""
    try:
        kind = DocumentType(document_type)
    except ValueError as error:
        raise _refuse("document_type") from error
    mrz_types = (DocumentType.PASSPORT, DocumentType.EU_ID_CARD)
    if kind in mrz_types and looks_like_mrz(number):
        document = mrz_read(text=number, document_type=kind)
    else:
        document = _plain_validate(
            document_type=kind, number=number, issuing_country=issuing_country
        )
    return ValidatedDocument(
        document_type=kind,
        number=document.number,
        issuing_country=document.issuing_country,
        expires_on=_expiry_checked(stated=expires_on, read=document.expires_on, today=today),
        national_register_number=(
            national_register_number_validate(national_register_number)
            if national_register_number
            else None
        ),
    )
