"""Logging in with the phone number and an SMS code, through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from topup.core import clock

from .conftest import (
    AWAITING_IDENTIFICATION,
    IDENTIFIED_WITH_FIVE_EUROS,
    Api,
    assert_error,
    code_on_handset,
    login,
)

pytestmark = pytest.mark.usefixtures("demo")


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_asking_for_a_code_says_when_and_from_whom(api: Api) -> None:
    response = api.post("/auth/otp", {"msisdn": "0470 00 00 01"})

    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"sent_at", "resend_available_at", "expires_at", "sender_name"}
    assert body["sender_name"] == "DemoMobile"
    sent_at = dt.datetime.fromisoformat(body["sent_at"])
    assert dt.datetime.fromisoformat(body["resend_available_at"]) > sent_at
    assert dt.datetime.fromisoformat(body["expires_at"]) > sent_at
    assert len(code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)) == 6


def test_the_code_from_the_sms_buys_a_bearer_token_that_opens_me(api: Api) -> None:
    api.post("/auth/otp", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    code = code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)

    response = api.post("/auth/token", {"msisdn": "+32 470 00 00 01", "code": code})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert api.as_token(body["access_token"]).get("/me").status_code == 200


def test_a_wrong_code_is_refused(api: Api) -> None:
    api.post("/auth/otp", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    code = code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)

    response = api.post("/auth/token", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS, "code": _wrong(code)})

    assert_error(response, 401, "otp_invalid")


def test_a_code_is_refused_after_it_expired(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.post("/auth/otp", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    code = code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)
    later = clock.now() + dt.timedelta(minutes=6)
    monkeypatch.setattr("topup.core.clock.now", lambda: later)

    response = api.post("/auth/token", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS, "code": code})

    assert_error(response, 401, "otp_expired")


def test_guessing_stops_after_five_wrong_codes_even_for_the_right_one(api: Api) -> None:
    api.post("/auth/otp", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    code = code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)
    wrong = {"msisdn": IDENTIFIED_WITH_FIVE_EUROS, "code": _wrong(code)}
    for _ in range(4):
        assert_error(api.post("/auth/token", wrong), 401, "otp_invalid")
    assert_error(api.post("/auth/token", wrong), 429, "otp_too_many_attempts")

    response = api.post("/auth/token", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS, "code": code})

    assert_error(response, 429, "otp_too_many_attempts")


def test_asking_again_at_once_is_rate_limited(api: Api) -> None:
    assert api.post("/auth/otp", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS}).status_code == 202

    response = api.post("/auth/otp", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})

    assert_error(response, 429, "rate_limited")


def test_a_number_that_is_not_a_belgian_mobile_is_invalid(api: Api) -> None:
    assert_error(api.post("/auth/otp", {"msisdn": "12345"}), 422, "invalid_msisdn")


def test_a_number_not_on_the_platform_gets_the_same_answer_as_a_line(api: Api) -> None:
    # No enumeration of lines: see tests/security/test_otp_abuse.py for the whole comparison.
    response = api.post("/auth/otp", {"msisdn": "+32479999999"})
    assert response.status_code == 202, response.content
    assert set(response.json()) == {"sent_at", "resend_available_at", "expires_at", "sender_name"}


def test_a_line_awaiting_identification_can_still_log_in(api: Api) -> None:
    # Logging in is how an unidentified customer reaches the identification path.
    logged_in = login(api, AWAITING_IDENTIFICATION)

    assert logged_in.get("/me").json()["status"] == "awaiting_identification"
