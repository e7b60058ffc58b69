"""Login codes under attack: guessing is stopped per code, per number and per address, and the
answers never tell a line of the platform from any other Belgian mobile number.

Covered elsewhere, not repeated here:
- tests/messaging/test_one_time_codes.py: 5 wrong attempts kill a code, expiry, single use, the
  resend cooldown, 5 codes per number and 20 per address an hour, only a keyed hash stored;
- tests/messaging/test_concurrency.py: parallel guesses cannot beat the code's counter (PostgreSQL);
- tests/api/test_auth.py, tests/web/test_auth.py: the same rules as a customer meets them.

Here: the gaps an attacker would use. Rotating addresses against one number; one address
spreading guesses over many numbers' codes; and enumeration: for a line and for a number that is
not one, the API answers byte for byte the same (status, JSON, limits), the website shows the same
pages (the masked number aside), and only the line is sent an SMS. No timings are compared: the
answers are built by the same code path, and the test asserts what that path returns.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.security.conftest import IDENTIFIED_EMPTY, IDENTIFIED_WITH_FIVE_EUROS
from tests.support import FakeClock, sms_code_on_handset
from topup.core.errors import ApplicationError
from topup.core.worker import worker_drain
from topup.messaging.errors import OtpGuessLimitReached, OtpTooManyAttempts
from topup.messaging.models import OneTimeCode, OtpWrongAttempt
from topup.messaging.selectors import sms_outbox_list
from topup.messaging.services import (
    OTP_MAX_ATTEMPTS,
    OTP_MAX_CODES_PER_CLIENT_IP_PER_WINDOW,
    OTP_MAX_CODES_PER_MSISDN_PER_WINDOW,
    OTP_MAX_WRONG_CODES_PER_CLIENT_IP_PER_WINDOW,
    OTP_RATE_WINDOW_S,
    OTP_RESEND_COOLDOWN_S,
    otp_login_request,
    otp_login_verify,
)
from topup.subscribers.models import AccessToken

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("demo")

LINE = IDENTIFIED_WITH_FIVE_EUROS  # +32470000001
NOT_A_LINE = "+32470999901"  # a valid Belgian mobile number the platform does not serve
NOT_LINES = [f"+3247099990{digit}" for digit in range(2, 10)]
ATTACKER = "198.51.100.66"


def _address(number: int) -> str:
    return f"203.0.113.{number}"


def _api_otp(client: Client, msisdn: str, *, address: str = ATTACKER) -> TestResponse:
    return client.post(
        "/api/v1/auth/otp",
        data=json.dumps({"msisdn": msisdn}),
        content_type="application/json",
        headers={"Accept-Language": "en"},
        REMOTE_ADDR=address,
    )


def _api_token(client: Client, msisdn: str, code: str, *, address: str = ATTACKER) -> TestResponse:
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"msisdn": msisdn, "code": code}),
        content_type="application/json",
        headers={"Accept-Language": "en"},
        REMOTE_ADDR=address,
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _guess(msisdn: str, code: str, *, address: str) -> str:
    """One try through the service: the error code, or "ok"."""
    try:
        otp_login_verify(msisdn=msisdn, code=code, client_ip=address)
    except ApplicationError as error:
        return str(error.code)
    return "ok"


# --- Brute force -------------------------------------------------------------------------------


def test_rotating_addresses_gives_a_number_no_more_than_its_codes_worth_of_guesses(
    clock: FakeClock,
) -> None:
    """Each new address asks for a new code and guesses five times; after five codes, nothing."""
    code = ""
    wrong_accepted_as_tries = 0
    for attempt in range(OTP_MAX_CODES_PER_MSISDN_PER_WINDOW):
        otp_login_request(msisdn=LINE, client_ip=_address(attempt), language="en")
        code = sms_code_on_handset(LINE)
        for _ in range(OTP_MAX_ATTEMPTS):
            outcome = _guess(LINE, _wrong(code), address=_address(attempt))
            assert outcome in {"otp_invalid", "otp_too_many_attempts"}
            wrong_accepted_as_tries += 1
        # A sixth try from yet another address finds the code dead, even with the right code.
        assert _guess(LINE, code, address=_address(100 + attempt)) == "otp_too_many_attempts"
        clock.advance(seconds=OTP_RESEND_COOLDOWN_S)

    with pytest.raises(ApplicationError) as refused:
        otp_login_request(msisdn=LINE, client_ip=_address(99), language="en")
    assert refused.value.code == "rate_limited"
    assert wrong_accepted_as_tries == OTP_MAX_CODES_PER_MSISDN_PER_WINDOW * OTP_MAX_ATTEMPTS
    # An hour later the customer can log in again.
    clock.advance(seconds=OTP_RATE_WINDOW_S)
    otp_login_request(msisdn=LINE, client_ip=_address(99), language="en")
    assert _guess(LINE, sms_code_on_handset(LINE), address=_address(99)) == "ok"


def test_one_address_cannot_spread_its_guesses_over_many_numbers(clock: FakeClock) -> None:
    """Codes asked for from elsewhere (by their owners), guessed from one address: 30, then none."""
    targets = [LINE, IDENTIFIED_EMPTY, *NOT_LINES]
    guesses = 0
    for index, msisdn in enumerate(targets):
        otp_login_request(msisdn=msisdn, client_ip=_address(index), language="en")
        for _ in range(OTP_MAX_ATTEMPTS):
            if guesses == OTP_MAX_WRONG_CODES_PER_CLIENT_IP_PER_WINDOW:
                break
            assert _guess(msisdn, "000000", address=ATTACKER) in {
                "otp_invalid",
                "otp_too_many_attempts",
            }
            guesses += 1
    assert guesses == OTP_MAX_WRONG_CODES_PER_CLIENT_IP_PER_WINDOW
    assert OtpWrongAttempt.objects.filter(client_ip=ATTACKER).count() == guesses

    # The address is stopped: even the right code of a fresh code is refused from there...
    clock.advance(seconds=OTP_RESEND_COOLDOWN_S)
    otp_login_request(msisdn=IDENTIFIED_EMPTY, client_ip=_address(50), language="en")
    code = sms_code_on_handset(IDENTIFIED_EMPTY)
    with pytest.raises(OtpGuessLimitReached) as refused:
        otp_login_verify(msisdn=IDENTIFIED_EMPTY, code=code, client_ip=ATTACKER)
    assert 0 < int(str(refused.value.details["retry_after_s"])) <= OTP_RATE_WINDOW_S
    # ...without costing the code an attempt: its owner, elsewhere, logs in with it.
    assert OneTimeCode.objects.filter(msisdn=IDENTIFIED_EMPTY).order_by("-id")[0].attempts == 0
    assert _guess(IDENTIFIED_EMPTY, code, address=_address(50)) == "ok"
    # The limit slides: an hour after the first wrong codes, the address may try again.
    clock.advance(seconds=OTP_RATE_WINDOW_S)
    assert _guess(IDENTIFIED_EMPTY, "000000", address=ATTACKER) == "otp_expired"
    otp_login_request(msisdn=LINE, client_ip=_address(51), language="en")
    assert _guess(LINE, _wrong(sms_code_on_handset(LINE)), address=ATTACKER) == "otp_invalid"
    # Only the window is kept: the hour-old wrong codes are gone, this one counts.
    assert OtpWrongAttempt.objects.filter(client_ip=ATTACKER).count() == 1


def test_the_address_limit_answers_429_on_the_api(client: Client, clock: FakeClock) -> None:
    for index, msisdn in enumerate(NOT_LINES[:6]):
        otp_login_request(msisdn=msisdn, client_ip=_address(index), language="en")
        for _ in range(OTP_MAX_ATTEMPTS):
            assert _api_token(client, msisdn, "000000").status_code in {401, 429}
    assert OtpWrongAttempt.objects.filter(client_ip=ATTACKER).count() == 30

    otp_login_request(msisdn=LINE, client_ip=_address(7), language="en")
    refused = _api_token(client, LINE, sms_code_on_handset(LINE))
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert not AccessToken.objects.exists()


def test_one_address_asks_for_twenty_codes_whatever_the_numbers(
    client: Client, clock: FakeClock
) -> None:
    """Numbers that are not lines count too: enumeration by asking is as limited as guessing."""
    numbers = [f"+3247100{index:04d}" for index in range(OTP_MAX_CODES_PER_CLIENT_IP_PER_WINDOW)]
    for msisdn in numbers:
        assert _api_otp(client, msisdn).status_code == 202
    refused = _api_otp(client, LINE)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert _api_otp(client, LINE, address=_address(1)).status_code == 202


def test_a_code_that_was_never_sent_opens_nothing_even_when_guessed(
    client: Client, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setattr("topup.messaging.services._code_generate", lambda: "424242")
    assert _api_otp(client, NOT_A_LINE).status_code == 202
    guessed = _api_token(client, NOT_A_LINE, "424242")
    assert guessed.status_code == 401
    assert guessed.json()["error"]["code"] == "otp_expired"
    assert not AccessToken.objects.exists()
    assert OneTimeCode.objects.get(msisdn=NOT_A_LINE).consumed_at is not None  # spent


def _race(actions: list[Callable[[], object]]) -> Counter[str]:
    """Run the actions in threads released together; count the outcomes by error code."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            action()
            outcome = "ok"
        except ApplicationError as error:
            outcome = error.code
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_one_address_cannot_pass_its_limit() -> None:
    """Two wrong codes left to the address; sixteen guesses at sixteen numbers arrive at once."""
    limit = OTP_MAX_WRONG_CODES_PER_CLIENT_IP_PER_WINDOW
    OtpWrongAttempt.objects.bulk_create(
        OtpWrongAttempt(msisdn=NOT_A_LINE, client_ip=ATTACKER, at=timezone.now())
        for _ in range(limit - 2)
    )
    numbers = [f"+3247100{index:04d}" for index in range(16)]
    for index, msisdn in enumerate(numbers):
        otp_login_request(msisdn=msisdn, client_ip=_address(index), language="en")

    outcomes = _race(
        [
            functools.partial(otp_login_verify, msisdn=msisdn, code="000000", client_ip=ATTACKER)
            for msisdn in numbers
        ]
    )

    assert outcomes == Counter({"rate_limited": 14, "otp_invalid": 2})
    assert OtpWrongAttempt.objects.filter(client_ip=ATTACKER).count() == limit


# --- No enumeration: the API -------------------------------------------------------------------


def _api_story(client: Client, msisdn: str) -> list[tuple[int, str]]:
    """What an enumerator sees for a number: every answer, status and body, in order."""
    answers = [_api_token(client, msisdn, "000000")]  # before any code
    answers.append(_api_otp(client, msisdn))
    answers.append(_api_otp(client, msisdn))  # at once again: the cooldown
    answers += [_api_token(client, msisdn, "000000") for _ in range(OTP_MAX_ATTEMPTS + 1)]
    answers.append(_api_token(client, "0470 12", "000000"))  # not a number at all
    return [(answer.status_code, answer.content.decode()) for answer in answers]


@pytest.fixture
def known_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every code is 123456, so that the 000000 typed in the stories is wrong for sure."""
    monkeypatch.setattr("topup.messaging.services._code_generate", lambda: "123456")


@pytest.mark.usefixtures("known_codes")
def test_the_api_answers_a_line_and_another_number_alike(client: Client, clock: FakeClock) -> None:
    line = _api_story(client, LINE)
    other = _api_story(client, NOT_A_LINE)

    assert [status for status, _body in line] == [401, 202, 429, 401, 401, 401, 401, 429, 429, 422]
    assert other == line  # the same statuses and the same bytes, limits and sender name included
    sent = json.loads(line[1][1])
    assert sent["sender_name"] == "DemoMobile"
    assert json.loads(line[-2][1])["error"]["code"] == OtpTooManyAttempts.code

    worker_drain()
    assert len(sms_outbox_list(msisdn=LINE)) == 1
    assert sms_outbox_list(msisdn=NOT_A_LINE) == []


def test_the_api_headers_do_not_tell_either(client: Client, clock: FakeClock) -> None:
    line, other = _api_otp(client, LINE), _api_otp(client, NOT_A_LINE)
    assert line.status_code == other.status_code == 202
    assert set(line.headers) == set(other.headers)
    assert line.headers["Content-Length"] == other.headers["Content-Length"]


# --- No enumeration: the website ---------------------------------------------------------------

_VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'nonce="[^"]+"'), 'nonce=""'),
    (re.compile(r"04\d\d •• •• \d\d"), "NUMBER"),
]


def _page(response: TestResponse) -> str:
    text = response.content.decode()
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _web_story(msisdn: str) -> list[tuple[int, str, str]]:
    """Ask for a code, type wrong codes until the code dies, ask again: every answer."""
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    answers = [browser.post("/login", {"msisdn": msisdn})]
    answers.append(browser.get("/login/code"))
    answers += [browser.post("/login/code", {"code": "000000"}) for _ in range(OTP_MAX_ATTEMPTS)]
    answers.append(browser.post("/login/resend"))
    answers.append(browser.post("/login", {"msisdn": msisdn}))
    return [(a.status_code, a.headers.get("Location", ""), _page(a)) for a in answers]


@pytest.mark.usefixtures("known_codes")
def test_the_website_answers_a_line_and_another_number_alike(clock: FakeClock) -> None:
    line = _web_story(LINE)
    other = _web_story(NOT_A_LINE)

    assert [(status, location) for status, location, _page in line] == [
        (302, "/login/code"),
        (200, ""),
        (401, ""),
        (401, ""),
        (401, ""),
        (401, ""),
        (429, ""),
        (429, ""),  # resend inside the cooldown
        (302, "/login/code"),  # asking again at once goes to the code already sent
    ]
    assert other == line
    code_page = line[1][2]
    assert "We sent a code to NUMBER" in code_page and "DemoMobile" in code_page
    worker_drain()
    assert len(sms_outbox_list(msisdn=LINE)) == 1
    assert sms_outbox_list(msisdn=NOT_A_LINE) == []


def test_the_website_still_refuses_what_is_not_a_belgian_mobile_number() -> None:
    """The format is not a secret: a typing error is said at once, the same for everyone."""
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post("/login", {"msisdn": "12345"})
    assert page.status_code == 422
    assert "This is not a Belgian mobile number" in page.content.decode()
