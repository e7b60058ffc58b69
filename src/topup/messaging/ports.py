"""The SMS port: gateways take and return plain dataclasses and never see ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingSms:
    """What a gateway needs to deliver one SMS. `reference` is our id, for the gateway's logs."""

    reference: str
    msisdn: str  # E.164
    sender_name: str
    body: str


@dataclass(frozen=True)
class SmsSendResult:
    """A gateway's answer: accepted with its message id, or refused with a reason (no body)."""

    accepted: bool
    gateway_message_id: str = ""
    error: str = ""


class SmsGateway(Protocol):
    name: str

    def send(self, message: OutgoingSms) -> SmsSendResult: ...
