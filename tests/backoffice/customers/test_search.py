"""What a caller reads out is recognised however it is typed; never anything else."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from topup.channels.backoffice.customers.overview import sms_body_for_staff
from topup.channels.backoffice.customers.search import customer_query_parse
from topup.core.errors import ApplicationError

# Belgian mobile numbers: 04, then 5 to 9, then seven digits.
subscriber_numbers = st.tuples(
    st.sampled_from("56789"), st.text("0123456789", min_size=7, max_size=7)
)
separators = st.sampled_from(["", " ", "-", ".", "/"])


@given(
    number=subscriber_numbers, separator=separators, prefix=st.sampled_from(["0", "+32", "0032"])
)
def test_a_mobile_number_is_recognised_in_every_usual_form(
    number: tuple[str, str], separator: str, prefix: str
) -> None:
    second, rest = number
    national = f"4{second}{rest}"
    typed = prefix + separator.join([national[:3], national[3:5], national[5:7], national[7:]])
    query = customer_query_parse(typed)
    assert (query.kind, query.value) == ("msisdn", f"+32{national}")


@given(text=st.text(max_size=80))
def test_any_text_is_either_recognised_or_refused_with_a_message(text: str) -> None:
    try:
        query = customer_query_parse(text)
    except ApplicationError as error:
        assert error.http_status == 422
        assert str(error.message)
    else:
        assert query.kind in ("msisdn", "iccid", "receipt", "topup")


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("0470 12 34 56", "msisdn", "+32470123456"),
        ("+32 470 12 34 56", "msisdn", "+32470123456"),
        ("0032470123456", "msisdn", "+32470123456"),
        ("8932 0000 0000 0000 998", "iccid", "8932000000000000998"),
        ("r20260101-00000001", "receipt", "R20260101-00000001"),
        (
            "6F9619FF-8B86-D011-B42D-00C04FC964FF",
            "topup",
            "6f9619ff-8b86-d011-b42d-00c04fc964ff",
        ),
    ],
)
def test_each_kind_of_reference_is_normalised(typed: str, kind: str, value: str) -> None:
    query = customer_query_parse(typed)
    assert (query.kind, query.value) == (kind, value)
    if kind == "topup":
        assert uuid.UUID(query.value)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("8932 0000 0000 0000 997", "invalid_iccid"),  # one digit off: the Luhn check catches it
        ("0470 12 34", "customer_query_unrecognised"),
        ("Jan Peeters", "customer_query_unrecognised"),
        ("", "customer_query_unrecognised"),
    ],
)
def test_what_is_no_reference_is_refused_with_the_reason(typed: str, code: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        customer_query_parse(typed)
    assert excinfo.value.code == code


@given(body=st.text(max_size=160))
def test_a_login_code_sms_never_shows_a_digit(body: str) -> None:
    shown = sms_body_for_staff(purpose="otp", body=body)
    assert not any(character.isdigit() for character in shown if character.isascii())
    assert len(shown) == len(body)


@given(body=st.text(max_size=160))
def test_other_sms_are_shown_as_sent(body: str) -> None:
    assert sms_body_for_staff(purpose="receipt", body=body) == body
