"""Background delivery of SMS: hand one message to the configured gateway, retry with backoff."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import structlog
from django.db import transaction
from django_tasks import task

from topup.core import clock
from topup.core.metrics import SMS_SENT
from topup.messaging.gateways import sms_gateway_configured
from topup.messaging.models import SmsMessage, SmsPurpose, SmsStatus
from topup.messaging.ports import OutgoingSms, SmsGateway, SmsSendResult

SMS_MAX_ATTEMPTS = 5
SMS_RETRY_BASE_DELAY_S = 10  # then 30, 90, 270 s: about 7 minutes from first try to giving up
SMS_RETRY_FACTOR = 3
SMS_ERROR_MAX_CHARS = 255
# Login codes go first: a customer waits on the code page while the code is in the queue, and a
# backlog of receipts and webhooks (a busy hour, a worker back after a crash) must not hold it
# until it expires. Other messages keep the default priority.
OTP_TASK_PRIORITY = 10

# A one-time code in a stored OTP body is masked once the gateway has it: the record outlives the
# code's usefulness to the customer, but a leaked live code would let anyone log in. So is the
# reference in a booking confirmation (XXXX-XXXX), which cancels the booking.
_OTP_DIGITS = re.compile(r"\d{4,}")
_BOOKING_REFERENCE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")
_SECRETS_BY_PURPOSE = {SmsPurpose.OTP: _OTP_DIGITS, SmsPurpose.BOOKING: _BOOKING_REFERENCE}

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Claimed:
    message: OutgoingSms
    attempt: int


def sms_retry_delay_s(*, attempt: int) -> int:
    """Delay before the attempt after `attempt` (1-based)."""
    return int(SMS_RETRY_BASE_DELAY_S * SMS_RETRY_FACTOR ** (attempt - 1))


def sms_task_priority(*, purpose: str) -> int:
    return OTP_TASK_PRIORITY if purpose == SmsPurpose.OTP else 0


@task(queue_name="sms")
def sms_deliver(sms_message_id: int) -> None:
    claimed = _attempt_claim(sms_message_id=sms_message_id)
    if claimed is None:
        return  # already sent or given up: a duplicate task must not send twice
    gateway = sms_gateway_configured()
    result = _gateway_send(gateway=gateway, message=claimed.message)
    _attempt_record(
        sms_message_id=sms_message_id,
        gateway_name=gateway.name,
        attempt=claimed.attempt,
        result=result,
    )


def _attempt_claim(*, sms_message_id: int) -> _Claimed | None:
    with transaction.atomic():
        sms = SmsMessage.objects.select_for_update().get(pk=sms_message_id)
        if sms.status != SmsStatus.QUEUED or sms.attempts >= SMS_MAX_ATTEMPTS:
            return None
        sms.attempts += 1
        sms.save(update_fields=["attempts"])
    message = OutgoingSms(
        reference=str(sms.pk), msisdn=sms.msisdn, sender_name=sms.sender_name, body=sms.body
    )
    return _Claimed(message=message, attempt=sms.attempts)


def _gateway_send(*, gateway: SmsGateway, message: OutgoingSms) -> SmsSendResult:
    try:
        return gateway.send(message)
    except Exception as error:  # any gateway failure is one failed attempt, not a crash
        # Only the exception type: provider messages may echo the number or the text.
        logger.warning("sms.gateway_error", gateway=gateway.name, error_type=type(error).__name__)
        return SmsSendResult(accepted=False, error=f"gateway raised {type(error).__name__}")


def _attempt_record(
    *, sms_message_id: int, gateway_name: str, attempt: int, result: SmsSendResult
) -> None:
    with transaction.atomic():
        sms = SmsMessage.objects.select_for_update().get(pk=sms_message_id)
        sms.gateway = gateway_name
        if result.accepted:
            _mark_sent(sms=sms, result=result)
        elif attempt >= SMS_MAX_ATTEMPTS:
            _mark_failed(sms=sms, error=result.error)
        else:
            sms.last_error = result.error[:SMS_ERROR_MAX_CHARS]
            sms.save(update_fields=["gateway", "last_error"])
            run_after = clock.now() + dt.timedelta(seconds=sms_retry_delay_s(attempt=attempt))
            priority = sms_task_priority(purpose=sms.purpose)
            sms_deliver.using(run_after=run_after, priority=priority).enqueue(sms_message_id=sms.pk)
    outcome = "sent" if result.accepted else "failed"
    SMS_SENT.labels(gateway=gateway_name, outcome=outcome).inc()
    logger.info(
        "sms.attempt",
        sms_id=sms_message_id,
        gateway=gateway_name,
        purpose=sms.purpose,
        attempt=attempt,
        outcome=outcome,
        status=sms.status,
    )


def _mark_sent(*, sms: SmsMessage, result: SmsSendResult) -> None:
    sms.status = SmsStatus.SENT
    sms.sent_at = clock.now()
    sms.gateway_message_id = result.gateway_message_id[:64]
    sms.last_error = ""
    sms.body = _body_at_rest(sms=sms)
    sms.save(
        update_fields=["status", "sent_at", "gateway", "gateway_message_id", "last_error", "body"]
    )


def _mark_failed(*, sms: SmsMessage, error: str) -> None:
    sms.status = SmsStatus.FAILED
    sms.last_error = error[:SMS_ERROR_MAX_CHARS]
    sms.body = _body_at_rest(sms=sms)
    sms.save(update_fields=["status", "gateway", "last_error", "body"])
    # A customer is waiting for this text: failing for good is an operations problem.
    logger.error("sms.failed", sms_id=sms.pk, gateway=sms.gateway, purpose=sms.purpose)


def _body_at_rest(*, sms: SmsMessage) -> str:
    secret = _SECRETS_BY_PURPOSE.get(SmsPurpose(sms.purpose))
    if secret is None:
        return sms.body
    return secret.sub(lambda match: re.sub(r"\w", "•", match.group()), sms.body)
