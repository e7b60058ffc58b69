"""The webhook signature: valid ones pass; forged, tampered, stale or garbled ones do not."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from topup.payments.gateway import WebhookRejected
from topup.payments.simulator.signature import (
    TOLERANCE_S,
    signature_compute,
    signature_header_build,
    signature_verify,
)

SECRET = "whsec_test"
NOW = 1_750_000_000
BODY = b'{"id":"sim_evt_1","type":"payment.updated","data":{"payment_id":"sim_pay_1"}}'

secrets_ = st.text(min_size=1, max_size=40)
bodies = st.binary(max_size=512)


def _reason(**kwargs: object) -> str:
    with pytest.raises(WebhookRejected) as caught:
        signature_verify(**kwargs)  # type: ignore[arg-type]
    return caught.value.reason


def test_a_fresh_signature_is_accepted() -> None:
    header = signature_header_build(secret=SECRET, body=BODY, timestamp=NOW)
    signature_verify(secret=SECRET, body=BODY, header=header, now_unix=NOW)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # A fixed vector, so a change in the signed message cannot go unnoticed.
    assert signature_compute(secret="k", body=b"{}", timestamp=1) == (
        "3dd49b2593d0f9a349e9e71c4bde3e2b862c2be4003fe9b4ba81332029310158"
    )


def test_a_signature_made_with_another_secret_is_forged() -> None:
    header = signature_header_build(secret="attacker", body=BODY, timestamp=NOW)
    assert _reason(secret=SECRET, body=BODY, header=header, now_unix=NOW) == "signature_mismatch"


def test_a_tampered_body_is_rejected() -> None:
    header = signature_header_build(secret=SECRET, body=BODY, timestamp=NOW)
    tampered = BODY.replace(b"sim_pay_1", b"sim_pay_2")
    assert _reason(secret=SECRET, body=tampered, header=header, now_unix=NOW) == (
        "signature_mismatch"
    )


@pytest.mark.parametrize("age_s", [6 * 60, -6 * 60], ids=["six-minutes-old", "six-minutes-ahead"])
def test_a_timestamp_outside_five_minutes_is_rejected_even_if_signed(age_s: int) -> None:
    header = signature_header_build(secret=SECRET, body=BODY, timestamp=NOW - age_s)
    assert _reason(secret=SECRET, body=BODY, header=header, now_unix=NOW) == (
        "timestamp_outside_tolerance"
    )


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("v1=" + "0" * 64, "malformed_signature"),
        (f"t={NOW}", "malformed_signature"),
        (f"t={NOW},v1=xyz", "malformed_signature"),
        (f"t=abc,v1={'0' * 64}", "malformed_signature"),
        (f"t={NOW},t={NOW},v1={'0' * 64}", "malformed_signature"),
        ("sha256=" + "0" * 64, "malformed_signature"),
    ],
)
def test_missing_or_garbled_headers_are_rejected(header: str | None, reason: str) -> None:
    assert _reason(secret=SECRET, body=BODY, header=header, now_unix=NOW) == reason


@given(secret=secrets_, body=bodies, skew_s=st.integers(-TOLERANCE_S, TOLERANCE_S))
def test_any_body_signed_within_tolerance_verifies(secret: str, body: bytes, skew_s: int) -> None:
    header = signature_header_build(secret=secret, body=body, timestamp=NOW + skew_s)
    signature_verify(secret=secret, body=body, header=header, now_unix=NOW)


@given(secret=secrets_, body=bodies, other=bodies)
def test_any_change_to_the_body_breaks_the_signature(
    secret: str, body: bytes, other: bytes
) -> None:
    assume(body != other)
    header = signature_header_build(secret=secret, body=body, timestamp=NOW)
    assert _reason(secret=secret, body=other, header=header, now_unix=NOW) == "signature_mismatch"


@given(body=bodies, position=st.integers(0, 63), data=st.data())
def test_any_changed_hex_digit_breaks_the_signature(
    body: bytes, position: int, data: st.DataObject
) -> None:
    signature = signature_compute(secret=SECRET, body=body, timestamp=NOW)
    replacement = data.draw(
        st.sampled_from("0123456789abcdef").filter(lambda c: c != signature[position])
    )
    forged = signature[:position] + replacement + signature[position + 1 :]
    header = f"t={NOW},v1={forged}"
    assert _reason(secret=SECRET, body=body, header=header, now_unix=NOW) == "signature_mismatch"


@given(
    secret=secrets_, body=bodies, skew_s=st.integers(TOLERANCE_S + 1, 10**9), ahead=st.booleans()
)
def test_any_timestamp_beyond_tolerance_is_rejected(
    secret: str, body: bytes, skew_s: int, ahead: bool
) -> None:
    timestamp = NOW + skew_s if ahead else NOW - skew_s
    header = signature_header_build(secret=secret, body=body, timestamp=timestamp)
    assert _reason(secret=secret, body=body, header=header, now_unix=NOW) == (
        "timestamp_outside_tolerance"
    )


@given(header=st.text(max_size=200))
def test_arbitrary_header_text_is_rejected_never_crashes(header: str) -> None:
    with pytest.raises(WebhookRejected):
        signature_verify(secret=SECRET, body=BODY, header=header, now_unix=NOW)
