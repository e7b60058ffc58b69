"""The `outbox` gateway, the embedded default: nothing leaves the machine; a table is the phone."""

from __future__ import annotations

import uuid

from topup.core import clock
from topup.messaging.models import OutboxMessage
from topup.messaging.ports import OutgoingSms, SmsSendResult


class OutboxGateway:
    name = "outbox"

    def send(self, message: OutgoingSms) -> SmsSendResult:
        gateway_message_id = f"outbox-{uuid.uuid4().hex}"
        OutboxMessage.objects.create(
            gateway_message_id=gateway_message_id,
            msisdn=message.msisdn,
            sender_name=message.sender_name,
            body=message.body,
            received_at=clock.now(),
        )
        return SmsSendResult(accepted=True, gateway_message_id=gateway_message_id)
