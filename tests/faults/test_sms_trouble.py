"""SMS trouble: the SMS gateway refuses messages. The login code is retried (with backoff) and
the customer sees on the code page that it is delayed, then that it failed for good; a receipt
SMS waits for the gateway and goes out once it is back. The money never waits for the SMS.

The retry schedule itself is tested in-process in tests/messaging/test_sms_sending.py; here it
runs through gunicorn and the worker, with a gateway that really refuses connections.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from django.test import Client as DjangoClient

from tests.faults.conftest import stack_failure_logs
from tests.faults.load import Client, Load
from tests.faults.scenario import drain_and_check, settle
from tests.faults.seed import LOAD_LINES
from tests.faults.stack import Stack
from tests.faults.switches import SMS_GATEWAY_NAME, sms_down
from topup.messaging.models import SmsMessage
from topup.messaging.selectors import SmsDelivery, sms_delivery
from topup.messaging.tasks import SMS_MAX_ATTEMPTS

WAIT_S = 30.0


def _sms_rows(database_url: str, msisdn: str, purpose: str) -> list[tuple[str, int]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT status, attempts FROM messaging_smsmessage WHERE msisdn = %s AND purpose = %s "
            "ORDER BY id",
            (msisdn, purpose),
        ).fetchall()
    return [(str(status), int(attempts)) for status, attempts in rows]


def _attempted(database_url: str, msisdn: str, purpose: str) -> bool:
    """The last such SMS to this number has had at least one (refused) attempt."""
    rows = _sms_rows(database_url, msisdn, purpose)
    return bool(rows) and rows[-1][1] >= 1


def _wait_for(condition: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {WAIT_S:g}s for: {condition}")


def _login_started(load: Load, msisdn: str) -> Client:
    client = Client(load.base_url, load.report, load.deadline)
    answer = client.send(
        "web.login", lambda b: b.post_form("/login", {"msisdn": msisdn}, csrf_from="/login")
    )
    assert answer.status == 302, answer.body[:500]
    return client


def _code_page(client: Client) -> str:
    answer = client.send("web.code", lambda b: b.request("GET", "/login/code"))
    assert answer.status == 200, answer.status
    return answer.body


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_failing_sms_gateway_delays_the_code_and_the_customer_is_told(
    fault_database: str, fault_workdir: Path, make_stack: list[Stack]
) -> None:
    stack = Stack(
        database_url=fault_database,
        workdir=fault_workdir,
        trouble=True,
        extra_env={"TOPUP_SMS_GATEWAY": SMS_GATEWAY_NAME},
    )
    make_stack.append(stack)
    stack.start()
    load = Load(
        base_url=stack.base_url,
        database_url=stack.database_url,
        deadline=time.monotonic() + 180,
        stop=threading.Event(),
        rng=random.Random(5),
    )
    url = stack.database_url
    sms_down(stack.workdir, down=True)

    # The code is refused by the gateway once: the page says it is delayed, not just "sent".
    delayed_line = LOAD_LINES[30]
    customer = _login_started(load, delayed_line)
    _wait_for("a first refused attempt", lambda: _attempted(url, delayed_line, "otp"))
    page = _code_page(customer)
    assert 'id="code-delayed"' in page and 'id="code-failed"' not in page

    # A top-up is credited while the gateway is down: the money does not wait for the receipt.
    client = Client(stack.base_url, load.report, load.deadline)
    order = load.topup_create(client, msisdn=delayed_line)
    assert load.topup_pay(client, order, card="4242424242424242")
    _wait_for("the credit and a refused receipt", lambda: _attempted(url, delayed_line, "receipt"))

    # The gateway is back: the retries deliver the code and the receipt; the login works.
    sms_down(stack.workdir, down=False)
    settle(url)
    for purpose in ("otp", "receipt"):
        [(status, attempts)] = _sms_rows(url, delayed_line, purpose)
        assert (status, attempts >= 2) == ("sent", True), (purpose, status, attempts)
    code = load._otp_code(delayed_line, after_id=0)
    assert code is not None
    answer = customer.send("web.code", lambda b: b.post_form("/login/code", {"code": code}))
    assert (answer.status, answer.location) == (302, "/account"), answer.body[:300]

    # Down for good: every try fails, and the page says so with what to do next.
    sms_down(stack.workdir, down=True)
    failed_line = LOAD_LINES[31]
    other = _login_started(load, failed_line)
    settle(url)  # time passes: all the retries happen, and fail
    assert _sms_rows(url, failed_line, "otp") == [("failed", SMS_MAX_ATTEMPTS)]
    page = _code_page(other)
    assert 'id="code-failed"' in page and 'id="code-delayed"' not in page
    sms_down(stack.workdir, down=False)

    result = drain_and_check(stack, load, workdir=fault_workdir)
    assert result.violations == [], f"{result.note()}\n{stack_failure_logs(stack)}"
    assert result.figures["sms_by_status"] == {"failed": 1, "sent": 2}, result.note()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "attempts", "expected"),
    [
        ("queued", 0, SmsDelivery.SENDING),
        ("queued", 2, SmsDelivery.DELAYED),
        ("sent", 3, SmsDelivery.SENT),
        ("failed", 5, SmsDelivery.FAILED),
    ],
)
def test_the_delivery_a_customer_is_told_follows_the_attempts(
    status: str, attempts: int, expected: SmsDelivery
) -> None:
    sms = SmsMessage(status=status, attempts=attempts)
    assert sms_delivery(sms=sms) == expected


@pytest.mark.django_db
def test_the_code_page_says_the_code_is_delayed_then_failed(client: DjangoClient) -> None:
    from topup.cli.demo_data import demo_data_load
    from topup.messaging.models import OneTimeCode

    demo_data_load()
    response = client.post("/login", {"msisdn": "0470 00 00 01"})
    assert response.status_code == 302
    sms = OneTimeCode.objects.get().sms
    assert 'id="code-delayed"' not in client.get("/login/code").content.decode()

    SmsMessage.objects.filter(pk=sms.pk).update(attempts=1, last_error="refused")
    page = client.get("/login/code").content.decode()
    assert 'id="code-delayed"' in page and "DemoMobile" in page

    SmsMessage.objects.filter(pk=sms.pk).update(status="failed", attempts=SMS_MAX_ATTEMPTS)
    page = client.get("/login/code").content.decode()
    assert 'id="code-failed"' in page and 'id="code-delayed"' not in page
