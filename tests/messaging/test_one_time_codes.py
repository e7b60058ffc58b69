"""Every rule of login codes: hashing, expiry, attempts, cooldown, rate limits, single use."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.support import FakeClock
from topup.audit.models import AuditEvent
from topup.core.errors import RateLimited
from topup.messaging.errors import (
    OtpExpired,
    OtpInvalid,
    OtpRequestLimitReached,
    OtpResendTooSoon,
    OtpTooManyAttempts,
)
from topup.messaging.models import OneTimeCode, OtpWrongAttempt, SmsMessage, SmsPurpose
from topup.messaging.selectors import otp_last_issued
from topup.messaging.services import (
    OTP_MAX_ATTEMPTS,
    OTP_MAX_CODES_PER_CLIENT_IP_PER_WINDOW,
    OTP_MAX_CODES_PER_MSISDN_PER_WINDOW,
    OTP_RATE_WINDOW_S,
    OTP_RESEND_COOLDOWN_S,
    OTP_TTL_S,
    otp_request,
    otp_verify,
)

from .conftest import code_on_handset

pytestmark = pytest.mark.django_db

NUMBER = "+32470000001"
IP = "192.0.2.10"


def _request(msisdn: str = NUMBER, client_ip: str | None = IP, language: str = "en") -> None:
    otp_request(msisdn=msisdn, client_ip=client_ip, sender_name="Topup", language=language)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_code_sent_by_sms_logs_in_once(clock: FakeClock) -> None:
    issued = otp_request(msisdn="0470 00 00 01", client_ip=IP, sender_name="Topup", language="en")
    assert issued.sent_at == clock.now()
    assert issued.expires_at == clock.now() + dt.timedelta(seconds=OTP_TTL_S)
    assert issued.resend_available_at == clock.now() + dt.timedelta(seconds=OTP_RESEND_COOLDOWN_S)
    assert issued.sender_name == "Topup"
    code = code_on_handset(NUMBER)

    otp_verify(msisdn="+32 470 00 00 01", code=code, client_ip=IP)

    with pytest.raises(OtpExpired):  # single use
        otp_verify(msisdn=NUMBER, code=code, client_ip=IP)


def test_only_a_keyed_hash_of_the_code_is_stored(clock: FakeClock) -> None:
    _request()
    code = code_on_handset(NUMBER)
    stored = OneTimeCode.objects.get()
    assert code not in stored.code_hash
    assert len(stored.code_hash.partition("$")[2]) == 64
    _request("+32470000002")
    assert OneTimeCode.objects.get(msisdn="+32470000002").code_hash != stored.code_hash


def test_the_sms_says_the_code_the_validity_and_the_phishing_warning(clock: FakeClock) -> None:
    _request(language="en")
    text = SmsMessage.objects.get().body
    assert "5 minutes" in text and "never ask for this code by phone" in text
    assert SmsMessage.objects.get().purpose == SmsPurpose.OTP


@pytest.mark.parametrize(
    ("language", "validity", "warning"),
    [
        ("nl", "5 minuten", "nooit telefonisch"),
        ("fr", "5 minutes", "jamais ce code par téléphone"),
        ("de", "5 Minuten", "nie telefonisch"),
        ("zh-hans", "5 分钟", "绝不会通过电话"),
        ("zh-Hans", "5 分钟", "绝不会通过电话"),
        ("xx", "5 minutes", "never ask for this code by phone"),  # unknown: English
    ],
)
def test_the_sms_is_in_the_users_language(
    clock: FakeClock, language: str, validity: str, warning: str
) -> None:
    _request(language=language)
    text = SmsMessage.objects.get().body
    assert validity in text and warning in text
    assert code_on_handset(NUMBER) in text


def test_a_wrong_code_is_refused_with_the_attempts_left(clock: FakeClock) -> None:
    _request()
    code = code_on_handset(NUMBER)
    for attempts_left in range(OTP_MAX_ATTEMPTS - 1, 0, -1):
        with pytest.raises(OtpInvalid) as refused:
            otp_verify(msisdn=NUMBER, code=_wrong(code), client_ip=IP)
        assert refused.value.details == {"attempts_left": attempts_left}
        assert (refused.value.code, refused.value.http_status) == ("otp_invalid", 401)
    assert OneTimeCode.objects.get().attempts == OTP_MAX_ATTEMPTS - 1
    otp_verify(msisdn=NUMBER, code=code, client_ip=IP)  # still usable before the last attempt


def test_the_fifth_wrong_attempt_kills_the_code(clock: FakeClock) -> None:
    _request()
    code = code_on_handset(NUMBER)
    for _ in range(OTP_MAX_ATTEMPTS - 1):
        with pytest.raises(OtpInvalid):
            otp_verify(msisdn=NUMBER, code=_wrong(code), client_ip=IP)
    with pytest.raises(OtpTooManyAttempts) as refused:
        otp_verify(msisdn=NUMBER, code=_wrong(code), client_ip=IP)
    assert (refused.value.code, refused.value.http_status) == ("otp_too_many_attempts", 429)

    with pytest.raises(OtpTooManyAttempts):  # even the right code is dead now
        otp_verify(msisdn=NUMBER, code=code, client_ip=IP)
    assert OneTimeCode.objects.get().attempts == OTP_MAX_ATTEMPTS

    clock.advance(seconds=OTP_RESEND_COOLDOWN_S)
    _request()  # the way out: a new code
    otp_verify(msisdn=NUMBER, code=code_on_handset(NUMBER), client_ip=IP)


def test_a_code_expires_after_five_minutes(clock: FakeClock) -> None:
    _request()
    code = code_on_handset(NUMBER)
    clock.advance(seconds=OTP_TTL_S - 1)
    _request("+32470000002")
    other = code_on_handset("+32470000002")
    otp_verify(msisdn="+32470000002", code=other, client_ip=IP)  # still valid at 4:59

    clock.advance(seconds=1)
    with pytest.raises(OtpExpired) as refused:
        otp_verify(msisdn=NUMBER, code=code, client_ip=IP)
    assert (refused.value.code, refused.value.http_status) == ("otp_expired", 401)


def test_verifying_without_any_code_asks_for_a_new_one(clock: FakeClock) -> None:
    with pytest.raises(OtpExpired):
        otp_verify(msisdn=NUMBER, code="123456", client_ip=IP)


def test_a_new_code_invalidates_the_older_one(clock: FakeClock) -> None:
    _request()
    first = code_on_handset(NUMBER)
    clock.advance(seconds=OTP_RESEND_COOLDOWN_S)
    _request()
    second = code_on_handset(NUMBER)
    if first != second:  # one chance in a million that both draws are equal
        with pytest.raises(OtpInvalid):
            otp_verify(msisdn=NUMBER, code=first, client_ip=IP)
    otp_verify(msisdn=NUMBER, code=second, client_ip=IP)
    older, newer = OneTimeCode.objects.order_by("created_at")
    assert older.invalidated_at == clock.now() and older.consumed_at is None
    assert newer.invalidated_at is None and newer.consumed_at == clock.now()


def test_a_resend_inside_the_cooldown_says_when_and_how_long(clock: FakeClock) -> None:
    _request()
    first_sent_at = clock.now()
    clock.advance(seconds=20)
    with pytest.raises(OtpResendTooSoon) as refused:
        _request()
    assert isinstance(refused.value, RateLimited)
    assert (refused.value.code, refused.value.http_status) == ("rate_limited", 429)
    assert refused.value.details == {
        "retry_after_s": OTP_RESEND_COOLDOWN_S - 20,
        "last_sent_at": first_sent_at.isoformat(),
    }
    assert OneTimeCode.objects.count() == 1

    clock.advance(seconds=OTP_RESEND_COOLDOWN_S - 20)
    _request()
    assert OneTimeCode.objects.count() == 2


def test_at_most_five_codes_per_number_per_hour(clock: FakeClock) -> None:
    start = clock.now()
    for _ in range(OTP_MAX_CODES_PER_MSISDN_PER_WINDOW):
        _request()
        clock.advance(seconds=OTP_RESEND_COOLDOWN_S)
    with pytest.raises(OtpRequestLimitReached) as refused:
        _request(client_ip="192.0.2.99")  # another address does not help
    expected_s = OTP_RATE_WINDOW_S - OTP_MAX_CODES_PER_MSISDN_PER_WINDOW * OTP_RESEND_COOLDOWN_S
    assert refused.value.details == {"retry_after_s": expected_s}
    assert refused.value.code == "rate_limited"

    clock.moment = start + dt.timedelta(seconds=OTP_RATE_WINDOW_S)
    _request()  # the first code left the window
    assert OneTimeCode.objects.count() == OTP_MAX_CODES_PER_MSISDN_PER_WINDOW + 1


def test_at_most_twenty_codes_per_client_address_per_hour(clock: FakeClock) -> None:
    numbers = [f"+3247000{n:04d}" for n in range(100, 100 + OTP_MAX_CODES_PER_CLIENT_IP_PER_WINDOW)]
    for number in numbers:
        _request(number)
        clock.advance(seconds=10)
    with pytest.raises(OtpRequestLimitReached) as refused:
        _request("+32470009999")
    assert refused.value.details == {
        "retry_after_s": OTP_RATE_WINDOW_S - 10 * OTP_MAX_CODES_PER_CLIENT_IP_PER_WINDOW
    }
    _request("+32470009999", client_ip="198.51.100.7")  # another address is not limited
    _request("+32470009998", client_ip=None)  # no known address: only the number's limits


def test_issuing_and_verifying_are_audited_without_the_code(clock: FakeClock) -> None:
    _request()
    code = code_on_handset(NUMBER)
    with pytest.raises(OtpInvalid):
        otp_verify(msisdn=NUMBER, code=_wrong(code), client_ip=IP)
    otp_verify(msisdn=NUMBER, code=code, client_ip=IP)

    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["otp.issued", "otp.invalid", "otp.accepted"]
    assert all(e.ip_address == IP and e.actor_id == NUMBER for e in events)
    assert all(code not in str(e.data) and _wrong(code) not in str(e.data) for e in events)


def test_the_last_issued_code_is_visible_for_the_resend_screen(clock: FakeClock) -> None:
    assert otp_last_issued(msisdn=NUMBER) is None
    _request()
    last = otp_last_issued(msisdn=NUMBER)
    assert last is not None and last.created_at == clock.now()


def test_no_other_input_than_the_code_is_accepted(clock: FakeClock) -> None:
    _request()
    code = code_on_handset(NUMBER)
    row = OneTimeCode.objects.get()

    @settings(max_examples=150, deadline=None)
    @given(typed=st.text(max_size=12) | st.from_regex(r"\A\d{6}\Z"))
    def check(typed: str) -> None:
        assume("".join(typed.split()) != code)
        with pytest.raises(OtpInvalid):
            otp_verify(msisdn=NUMBER, code=typed, client_ip=IP)
        OneTimeCode.objects.filter(pk=row.pk).update(attempts=0)
        OtpWrongAttempt.objects.all().delete()  # nor the limit per address

    check()
    otp_verify(msisdn=NUMBER, code=f" {code[:3]} {code[3:]} ", client_ip=IP)  # as the SMS shows it
