"""Document numbers: check digits catch every single-digit typing error, MRZs are read fully."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mrz.generator.td1 import TD1CodeGenerator
from mrz.generator.td3 import TD3CodeGenerator

from topup.subscribers.documents import document_validate
from topup.subscribers.errors import DocumentExpired, InvalidDocumentNumber
from topup.subscribers.models import DocumentType

from .factories import eid_card_number

TODAY = dt.date(2026, 6, 1)
eid_bases = st.integers(min_value=0, max_value=9_999_999_999)


def validate(
    document_type: str,
    number: str,
    *,
    country: str = "",
    expires_on: dt.date | None = None,
    national_register_number: str | None = None,
) -> object:
    return document_validate(
        document_type=document_type,
        number=number,
        issuing_country=country,
        expires_on=expires_on,
        today=TODAY,
        national_register_number=national_register_number,
    )


def one_digit_changed(number: str, position: int, offset: int) -> str:
    """The same number with the digit at `position` replaced by another digit."""
    digit = (int(number[position]) + offset) % 10
    return number[:position] + str(digit) + number[position + 1 :]


@given(eid_bases)
def test_an_eid_card_number_with_its_mod_97_check_is_accepted(base: int) -> None:
    number = eid_card_number(base)
    document = document_validate(
        document_type=DocumentType.BE_EID,
        number=f"{number[:3]}-{number[3:10]}-{number[10:]}",
        issuing_country="",
        expires_on=None,
        today=TODAY,
    )
    assert document.number == number
    assert document.issuing_country == "BEL"


@given(eid_bases, st.integers(0, 11), st.integers(1, 9))
def test_an_eid_card_number_with_one_digit_changed_is_refused(
    base: int, position: int, offset: int
) -> None:
    number = one_digit_changed(eid_card_number(base), position, offset)
    with pytest.raises(InvalidDocumentNumber):
        validate(DocumentType.BE_EID, number)


@given(eid_bases, st.sampled_from(["", "B", "b ", "F"]))
def test_a_foreigners_card_number_may_carry_its_letter(base: int, prefix: str) -> None:
    number = eid_card_number(base)
    document = document_validate(
        document_type=DocumentType.BE_FOREIGNER_CARD,
        number=prefix + number,
        issuing_country="BE",
        expires_on=None,
        today=TODAY,
    )
    assert document.number == number


@given(eid_bases, st.integers(0, 11), st.integers(1, 9))
def test_a_foreigners_card_number_with_one_digit_changed_is_refused(
    base: int, position: int, offset: int
) -> None:
    number = one_digit_changed(eid_card_number(base), position, offset)
    with pytest.raises(InvalidDocumentNumber):
        validate(DocumentType.BE_FOREIGNER_CARD, "B" + number)


def national_register_number(birth: dt.date, counter: int) -> str:
    base = int(f"{birth:%y%m%d}{counter:03d}")
    checked = base + 2_000_000_000 if birth.year >= 2000 else base
    return f"{base:09d}{97 - checked % 97:02d}"


births = st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2020, 12, 31))


@given(births, st.integers(1, 997))
def test_the_national_register_number_is_checked_when_given(birth: dt.date, counter: int) -> None:
    nn = national_register_number(birth, counter)
    document = document_validate(
        document_type=DocumentType.BE_EID,
        number=eid_card_number(5_911_917_064),
        issuing_country="BE",
        expires_on=None,
        today=TODAY,
        national_register_number=f"{nn[:2]}.{nn[2:4]}.{nn[4:6]}-{nn[6:9]}.{nn[9:]}",
    )
    assert document.national_register_number == nn


@given(births, st.integers(1, 997), st.integers(6, 10), st.integers(1, 9))
def test_a_national_register_number_with_one_digit_changed_is_refused(
    birth: dt.date, counter: int, position: int, offset: int
) -> None:
    nn = one_digit_changed(national_register_number(birth, counter), position, offset)
    with pytest.raises(InvalidDocumentNumber):
        validate(DocumentType.BE_EID, eid_card_number(1), national_register_number=nn)


document_numbers = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=6, max_size=9)
expiries = st.dates(
    min_value=dt.date(2026, 6, 1), max_value=dt.date(2060, 12, 31)
)  # later two-digit years read as 19xx


def td3(number: str, expiry: dt.date, country: str = "NLD") -> str:
    return str(
        TD3CodeGenerator(
            "P", country, "De Vries", "Anna", number, country, "900101", "F", f"{expiry:%y%m%d}"
        )
    )


def td1(number: str, expiry: dt.date, country: str = "FRA") -> str:
    return str(
        TD1CodeGenerator(
            "ID", country, number, "900101", "F", f"{expiry:%y%m%d}", country, "Muller", "Anna"
        )
    )


@given(document_numbers, expiries)
def test_a_passport_mrz_gives_number_country_and_expiry(number: str, expiry: dt.date) -> None:
    document = document_validate(
        document_type=DocumentType.PASSPORT,
        number=td3(number, expiry),
        issuing_country="",
        expires_on=None,
        today=TODAY,
    )
    assert (document.number, document.issuing_country, document.expires_on) == (
        number,
        "NLD",
        expiry,
    )


@given(document_numbers, expiries)
def test_an_id_card_mrz_gives_number_country_and_expiry(number: str, expiry: dt.date) -> None:
    document = document_validate(
        document_type=DocumentType.EU_ID_CARD,
        number=td1(number, expiry),
        issuing_country="",
        expires_on=None,
        today=TODAY,
    )
    assert (document.number, document.issuing_country, document.expires_on) == (
        number,
        "FRA",
        expiry,
    )


@given(document_numbers, expiries, st.data())
def test_a_passport_mrz_with_one_digit_changed_is_refused(
    number: str, expiry: dt.date, data: st.DataObject
) -> None:
    lines = td3(number, expiry).splitlines()
    # Every digit of the second line is covered by a 7-3-1 check digit.
    digit_positions = [i for i, c in enumerate(lines[1]) if c.isdigit()]
    position = data.draw(st.sampled_from(digit_positions))
    offset = data.draw(st.integers(1, 9))
    changed = one_digit_changed(lines[1], position, offset)
    with pytest.raises(InvalidDocumentNumber):
        validate(DocumentType.PASSPORT, f"{lines[0]}\n{changed}")


@given(document_numbers, expiries, st.data())
def test_an_id_card_mrz_with_one_digit_changed_is_refused(
    number: str, expiry: dt.date, data: st.DataObject
) -> None:
    lines = td1(number, expiry).splitlines()
    digit_positions = [(0, i) for i, c in enumerate(lines[0][5:15], 5) if c.isdigit()]
    digit_positions += [(1, i) for i, c in enumerate(lines[1][:15]) if c.isdigit()]
    line, position = data.draw(st.sampled_from(digit_positions))
    lines[line] = one_digit_changed(lines[line], position, data.draw(st.integers(1, 9)))
    with pytest.raises(InvalidDocumentNumber):
        validate(DocumentType.EU_ID_CARD, "\n".join(lines))


def test_a_long_document_number_continues_in_the_optional_data() -> None:
    """Belgian ID cards put 12 digits in a 9-character field (ICAO 9303-5, 4.2.2)."""
    number = eid_card_number(5_911_917_064)
    first = td1(number[:9], dt.date(2031, 1, 1), country="BEL").splitlines()
    # Rebuild line 1 with the long-number convention and fix the composite check digit.
    from mrz.base.functions import hash_string

    line0 = f"IDBEL{number[:9]}<{number[9:]}{hash_string(number)}".ljust(30, "<")
    line1 = first[1][:29]
    composite = line0[5:30] + line1[0:7] + line1[8:15] + line1[18:29]
    lines = [line0, line1 + hash_string(composite), first[2]]
    document = validate(DocumentType.EU_ID_CARD, "\n".join(lines))
    assert getattr(document, "number", None) == number


def test_a_passport_needs_a_passport_mrz_not_an_id_card_one() -> None:
    with pytest.raises(InvalidDocumentNumber):
        validate(DocumentType.PASSPORT, td1("AB1234567", dt.date(2031, 1, 1)))


@pytest.mark.parametrize(
    ("document_type", "number", "country"),
    [
        (DocumentType.PASSPORT, "EH123456", "NLD"),
        (DocumentType.EU_ID_CARD, "l01x00t47", "D"),
        (DocumentType.TEMPORARY_DOCUMENT, "TMP-2026-000123", "BEL"),
    ],
)
def test_plain_document_numbers_pass_a_format_check(
    document_type: str, number: str, country: str
) -> None:
    document = validate(document_type, number, country=country)
    assert getattr(document, "number", "") == number.replace("-", "").upper()


@pytest.mark.parametrize(
    ("document_type", "number", "country"),
    [
        (DocumentType.PASSPORT, "EH1234567890", "NLD"),  # longer than 9
        (DocumentType.PASSPORT, "EH12_456", "NLD"),
        (DocumentType.PASSPORT, "EH123456", ""),  # issuing country missing
        (DocumentType.PASSPORT, "EH123456", "NL1"),
        (DocumentType.TEMPORARY_DOCUMENT, "X" * 21, "BEL"),
        (DocumentType.BE_EID, "59119170645", "BEL"),  # 11 digits
        ("driving_licence", "123", "BEL"),
    ],
)
def test_malformed_document_numbers_are_refused(
    document_type: str, number: str, country: str
) -> None:
    with pytest.raises(InvalidDocumentNumber):
        validate(document_type, number, country=country)


def test_an_expired_document_is_refused_with_its_own_code() -> None:
    with pytest.raises(DocumentExpired) as raised:
        validate(DocumentType.BE_EID, eid_card_number(1), expires_on=dt.date(2026, 5, 31))
    assert raised.value.code == "document_expired"
    assert raised.value.http_status == 422


def test_an_expired_passport_is_recognised_from_its_mrz() -> None:
    with pytest.raises(DocumentExpired):
        validate(DocumentType.PASSPORT, td3("EH123456", dt.date(2026, 5, 31)))


def test_a_stated_expiry_that_contradicts_the_mrz_is_refused() -> None:
    with pytest.raises(InvalidDocumentNumber):
        validate(
            DocumentType.PASSPORT,
            td3("EH123456", dt.date(2030, 1, 1)),
            expires_on=dt.date(2031, 1, 1),
        )
