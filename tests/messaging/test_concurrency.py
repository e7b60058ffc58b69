"""On PostgreSQL, concurrent requests cannot beat the attempt counter or the resend cooldown."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from topup.core.errors import ApplicationError
from topup.messaging.models import OneTimeCode
from topup.messaging.services import OTP_MAX_ATTEMPTS, otp_request, otp_verify

from .conftest import code_on_handset

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NUMBER = "+32470000001"
THREADS = 16


def _race(action: Callable[[], object]) -> Counter[str]:
    """Run `action` in THREADS threads released together; count outcomes by error code."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def run() -> None:
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

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_wrong_codes_count_every_attempt_and_never_more_than_the_limit() -> None:
    otp_request(msisdn=NUMBER, client_ip=None, sender_name="Topup", language="en")
    code = code_on_handset(NUMBER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    outcomes = _race(lambda: otp_verify(msisdn=NUMBER, code=wrong, client_ip=None))

    assert outcomes == Counter(
        {
            "otp_invalid": OTP_MAX_ATTEMPTS - 1,
            "otp_too_many_attempts": THREADS - OTP_MAX_ATTEMPTS + 1,
        }
    )
    assert OneTimeCode.objects.get().attempts == OTP_MAX_ATTEMPTS


def test_a_code_is_accepted_by_exactly_one_of_many_concurrent_logins() -> None:
    otp_request(msisdn=NUMBER, client_ip=None, sender_name="Topup", language="en")
    code = code_on_handset(NUMBER)

    outcomes = _race(lambda: otp_verify(msisdn=NUMBER, code=code, client_ip=None))

    assert outcomes == Counter({"ok": 1, "otp_expired": THREADS - 1})


def test_concurrent_requests_send_one_code_inside_the_cooldown() -> None:
    outcomes = _race(
        lambda: otp_request(
            msisdn=NUMBER, client_ip="192.0.2.1", sender_name="Topup", language="en"
        )
    )
    assert outcomes == Counter({"ok": 1, "rate_limited": THREADS - 1})
    assert OneTimeCode.objects.count() == 1
