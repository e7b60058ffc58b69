"""Mobile numbers and ICCIDs: what people type is normalised once, typing errors are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from topup.subscribers.numbers import (
    InvalidIccid,
    InvalidNumber,
    format_msisdn_national,
    normalize_iccid,
    normalize_msisdn,
)

national_significant = st.builds(
    lambda prefix, rest: f"4{prefix}{rest:07d}",
    st.integers(min_value=5, max_value=9),
    st.integers(min_value=0, max_value=9_999_999),
)


def typed_forms(nsn: str) -> list[str]:
    spaced = f"{nsn[:3]} {nsn[3:5]} {nsn[5:7]} {nsn[7:]}"
    return [
        "0" + nsn,
        "0" + spaced,
        "+32" + nsn,
        "+32 " + spaced,
        "0032" + nsn,
        "00 32 " + spaced,
        f"0{nsn[:3]}/{nsn[3:5]}.{nsn[5:7]}.{nsn[7:]}",
        f"+32 (0){nsn}",
        f"  0{nsn}\t",
    ]


@given(national_significant)
def test_every_typed_form_of_a_belgian_mobile_gives_the_same_e164(nsn: str) -> None:
    normalised = {normalize_msisdn(form) for form in typed_forms(nsn)}
    assert normalised == {"+32" + nsn}


@given(national_significant)
def test_national_format_round_trips(nsn: str) -> None:
    e164 = "+32" + nsn
    assert normalize_msisdn(format_msisdn_national(e164)) == e164


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "02 123 45 67",  # Brussels landline
        "0470 12 34 5",  # one digit short
        "0470 12 34 567",  # one digit too many
        "+33 6 12 34 56 78",  # French mobile
        "+31 6 12345678",  # Dutch mobile
        "0800 12 345",  # freephone
        "0470 ABC DEF",  # letters are not a number here
        "0470123456" * 4,  # too long to be a number
        "+32 470 12 34 56; DROP TABLE",
    ],
)
def test_what_is_not_a_belgian_mobile_is_refused(text: str) -> None:
    with pytest.raises(InvalidNumber):
        normalize_msisdn(text)


@given(st.text(max_size=40))
def test_text_with_a_letter_or_too_few_digits_is_refused(text: str) -> None:
    digits = sum(c.isdigit() for c in text)
    if digits >= 9 and not any(c.isalpha() for c in text):
        return
    with pytest.raises(InvalidNumber):
        normalize_msisdn(text)


iccid_bodies = st.builds(
    lambda length, rest: "89" + f"{rest:0{length}d}"[:length],
    st.sampled_from([16, 17]),
    st.integers(min_value=0, max_value=10**17 - 1),
)


@given(iccid_bodies)
def test_an_iccid_with_its_luhn_digit_is_accepted_with_spaces_or_dashes(body: str) -> None:
    iccid = body + luhn.calc_check_digit(body)
    assert normalize_iccid(iccid) == iccid
    assert normalize_iccid(f"{iccid[:4]} {iccid[4:10]}-{iccid[10:]}") == iccid


@given(iccid_bodies, st.data())
def test_an_iccid_with_one_digit_changed_is_refused(body: str, data: st.DataObject) -> None:
    iccid = body + luhn.calc_check_digit(body)
    position = data.draw(st.integers(min_value=2, max_value=len(iccid) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != iccid[position]]))
    with pytest.raises(InvalidIccid):
        normalize_iccid(iccid[:position] + replacement + iccid[position + 1 :])


def test_an_iccid_must_be_a_telecom_one() -> None:
    body = "123456789012345678"
    with pytest.raises(InvalidIccid):
        normalize_iccid(body + luhn.calc_check_digit(body))
