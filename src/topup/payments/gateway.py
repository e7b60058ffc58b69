"""The payment gateway port: plain dataclasses in and out; gateways never see ORM objects."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # created, or being processed by the provider
    CAPTURED = "captured"  # the money is taken
    FAILED = "failed"  # refused: see failure_code
    CANCELED = "canceled"  # abandoned or expired at the provider
    REFUNDED = "refunded"


class FailureCode(enum.StrEnum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    CARD_DECLINED = "card_declined"
    PROCESSING_ERROR = "processing_error"
    PROVIDER_UNREACHABLE = "provider_unreachable"
    CANCELED_BY_CUSTOMER = "canceled_by_customer"
    EXPIRED = "expired"


@dataclass(frozen=True)
class PaymentRequest:
    reference: str  # our order id
    idempotency_key: str
    amount_cents: int
    currency: str
    method: str
    description: str
    return_url: str
    webhook_url: str
    language: str


@dataclass(frozen=True)
class PaymentSession:
    provider: str
    provider_payment_id: str
    redirect_url: str
    status: PaymentStatus


@dataclass(frozen=True)
class PaymentState:
    provider: str
    provider_payment_id: str
    reference: str
    status: PaymentStatus
    amount_cents: int
    currency: str
    method: str
    failure_code: str = ""
    instrument_fingerprint: str = ""  # the provider's token-derived fingerprint, never a PAN
    instrument_masked: str = ""  # e.g. "•••• 4242"


class RefundStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused by the provider: see failure_code; retrying the key refuses again


class RefundFailureCode(enum.StrEnum):
    PAYMENT_UNKNOWN = "payment_unknown"
    PAYMENT_NOT_CAPTURED = "payment_not_captured"
    AMOUNT_EXCEEDS_CAPTURED = "amount_exceeds_captured"


@dataclass(frozen=True)
class PaymentRefund:
    """The provider's answer to a refund request; the same idempotency key gives the same answer."""

    provider: str
    provider_refund_id: str
    provider_payment_id: str
    amount_cents: int
    status: RefundStatus
    failure_code: str = ""


@dataclass(frozen=True)
class WebhookNotice:
    """What a verified webhook says: which payment changed. Its state is then fetched."""

    provider: str
    event_id: str
    event_type: str
    provider_payment_id: str


class GatewayUnavailable(Exception):
    """The provider could not be reached or answered with an error; safe to retry."""


class WebhookRejected(Exception):
    """A webhook whose signature, timestamp or shape is not acceptable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownProvider(LookupError):
    """No gateway is registered under this provider name: a configuration bug."""


class PaymentGateway(Protocol):
    name: str

    def create_payment(self, request: PaymentRequest) -> PaymentSession: ...

    def get_payment(self, provider_payment_id: str) -> PaymentState: ...

    def refund_payment(
        self, *, provider_payment_id: str, amount_cents: int, idempotency_key: str
    ) -> PaymentRefund: ...

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotice: ...
