"""The one writer of SMS messages and one-time codes.

`otp_verify` commits its own transaction before raising: a wrong attempt must count even though
the caller sees an error, so it must not be called inside an atomic block that rolls back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from topup.audit.services import Actor, audit_record
from topup.catalog.selectors import brand_for_operator, operator_get
from topup.core import clock
from topup.core.errors import ApplicationError
from topup.messaging.errors import (
    OtpExpired,
    OtpGuessLimitReached,
    OtpInvalid,
    OtpRequestLimitReached,
    OtpResendTooSoon,
    OtpTooManyAttempts,
)
from topup.messaging.models import OneTimeCode, OtpWrongAttempt, SmsMessage, SmsPurpose
from topup.messaging.tasks import sms_deliver, sms_task_priority
from topup.subscribers.errors import InvalidMsisdn, SubscriberNotFound
from topup.subscribers.models import Sim
from topup.subscribers.numbers import InvalidNumber, normalize_msisdn
from topup.subscribers.selectors import sim_get_by_msisdn

SMS_BODY_MAX_CHARS = 459  # three concatenated GSM-7 parts
SMS_SENDER_NAME_MAX_CHARS = 11  # the longest alphanumeric sender id networks accept

OTP_CODE_DIGITS = 6
OTP_TTL_S = 5 * 60
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_COOLDOWN_S = 60
OTP_RATE_WINDOW_S = 60 * 60
OTP_MAX_CODES_PER_MSISDN_PER_WINDOW = 5
OTP_MAX_CODES_PER_CLIENT_IP_PER_WINDOW = 20
# Wrong codes typed from one address, whatever the numbers: a guesser cannot spread its tries
# over many lines' codes. About six codes' worth of typing errors (a shared address included).
OTP_MAX_WRONG_CODES_PER_CLIENT_IP_PER_WINDOW = 30
OTP_CODE_MAX_INPUT_CHARS = 32  # longer input is not a code; refuse before hashing it

_OTP_HASH_KEY_SALT = "topup.messaging.one_time_code"


@dataclass(frozen=True)
class OtpIssued:
    sent_at: dt.datetime
    expires_at: dt.datetime
    resend_available_at: dt.datetime
    sender_name: str


class _Outcome(Enum):
    ACCEPTED = "accepted"
    INVALID = "invalid"
    EXPIRED = "expired"
    NO_CODE = "no_code"
    TOO_MANY_ATTEMPTS = "too_many_attempts"


@dataclass(frozen=True)
class _Verification:
    outcome: _Outcome
    attempts_left: int
    wrong_attempt: bool = False  # counts against the code, even though the caller gets an error


# --- SMS -----------------------------------------------------------------------------------


def messaging_sms_send(
    *, msisdn: str, body: str, sender_name: str, purpose: SmsPurpose
) -> SmsMessage:
    """Record an SMS and queue its delivery in the same transaction (it goes out on commit)."""
    msisdn = normalize_msisdn(msisdn)
    if not body or len(body) > SMS_BODY_MAX_CHARS:
        raise ValueError(f"an SMS body has 1 to {SMS_BODY_MAX_CHARS} characters")
    if not sender_name or len(sender_name) > SMS_SENDER_NAME_MAX_CHARS:
        raise ValueError(f"a sender name has 1 to {SMS_SENDER_NAME_MAX_CHARS} characters")
    with transaction.atomic():
        sms = SmsMessage.objects.create(
            msisdn=msisdn,
            body=body,
            sender_name=sender_name,
            purpose=SmsPurpose(purpose),
            created_at=clock.now(),
        )
        priority = sms_task_priority(purpose=sms.purpose)
        sms_deliver.using(priority=priority).enqueue(sms_message_id=sms.pk)
    return sms


# --- One-time codes: issuing ---------------------------------------------------------------


def otp_request(
    *, msisdn: str, client_ip: str | None, sender_name: str, language: str, deliver: bool = True
) -> OtpIssued:
    """Send a new login code by SMS, replacing any earlier one, within the rate limits.

    `deliver=False` (a number that is not a line) records a code under the same limits and
    sends nothing: nobody holds that code, and the caller answers as if it had been sent.
    """
    msisdn = normalize_msisdn(msisdn)
    with transaction.atomic():
        _lock_for_issuing(msisdn=msisdn, client_ip=client_ip)
        now = clock.now()
        _check_resend_cooldown(msisdn=msisdn, now=now)
        _check_issue_limits(msisdn=msisdn, client_ip=client_ip, now=now)
        OneTimeCode.objects.filter(
            msisdn=msisdn, consumed_at__isnull=True, invalidated_at__isnull=True
        ).update(invalidated_at=now)
        code = _code_generate()
        sms = (
            messaging_sms_send(
                msisdn=msisdn,
                body=_otp_sms_text(code=code, sender_name=sender_name, language=language),
                sender_name=sender_name,
                purpose=SmsPurpose.OTP,
            )
            if deliver
            else None
        )
        one_time_code = OneTimeCode.objects.create(
            msisdn=msisdn,
            code_hash=_code_hash(msisdn=msisdn, code=code, salt=secrets.token_hex(8)),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=OTP_TTL_S),
            client_ip=client_ip,
            sms=sms,
        )
        audit_record(
            actor=_requester(msisdn=msisdn, client_ip=client_ip),
            action="otp.issued",
            object_type="one_time_code",
            object_id=one_time_code.pk,
            data={
                "sms_id": sms.pk if sms is not None else None,
                "expires_at": one_time_code.expires_at.isoformat(),
            },
        )
    return otp_issued_from(one_time_code=one_time_code, sender_name=sender_name)


def otp_login_request(*, msisdn: str, client_ip: str | None, language: str) -> OtpIssued:
    """Log in, step one: a code for a line of the platform, the same answer for any other number.

    Whether a number is a line must not be learnt here (enumeration): any Belgian mobile number
    gets the same answer, under the same cooldown and limits, with the operator's sender name
    where the line's brand is not known. Only a line's code is sent.
    """
    sim = _login_line(msisdn=msisdn)
    return otp_request(
        msisdn=msisdn,
        client_ip=client_ip,
        sender_name=sim.brand.sms_sender_name if sim is not None else otp_sender_name_default(),
        language=language,
        deliver=sim is not None,
    )


def otp_login_verify(*, msisdn: str, code: str, client_ip: str | None) -> Sim:
    """Log in, step two: the line the accepted code was sent to.

    The code is checked before the line is looked up, so that a number that is not a line
    answers exactly as a line whose code is wrong, expired or never asked for.
    """
    try:
        e164 = normalize_msisdn(msisdn)
    except InvalidNumber as error:
        raise InvalidMsisdn() from error
    otp_verify(msisdn=e164, code=code, client_ip=client_ip)
    sim = _login_line(msisdn=e164)
    if sim is None:  # a code never sent was guessed: it is spent, and opens nothing
        raise OtpExpired()
    return sim


def otp_sender_name_default() -> str:
    """The sender name of the operator's main brand (where a number's own brand is unknown)."""
    operator = operator_get()
    brand = brand_for_operator(operator=operator)
    return brand.sms_sender_name if brand else operator.name[:SMS_SENDER_NAME_MAX_CHARS]


def _login_line(*, msisdn: str) -> Sim | None:
    """The line with this number, None for another Belgian mobile number (InvalidMsisdn else)."""
    try:
        return sim_get_by_msisdn(msisdn=msisdn)
    except SubscriberNotFound:
        return None


def otp_issued_from(*, one_time_code: OneTimeCode, sender_name: str) -> OtpIssued:
    return OtpIssued(
        sent_at=one_time_code.created_at,
        expires_at=one_time_code.expires_at,
        resend_available_at=one_time_code.created_at + dt.timedelta(seconds=OTP_RESEND_COOLDOWN_S),
        sender_name=sender_name,
    )


def _lock_for_issuing(*, msisdn: str, client_ip: str | None) -> None:
    """Serialise issuing per number and per address, so two requests cannot both pass a limit.

    There is no row to lock before the first code exists, so PostgreSQL takes transaction-scoped
    advisory locks (in a fixed order). SQLite needs none: IMMEDIATE transactions already
    serialise every writer.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({f"otp:msisdn:{msisdn}", *([f"otp:ip:{client_ip}"] if client_ip else [])})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_lock_id(key)])


def _advisory_lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _check_resend_cooldown(*, msisdn: str, now: dt.datetime) -> None:
    last = OneTimeCode.objects.filter(msisdn=msisdn).order_by("-created_at", "-id").first()
    if last is None:
        return
    resend_at = last.created_at + dt.timedelta(seconds=OTP_RESEND_COOLDOWN_S)
    if now < resend_at:
        raise OtpResendTooSoon(
            details={
                "retry_after_s": _seconds_until(resend_at, now=now),
                "last_sent_at": last.created_at.isoformat(),
            }
        )


def _check_issue_limits(*, msisdn: str, client_ip: str | None, now: dt.datetime) -> None:
    window_start = now - dt.timedelta(seconds=OTP_RATE_WINDOW_S)
    recent = OneTimeCode.objects.filter(created_at__gt=window_start)
    _check_window(recent.filter(msisdn=msisdn), limit=OTP_MAX_CODES_PER_MSISDN_PER_WINDOW, now=now)
    if client_ip:
        _check_window(
            recent.filter(client_ip=client_ip),
            limit=OTP_MAX_CODES_PER_CLIENT_IP_PER_WINDOW,
            now=now,
        )


def _check_window(codes: QuerySet[OneTimeCode], *, limit: int, now: dt.datetime) -> None:
    created = list(codes.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(created) < limit:
        return
    # The oldest of the last `limit` codes leaving the window frees one place.
    free_at = created[-1] + dt.timedelta(seconds=OTP_RATE_WINDOW_S)
    raise OtpRequestLimitReached(details={"retry_after_s": _seconds_until(free_at, now=now)})


def _seconds_until(moment: dt.datetime, *, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _code_generate() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(OTP_CODE_DIGITS))


def _code_hash(*, msisdn: str, code: str, salt: str) -> str:
    """Keyed with SECRET_KEY: a stolen table alone cannot be brute-forced over a million codes."""
    digest = salted_hmac(_OTP_HASH_KEY_SALT, f"{salt}:{msisdn}:{code}", algorithm="sha256")
    return f"{salt}${digest.hexdigest()}"


def _otp_sms_text(*, code: str, sender_name: str, language: str) -> str:
    with translation.override(_supported_language(language)):
        return gettext(
            "Your %(sender)s code: %(code)s. Valid for %(minutes)d minutes. "
            "We never ask for this code by phone."
        ) % {"sender": sender_name, "code": code, "minutes": OTP_TTL_S // 60}


def _supported_language(language: str) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    wanted = language.strip().lower()
    return wanted if wanted in supported else str(settings.LANGUAGE_CODE)


def _requester(*, msisdn: str, client_ip: str | None) -> Actor:
    # Not yet authenticated: whoever holds the number claims to be its subscriber.
    return Actor(actor_type="subscriber", actor_id=msisdn, ip_address=client_ip)


# --- One-time codes: verifying -------------------------------------------------------------


def otp_verify(*, msisdn: str, code: str, client_ip: str | None) -> None:
    """Accept the current code once, or raise; every wrong attempt is committed first."""
    msisdn = normalize_msisdn(msisdn)
    with transaction.atomic():
        _check_guess_limit(client_ip=client_ip)
        verification = _verification_record(msisdn=msisdn, code=code, client_ip=client_ip)
    error = _verification_error(verification)
    if error is not None:
        raise error


def _check_guess_limit(*, client_ip: str | None) -> None:
    """Refuse every code (right or wrong) from an address that typed too many wrong ones.

    Checked under a per-address lock on PostgreSQL, so that parallel guesses cannot all pass.
    """
    if not client_ip:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            lock_id = _advisory_lock_id(f"otp:guess:{client_ip}")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
    now = clock.now()
    recent = OtpWrongAttempt.objects.filter(
        client_ip=client_ip, at__gt=now - dt.timedelta(seconds=OTP_RATE_WINDOW_S)
    )
    limit = OTP_MAX_WRONG_CODES_PER_CLIENT_IP_PER_WINDOW
    typed = list(recent.order_by("-at").values_list("at", flat=True)[:limit])
    if len(typed) < limit:
        return
    free_at = typed[-1] + dt.timedelta(seconds=OTP_RATE_WINDOW_S)
    raise OtpGuessLimitReached(details={"retry_after_s": _seconds_until(free_at, now=now)})


def _verification_record(*, msisdn: str, code: str, client_ip: str | None) -> _Verification:
    current = (
        OneTimeCode.objects.select_for_update()
        .filter(msisdn=msisdn)
        .order_by("-created_at", "-id")
        .first()
    )
    now = clock.now()  # read after the lock: a wait must not make an expired code look fresh
    verification = _verification_decide(current=current, code=code, now=now)
    if current is not None:
        _verification_apply(current=current, verification=verification, now=now)
    if verification.wrong_attempt and client_ip:
        _wrong_attempt_record(msisdn=msisdn, client_ip=client_ip, now=now)
    audit_record(
        actor=_requester(msisdn=msisdn, client_ip=client_ip),
        action=f"otp.{verification.outcome.value}",
        object_type="one_time_code",
        object_id=current.pk if current is not None else "",
        data={"attempts_left": verification.attempts_left},
    )
    return verification


def _wrong_attempt_record(*, msisdn: str, client_ip: str, now: dt.datetime) -> None:
    """Count a wrong code against its address; the address's rows past the window go."""
    window_start = now - dt.timedelta(seconds=OTP_RATE_WINDOW_S)
    OtpWrongAttempt.objects.filter(client_ip=client_ip, at__lte=window_start).delete()
    OtpWrongAttempt.objects.create(msisdn=msisdn, client_ip=client_ip, at=now)


def _verification_decide(
    *, current: OneTimeCode | None, code: str, now: dt.datetime
) -> _Verification:
    if current is None or current.consumed_at is not None or current.invalidated_at is not None:
        return _Verification(_Outcome.NO_CODE, attempts_left=0)
    if current.attempts >= OTP_MAX_ATTEMPTS:
        return _Verification(_Outcome.TOO_MANY_ATTEMPTS, attempts_left=0)
    if now >= current.expires_at:
        return _Verification(_Outcome.EXPIRED, attempts_left=0)
    if _code_matches(current=current, code=code):
        return _Verification(_Outcome.ACCEPTED, attempts_left=0)
    attempts_left = OTP_MAX_ATTEMPTS - current.attempts - 1
    outcome = _Outcome.INVALID if attempts_left > 0 else _Outcome.TOO_MANY_ATTEMPTS
    return _Verification(outcome, attempts_left=attempts_left, wrong_attempt=True)


def _code_matches(*, current: OneTimeCode, code: str) -> bool:
    typed = "".join(code.split())[:OTP_CODE_MAX_INPUT_CHARS]  # "123 456" is what the SMS showed
    salt, _separator, _digest = current.code_hash.partition("$")
    candidate = _code_hash(msisdn=current.msisdn, code=typed, salt=salt)
    return constant_time_compare(candidate, current.code_hash)


def _verification_apply(
    *, current: OneTimeCode, verification: _Verification, now: dt.datetime
) -> None:
    if verification.outcome is _Outcome.ACCEPTED:
        current.consumed_at = now
        current.save(update_fields=["consumed_at"])
    elif verification.wrong_attempt:
        current.attempts += 1
        current.save(update_fields=["attempts"])


def _verification_error(verification: _Verification) -> ApplicationError | None:
    match verification.outcome:
        case _Outcome.ACCEPTED:
            return None
        case _Outcome.INVALID:
            return OtpInvalid(details={"attempts_left": verification.attempts_left})
        case _Outcome.TOO_MANY_ATTEMPTS:
            return OtpTooManyAttempts(details={"attempts_left": 0})
        case _Outcome.EXPIRED | _Outcome.NO_CODE:
            return OtpExpired()
