"""Reads over SMS messages and one-time codes."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from topup.messaging.models import OneTimeCode, OutboxMessage, SmsMessage, SmsStatus

SMS_OUTBOX_MAX_ROWS = 200


@dataclass(frozen=True)
class SmsOutboxEntry:
    """One message to a number as its handset would show it, with the platform's status."""

    created_at: dt.datetime
    sent_at: dt.datetime | None
    sender_name: str
    status: str
    purpose: str
    body: str


def sms_outbox_list(*, msisdn: str, last_only: bool = False) -> list[SmsOutboxEntry]:
    """Newest first. The text comes from the outbox (the handset) when it was delivered there."""
    messages = list(
        SmsMessage.objects.filter(msisdn=msisdn).order_by("-created_at", "-id")[
            : 1 if last_only else SMS_OUTBOX_MAX_ROWS
        ]
    )
    delivered = dict(
        OutboxMessage.objects.filter(
            gateway_message_id__in=[m.gateway_message_id for m in messages if m.gateway_message_id]
        ).values_list("gateway_message_id", "body")
    )
    return [
        SmsOutboxEntry(
            created_at=message.created_at,
            sent_at=message.sent_at,
            sender_name=message.sender_name,
            status=message.status,
            purpose=message.purpose,
            body=delivered.get(message.gateway_message_id, message.body),
        )
        for message in messages
    ]


def otp_last_issued(*, msisdn: str) -> OneTimeCode | None:
    """The number's newest code (for "when was the last code sent"), whatever its state."""
    return OneTimeCode.objects.filter(msisdn=msisdn).order_by("-created_at", "-id").first()


class SmsDelivery(enum.StrEnum):
    """How an SMS is doing, as the person waiting for it is told."""

    SENT = "sent"  # the gateway took it
    SENDING = "sending"  # not tried yet: it goes out in a moment
    DELAYED = "delayed"  # the gateway refused a try; it is tried again (sms_deliver's backoff)
    FAILED = "failed"  # every try failed: it will not arrive


def sms_delivery(*, sms: SmsMessage) -> SmsDelivery:
    if sms.status == SmsStatus.SENT:
        return SmsDelivery.SENT
    if sms.status == SmsStatus.FAILED:
        return SmsDelivery.FAILED
    return SmsDelivery.DELAYED if sms.attempts > 0 else SmsDelivery.SENDING


def otp_delivery(*, one_time_code: OneTimeCode) -> SmsDelivery:
    """How a login code's SMS is doing; a code never sent (not a line) shows as on its way."""
    if one_time_code.sms is None:
        return SmsDelivery.SENDING
    return sms_delivery(sms=one_time_code.sms)
