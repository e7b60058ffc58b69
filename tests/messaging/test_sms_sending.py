"""Sending SMS through the real worker: the outbox, retries with backoff, giving up, no leaks."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY

from topup.core.worker import worker_drain
from topup.messaging.models import OutboxMessage, SmsMessage, SmsPurpose, SmsStatus
from topup.messaging.services import messaging_sms_send, otp_request
from topup.messaging.tasks import SMS_MAX_ATTEMPTS, sms_deliver, sms_retry_delay_s

from .conftest import FlakyGateway, make_retries_due

pytestmark = pytest.mark.django_db

NUMBER = "+32470000001"


def _sent_count(gateway: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "topup_sms_sent_total", {"gateway": gateway, "outcome": outcome}
    )
    return value or 0.0


def test_a_queued_sms_reaches_the_outbox_through_the_worker() -> None:
    before = _sent_count("outbox", "sent")
    sms = messaging_sms_send(
        msisdn="0470 00 00 01",
        body="Your top-up of € 10.00 is credited.",
        sender_name="Topup",
        purpose=SmsPurpose.RECEIPT,
    )
    assert sms.status == SmsStatus.QUEUED and sms.msisdn == NUMBER
    assert not OutboxMessage.objects.exists()  # nothing is sent until the worker runs

    assert worker_drain() == 1

    sms.refresh_from_db()
    delivered = OutboxMessage.objects.get()
    assert (sms.status, sms.attempts, sms.gateway) == (SmsStatus.SENT, 1, "outbox")
    assert sms.sent_at is not None and sms.gateway_message_id == delivered.gateway_message_id
    assert (delivered.msisdn, delivered.sender_name) == (NUMBER, "Topup")
    assert delivered.body == "Your top-up of € 10.00 is credited."
    assert _sent_count("outbox", "sent") == before + 1


def test_the_task_is_enqueued_in_the_senders_transaction() -> None:
    class Abort(Exception):
        pass

    from django.db import transaction

    with pytest.raises(Abort), transaction.atomic():
        messaging_sms_send(
            msisdn=NUMBER, body="hello", sender_name="Topup", purpose=SmsPurpose.ALERT
        )
        raise Abort
    assert not SmsMessage.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_duplicate_task_does_not_send_twice() -> None:
    sms = messaging_sms_send(
        msisdn=NUMBER, body="hello", sender_name="Topup", purpose=SmsPurpose.ALERT
    )
    sms_deliver.enqueue(sms_message_id=sms.pk)
    assert worker_drain() == 2
    assert OutboxMessage.objects.count() == 1
    sms.refresh_from_db()
    assert sms.attempts == 1


@pytest.mark.parametrize("raises", [False, True])
def test_a_failing_gateway_is_retried_with_backoff_until_it_accepts(
    flaky_gateway: Callable[..., FlakyGateway], raises: bool
) -> None:
    gateway = flaky_gateway(failures=2, raises=raises)
    sms = messaging_sms_send(
        msisdn=NUMBER, body="hello", sender_name="Topup", purpose=SmsPurpose.ALERT
    )

    assert worker_drain() == 1  # first attempt fails; the retry waits for its backoff
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (SmsStatus.QUEUED, 1)
    assert sms.last_error
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.queue_name == "sms"
    waited_s = (retry.run_after - retry.enqueued_at).total_seconds()
    assert waited_s == pytest.approx(sms_retry_delay_s(attempt=1), abs=2)
    assert worker_drain() == 0  # not due yet

    make_retries_due()
    worker_drain()
    make_retries_due()
    worker_drain()

    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.gateway) == (SmsStatus.SENT, 3, "flaky")
    assert sms.gateway_message_id == "flaky-3" and sms.last_error == ""
    assert len(gateway.calls) == 3
    assert gateway.calls[0].msisdn == NUMBER and gateway.calls[0].reference == str(sms.pk)


def test_a_message_is_marked_failed_after_the_last_attempt(
    flaky_gateway: Callable[..., FlakyGateway],
) -> None:
    gateway = flaky_gateway(failures=100)
    before = _sent_count("flaky", "failed")
    sms = messaging_sms_send(
        msisdn=NUMBER, body="hello", sender_name="Topup", purpose=SmsPurpose.ALERT
    )

    for _ in range(SMS_MAX_ATTEMPTS + 3):
        worker_drain()
        make_retries_due()

    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (SmsStatus.FAILED, SMS_MAX_ATTEMPTS)
    assert sms.last_error == "provider said: throttled"
    assert len(gateway.calls) == SMS_MAX_ATTEMPTS
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert _sent_count("flaky", "failed") == before + SMS_MAX_ATTEMPTS


def test_backoff_grows_and_gives_up_within_ten_minutes() -> None:
    delays = [sms_retry_delay_s(attempt=a) for a in range(1, SMS_MAX_ATTEMPTS)]
    assert delays == sorted(delays) and len(set(delays)) == len(delays)
    assert sum(delays) < 600


def test_an_otp_code_is_on_the_handset_but_not_in_the_record_or_the_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    otp_request(msisdn=NUMBER, client_ip="192.0.2.1", sender_name="Topup", language="en")
    queued = SmsMessage.objects.get()
    code = queued.body.split("code: ")[1][:6]
    assert code.isdigit()

    worker_drain()

    handset = OutboxMessage.objects.get()
    assert code in handset.body
    queued.refresh_from_db()
    assert queued.status == SmsStatus.SENT
    assert code not in queued.body and "••••••" in queued.body
    logged = "\n".join(f"{record.msg} {record.args}" for record in caplog.records)
    assert "sms.attempt" in logged  # the delivery was logged, so the next line means something
    assert code not in logged and NUMBER not in logged
