"""Logging in on the website: the number, the SMS code, resending it, and what goes wrong."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone

from tests.support import FakeClock, sms_code_on_handset
from tests.web.conftest import (
    AWAITING_IDENTIFICATION,
    IDENTIFIED_EMPTY,
    IDENTIFIED_WITH_FIVE_EUROS,
    web_login,
)
from topup.messaging.selectors import sms_outbox_list
from topup.messaging.services import (
    OTP_MAX_ATTEMPTS,
    OTP_MAX_CODES_PER_MSISDN_PER_WINDOW,
    OTP_RATE_WINDOW_S,
    OTP_RESEND_COOLDOWN_S,
    OTP_TTL_S,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

ENGLISH = {"Accept-Language": "en"}


def text_of(response: TestResponse) -> str:
    """The page as a reader sees it: tags dropped, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.split())


def ask_for_code(client: Client, typed_number: str) -> TestResponse:
    return client.post("/login", {"msisdn": typed_number}, headers=ENGLISH)


def wrong_code(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- The landing page -----------------------------------------------------------------------


def test_home_offers_login_and_guest_topup(client: Client, demo: None) -> None:
    page = client.get("/", headers=ENGLISH)

    assert page.status_code == 200
    assert 'href="/login"' in page.content.decode()
    assert 'href="/topup"' in page.content.decode()
    assert "Top up without logging in" in text_of(page)


def test_home_sends_a_logged_in_customer_to_the_account(client: Client, demo: None) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert client.get("/").headers["Location"] == "/account"


# --- Asking for a code ----------------------------------------------------------------------


def test_login_form_has_a_labelled_number_field(client: Client, demo: None) -> None:
    page = client.get("/login", headers=ENGLISH)

    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="login-msisdn">' in html
    assert 'id="login-msisdn" name="msisdn"' in html
    assert "csrfmiddlewaretoken" in html


def test_number_as_people_type_it_sends_a_code_and_the_code_page_says_when_and_from_whom(
    client: Client, demo: None, clock: FakeClock
) -> None:
    sent = ask_for_code(client, "0470 00 00 01")

    assert sent.status_code == 302
    assert sent.headers["Location"] == "/login/code"
    page = client.get("/login/code", headers=ENGLISH)
    text = text_of(page)
    sent_at = timezone.localtime(clock.now()).strftime("%H:%M")  # Brussels time
    assert page.status_code == 200
    assert "We sent a code to 0470 •• •• 01" in text
    assert "from DemoMobile" in text
    assert f"at {sent_at}" in text
    assert "data-countdown-until=" in page.content.decode()
    assert f"Seconds until you can ask for a new code: {OTP_RESEND_COOLDOWN_S}" in text
    assert 'href="/help#code-not-received"' in page.content.decode()
    assert "Still nothing? Contact customer service or visit a shop." in text
    assert len(sms_outbox_list(msisdn=IDENTIFIED_WITH_FIVE_EUROS)) == 1


def test_the_sms_speaks_the_language_of_the_page(client: Client, demo: None) -> None:
    client.post("/login", {"msisdn": IDENTIFIED_EMPTY}, headers={"Accept-Language": "fr"})

    sms_code_on_handset(IDENTIFIED_EMPTY)
    assert sms_outbox_list(msisdn=IDENTIFIED_EMPTY)[0].body.startswith("Votre code DemoMobile")


def test_a_number_that_is_not_belgian_mobile_is_refused_on_the_form(
    client: Client, demo: None
) -> None:
    page = ask_for_code(client, "12345")

    assert page.status_code == 422
    assert "This is not a Belgian mobile number" in text_of(page)
    assert 'value="12345"' in page.content.decode()
    assert 'aria-describedby="login-msisdn-hint login-msisdn-error"' in page.content.decode()
    assert client.get("/login/code").headers["Location"] == "/login"


def test_a_number_of_another_operator_gets_the_same_code_page_as_a_line(
    client: Client, demo: None
) -> None:
    # No enumeration of lines: see tests/security/test_otp_abuse.py for the whole comparison.
    page = ask_for_code(client, "0499 99 99 99")

    assert page.status_code == 302
    assert page.headers["Location"] == "/login/code"
    assert "We sent a code to 0499 •• •• 99" in text_of(client.get("/login/code", headers=ENGLISH))
    assert sms_outbox_list(msisdn="+32499999999") == []


def test_too_many_codes_for_one_number_are_refused_with_the_time_to_wait(
    client: Client, demo: None, clock: FakeClock
) -> None:
    for _ in range(OTP_MAX_CODES_PER_MSISDN_PER_WINDOW):
        assert ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS).status_code == 302
        clock.advance(seconds=OTP_RESEND_COOLDOWN_S)

    page = ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert page.status_code == 429
    text = text_of(page)
    assert "Too many codes were asked for" in text
    # The oldest of those codes leaves the one-hour window first.
    wait_minutes = (
        OTP_RATE_WINDOW_S - OTP_MAX_CODES_PER_MSISDN_PER_WINDOW * OTP_RESEND_COOLDOWN_S
    ) // 60
    assert f"Try again in {wait_minutes} minutes." in text
    assert len(sms_outbox_list(msisdn=IDENTIFIED_WITH_FIVE_EUROS)) == (
        OTP_MAX_CODES_PER_MSISDN_PER_WINDOW
    )


def test_asking_again_right_after_a_code_goes_to_the_code_already_sent(
    client: Client, demo: None
) -> None:
    ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)

    again = ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert again.headers["Location"] == "/login/code"
    page = client.get("/login/code", headers=ENGLISH)
    assert "We just sent you a code" in text_of(page)
    assert len(sms_outbox_list(msisdn=IDENTIFIED_WITH_FIVE_EUROS)) == 1


# --- Resending ------------------------------------------------------------------------------


def test_resend_during_the_cooldown_says_how_long_to_wait(
    client: Client, demo: None, clock: FakeClock
) -> None:
    ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)
    clock.advance(seconds=15)

    page = client.post("/login/resend", headers=ENGLISH)

    assert page.status_code == 429
    text = text_of(page)
    assert "We just sent you a code" in text
    assert f"Try again in {OTP_RESEND_COOLDOWN_S - 15} seconds." in text
    assert len(sms_outbox_list(msisdn=IDENTIFIED_WITH_FIVE_EUROS)) == 1


def test_resend_after_the_cooldown_sends_a_new_code_and_only_that_one_works(
    client: Client, demo: None, clock: FakeClock
) -> None:
    ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)
    first_code = sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)
    clock.advance(seconds=OTP_RESEND_COOLDOWN_S)

    resent = client.post("/login/resend", headers=ENGLISH)

    assert resent.status_code == 302
    assert resent.headers["Location"] == "/login/code"
    page = client.get("/login/code", headers=ENGLISH)
    assert "We sent you a new code" in text_of(page)
    second_code = sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)
    assert len(sms_outbox_list(msisdn=IDENTIFIED_WITH_FIVE_EUROS)) == 2
    if first_code != second_code:
        refused = client.post("/login/code", {"code": first_code}, headers=ENGLISH)
        assert refused.status_code == 401
    accepted = client.post("/login/code", {"code": second_code}, headers=ENGLISH)
    assert accepted.headers["Location"] == "/account"


def test_resend_is_post_only(client: Client, demo: None) -> None:
    ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert client.get("/login/resend").status_code == 405


# --- Typing the code ------------------------------------------------------------------------


def test_the_right_code_logs_in_and_opens_the_account(client: Client, demo: None) -> None:
    ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)

    verified = client.post(
        "/login/code", {"code": sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)}, headers=ENGLISH
    )

    assert verified.headers["Location"] == "/account"
    assert client.get("/account", headers=ENGLISH).status_code == 200
    # The number being logged in is forgotten once the code is used.
    assert client.get("/login/code").headers["Location"] == "/login"


def test_a_wrong_code_says_how_many_attempts_are_left(client: Client, demo: None) -> None:
    ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)
    code = sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)

    page = client.post("/login/code", {"code": wrong_code(code)}, headers=ENGLISH)

    assert page.status_code == 401
    text = text_of(page)
    assert "This code is not correct" in text
    assert f"You have {OTP_MAX_ATTEMPTS - 1} attempts left." in text
    assert 'aria-describedby="code-sent login-code-error"' in page.content.decode()
    assert client.get("/account").headers["Location"] == "/login"
    # The right code still works.
    assert client.post("/login/code", {"code": code}).headers["Location"] == "/account"


def test_too_many_wrong_codes_kill_the_code_and_say_when_to_try_again(
    client: Client, demo: None, clock: FakeClock
) -> None:
    ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)
    code = sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)
    for _ in range(OTP_MAX_ATTEMPTS - 1):
        client.post("/login/code", {"code": wrong_code(code)})
    clock.advance(seconds=20)

    page = client.post("/login/code", {"code": wrong_code(code)}, headers=ENGLISH)

    assert page.status_code == 429
    text = text_of(page)
    assert "Too many wrong codes. This code no longer works" in text
    assert f"You can ask for a new code in {OTP_RESEND_COOLDOWN_S - 20} seconds." in text
    dead = client.post("/login/code", {"code": code}, headers=ENGLISH)
    assert dead.status_code == 429
    assert client.get("/account").headers["Location"] == "/login"
    clock.advance(seconds=OTP_RESEND_COOLDOWN_S)
    later = client.post("/login/code", {"code": code}, headers=ENGLISH)
    assert "You can ask for a new code now." in text_of(later)


def test_an_expired_code_asks_for_a_new_one(client: Client, demo: None, clock: FakeClock) -> None:
    ask_for_code(client, IDENTIFIED_WITH_FIVE_EUROS)
    code = sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)
    clock.advance(seconds=OTP_TTL_S)

    page = client.post("/login/code", {"code": code}, headers=ENGLISH)

    assert page.status_code == 401
    assert "This code is no longer valid. Ask for a new code." in text_of(page)
    assert "You can ask for a new code now." in text_of(page)
    assert client.get("/account").headers["Location"] == "/login"


def test_the_code_page_without_a_number_sends_back_to_login(client: Client, demo: None) -> None:
    assert client.get("/login/code").headers["Location"] == "/login"
    assert client.post("/login/code", {"code": "123456"}).headers["Location"] == "/login"
    assert client.post("/login/resend").headers["Location"] == "/login"


# --- Logging out ----------------------------------------------------------------------------


def test_logout_ends_the_session(client: Client, demo: None) -> None:
    web_login(client, IDENTIFIED_WITH_FIVE_EUROS)

    assert client.get("/logout").status_code == 405
    out = client.post("/logout")

    assert out.headers["Location"] == "/"
    assert client.get("/account").headers["Location"] == "/login"
    assert "Log in" in text_of(client.get("/", headers=ENGLISH))


# --- Personal data stays out of URLs -------------------------------------------------------

_LINK = re.compile(r'(?:href|action|hx-get|hx-post)="([^"]*)"')


def _urls_seen(response: TestResponse) -> list[str]:
    urls = [response.request["PATH_INFO"] + "?" + response.request.get("QUERY_STRING", "")]
    if "Location" in response.headers:
        urls.append(response.headers["Location"])
    urls.extend(_LINK.findall(response.content.decode()))
    return urls


@pytest.mark.parametrize("msisdn", [IDENTIFIED_WITH_FIVE_EUROS, AWAITING_IDENTIFICATION])
def test_no_url_ever_carries_the_phone_number(
    client: Client, demo: None, clock: FakeClock, msisdn: str
) -> None:
    local = "0" + msisdn.removeprefix("+32")
    responses = [
        client.get("/", headers=ENGLISH),
        client.get("/login", headers=ENGLISH),
        client.post("/login", {"msisdn": local}, headers=ENGLISH),
        client.get("/login/code", headers=ENGLISH),
        client.post("/login/resend", headers=ENGLISH),
        client.post("/login/code", {"code": "not-it"}, headers=ENGLISH),
    ]
    clock.advance(seconds=OTP_RESEND_COOLDOWN_S)
    responses.append(client.post("/login/resend", headers=ENGLISH))
    code = sms_code_on_handset(msisdn)
    responses += [
        client.post("/login/code", {"code": code}, headers=ENGLISH),
        client.get("/account", headers=ENGLISH),
        client.get("/help", headers=ENGLISH),
        client.post("/logout"),
    ]

    digits = msisdn.removeprefix("+32")  # 470000001: in any spelling of the number
    for response in responses:
        assert response.status_code < 500
        for url in _urls_seen(response):
            assert digits not in url.replace(" ", "").replace("%20", ""), url


def test_after_the_login_the_visitor_returns_to_the_page_they_asked_for(
    client: Client, demo: None
) -> None:
    assert client.get("/history").headers["Location"].endswith("/login")
    client.post("/login", {"msisdn": IDENTIFIED_WITH_FIVE_EUROS})
    verified = client.post("/login/code", {"code": sms_code_on_handset(IDENTIFIED_WITH_FIVE_EUROS)})
    assert verified.headers["Location"] == "/history"
