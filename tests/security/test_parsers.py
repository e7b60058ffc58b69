"""Every parser of typed input, fed anything: it answers with its own refusal or a canonical value.

The happy paths and single-digit typos are in tests/subscribers/test_numbers.py and
test_documents.py; here the input is hostile or random. Three properties per parser:
- it never raises anything but its own refusal (no IndexError, no ValueError from a library);
- what it accepts is canonical (parsing its own output gives the same value);
- it never misreads: a typed form of one value is read as that value or refused, never as another.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Final

import pytest
from babel.numbers import format_decimal
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mrz.generator.td1 import TD1CodeGenerator
from mrz.generator.td3 import TD3CodeGenerator
from stdnum import luhn

from tests.subscribers.factories import eid_card_number
from topup.core.money import (
    MAX_AMOUNT_CENTS,
    AmountParseError,
    format_amount,
    format_amount_for_locale,
    parse_amount_cents,
)
from topup.subscribers.documents import (
    document_validate,
    national_register_number_validate,
)
from topup.subscribers.errors import DocumentExpired, InvalidDocumentNumber
from topup.subscribers.models import DocumentType
from topup.subscribers.numbers import InvalidIccid, InvalidNumber, normalize_iccid, normalize_msisdn

# Reproducible in CI: the same examples every run, and no timing-dependent failures.
reproducible = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
MANY: Final = 500

TODAY = dt.date(2026, 6, 1)
LANGUAGES: Final = ("nl", "fr", "de", "en", "zh-hans")
BABEL_LOCALES: Final = {
    "nl": "nl_BE",
    "fr": "fr_BE",
    "de": "de_BE",
    "en": "en_IE",
    "zh-hans": "zh_Hans_CN",
}
E164_BE_MOBILE = re.compile(r"\+324[5-9]\d{7}")

# Text that looks like what people paste: digits and separators, letters, SQL and markup,
# control characters and other scripts' digits.
hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789 +-./()", max_size=40),
    st.sampled_from(
        [
            "' OR '1'='1",
            "0470 12 34 56'; DROP TABLE subscribers_sim;--",
            "<script>alert(1)</script>",
            "../../../../etc/passwd",
            "%00",
            "\x00\x00",
            "".join(chr(0xFF10 + int(d)) for d in "0470123456"),  # full-width digits
            "".join(chr(0x0660 + int(d)) for d in "0470123456"),  # Arabic-Indic digits
            "1e3",
            "NaN",
            "Infinity",
            "-0",
            "9" * 500,
        ]
    ),
)


# --- MSISDN ------------------------------------------------------------------------------------


@reproducible
@given(hostile_text)
def test_any_text_is_refused_or_read_as_a_canonical_belgian_mobile(text: str) -> None:
    try:
        msisdn = normalize_msisdn(text)
    except InvalidNumber:
        return
    assert E164_BE_MOBILE.fullmatch(msisdn), (text, msisdn)
    assert normalize_msisdn(msisdn) == msisdn


@reproducible
@given(st.integers(5, 9), st.integers(0, 9_999_999), st.sampled_from(list("';<>\"`%&=")))
def test_a_number_with_a_quote_or_markup_in_it_is_refused(
    prefix: int, rest: int, character: str
) -> None:
    digits = f"04{prefix}{rest:07d}"
    for position in (0, 4, len(digits)):
        with pytest.raises(InvalidNumber):
            normalize_msisdn(digits[:position] + character + digits[position:])


# --- ICCID -------------------------------------------------------------------------------------


@reproducible
@given(hostile_text)
def test_any_text_is_refused_or_read_as_an_iccid_with_a_valid_luhn_digit(text: str) -> None:
    try:
        iccid = normalize_iccid(text)
    except InvalidIccid:
        return
    assert re.fullmatch(r"89\d{17,18}", iccid), (text, iccid)
    assert luhn.is_valid(iccid)
    assert normalize_iccid(iccid) == iccid


iccid_bodies = st.builds(
    lambda length, rest: "89" + f"{rest:0{length}d}"[:length],
    st.sampled_from([16, 17]),
    st.integers(min_value=0, max_value=10**17 - 1),
)


@reproducible
@given(iccid_bodies, st.data())
def test_an_iccid_with_two_neighbouring_digits_swapped_is_refused(
    body: str, data: st.DataObject
) -> None:
    iccid = body + luhn.calc_check_digit(body)
    position = data.draw(st.integers(min_value=2, max_value=len(iccid) - 2))
    first, second = iccid[position], iccid[position + 1]
    # Luhn's one blind spot: it cannot tell 09 from 90.
    assume(first != second and {first, second} != {"0", "9"})
    swapped = iccid[:position] + second + first + iccid[position + 2 :]
    with pytest.raises(InvalidIccid):
        normalize_iccid(swapped)


# --- Amounts -----------------------------------------------------------------------------------

amounts_cents = st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS)


@reproducible
@given(hostile_text)
def test_any_text_is_refused_or_read_as_whole_cents_within_the_bound(text: str) -> None:
    try:
        cents = parse_amount_cents(text)
    except AmountParseError:
        return
    assert isinstance(cents, int)
    assert 0 <= cents <= MAX_AMOUNT_CENTS
    assert parse_amount_cents(format_amount(cents)) == cents


@reproducible
@given(amounts_cents, st.sampled_from(LANGUAGES))
def test_an_amount_typed_in_any_language_is_read_exactly(cents: int, language: str) -> None:
    """As typed in each language: `12,50` in nl/fr/de, `12.50` in en/zh, whole euros as `12`."""
    typed = format_decimal(Decimal(cents).scaleb(-2), format="0.00", locale=BABEL_LOCALES[language])
    assert parse_amount_cents(typed) == cents
    if cents % 100 == 0:
        assert parse_amount_cents(str(cents // 100)) == cents


@reproducible
@given(amounts_cents, st.sampled_from(LANGUAGES))
def test_an_amount_as_displayed_in_any_language_is_never_misread(cents: int, language: str) -> None:
    """`€ 1.234,56`, `1 234,56 €`, `€1,234.56`: read as that amount or refused, never as another."""
    for shown in (
        format_amount_for_locale(cents, language),
        format_decimal(Decimal(cents).scaleb(-2), locale=BABEL_LOCALES[language]),
    ):
        try:
            read = parse_amount_cents(shown)
        except AmountParseError:
            continue
        assert read == cents, (shown, read)


@pytest.mark.parametrize(
    "text",
    ["-5", "+5", "5.001", "5,001", "1e3", "NaN", "inf", "5.", ".5", "5 .5", "1.234", "1,234"],
)
def test_signs_exponents_extra_decimals_and_ambiguous_thousands_are_refused(text: str) -> None:
    """`1.234` is a thousand in nl and one euro twenty-three in en: refused, not guessed."""
    with pytest.raises(AmountParseError):
        parse_amount_cents(text)


# --- Identity documents --------------------------------------------------------------------------

mrz_alphabet = st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<<<<<<< é\x00"))


def mrz_shaped(lines: int, width: int) -> st.SearchStrategy[str]:
    return st.lists(
        st.text(alphabet=mrz_alphabet, min_size=width, max_size=width),
        min_size=lines,
        max_size=lines,
    ).map("\n".join)


document_texts = st.one_of(hostile_text, mrz_shaped(3, 30), mrz_shaped(2, 44), mrz_shaped(2, 30))


@settings(reproducible, max_examples=MANY)
@given(
    st.sampled_from([*DocumentType, "driving_licence"]),
    document_texts,
    st.text(max_size=5),
    st.none() | hostile_text,
)
def test_any_document_text_is_refused_with_a_document_error_or_read(
    document_type: str, number: str, country: str, national_register_number: str | None
) -> None:
    try:
        document = document_validate(
            document_type=document_type,
            number=number,
            issuing_country=country,
            expires_on=None,
            today=TODAY,
            national_register_number=national_register_number,
        )
    except (InvalidDocumentNumber, DocumentExpired):
        return
    assert document.number
    assert document.number == document.number.upper()
    assert re.fullmatch(r"[A-Z0-9]+", document.number), document.number


def national_register_number(birth: dt.date, counter: int) -> str:
    base = int(f"{birth:%y%m%d}{counter:03d}")
    checked = base + 2_000_000_000 if birth.year >= 2000 else base
    return f"{base:09d}{97 - checked % 97:02d}"


births = st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2020, 12, 31))
separators = st.sampled_from(["", " ", ".", "-", " - "])


@reproducible
@given(births, st.integers(1, 997), separators, separators)
def test_a_national_register_number_is_read_with_any_separators(
    birth: dt.date, counter: int, first: str, second: str
) -> None:
    nn = national_register_number(birth, counter)
    typed = f"{nn[:2]}{first}{nn[2:4]}{first}{nn[4:6]}{second}{nn[6:9]}{first}{nn[9:]}"
    assert national_register_number_validate(typed) == nn


@reproducible
@given(births, st.integers(1, 997), st.integers(0, 7))
def test_a_national_register_number_with_neighbouring_digits_swapped_is_refused(
    birth: dt.date, counter: int, position: int
) -> None:
    nn = national_register_number(birth, counter)
    assume(nn[position] != nn[position + 1])
    swapped = nn[:position] + nn[position + 1] + nn[position] + nn[position + 2 :]
    with pytest.raises(InvalidDocumentNumber):
        national_register_number_validate(swapped)


@reproducible
@given(st.integers(min_value=0, max_value=9_999_999_999), st.integers(0, 8))
def test_an_eid_card_number_with_neighbouring_digits_swapped_is_refused(
    base: int, position: int
) -> None:
    number = eid_card_number(base)
    assume(number[position] != number[position + 1])
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(InvalidDocumentNumber):
        document_validate(
            document_type=DocumentType.BE_EID,
            number=swapped,
            issuing_country="BEL",
            expires_on=None,
            today=TODAY,
        )


document_numbers = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=6, max_size=9)
expiries = st.dates(min_value=dt.date(2026, 6, 1), max_value=dt.date(2060, 12, 31))


@reproducible
@given(document_numbers, expiries, st.booleans(), st.sampled_from(["\n", "\r\n", "\n\n"]))
def test_an_mrz_is_read_however_it_was_pasted(
    number: str, expiry: dt.date, passport: bool, line_break: str
) -> None:
    """Lower case, blank lines, Windows line ends, surrounding spaces: the same document."""
    if passport:
        code = str(
            TD3CodeGenerator(
                "P", "NLD", "De Vries", "Anna", number, "NLD", "900101", "F", f"{expiry:%y%m%d}"
            )
        )
        document_type = DocumentType.PASSPORT
    else:
        code = str(
            TD1CodeGenerator(
                "ID", "FRA", number, "900101", "F", f"{expiry:%y%m%d}", "FRA", "Muller", "Anna"
            )
        )
        document_type = DocumentType.EU_ID_CARD
    pasted = "  " + line_break.join(line.lower() for line in code.splitlines()) + " \n"
    document = document_validate(
        document_type=document_type, number=pasted, issuing_country="", expires_on=None, today=TODAY
    )
    assert (document.number, document.expires_on) == (number, expiry)
