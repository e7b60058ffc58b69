"""The simulator behind the gateway port: it calls the simulator's services in-process."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from django.conf import settings

from topup.core import clock
from topup.core.errors import NotFound
from topup.payments.gateway import (
    GatewayUnavailable,
    PaymentRefund,
    PaymentRequest,
    PaymentSession,
    PaymentState,
    PaymentStatus,
    RefundFailureCode,
    RefundStatus,
    WebhookNotice,
    WebhookRejected,
)
from topup.payments.simulator import services
from topup.payments.simulator.cards import card_masked
from topup.payments.simulator.models import SimulatorPayment
from topup.payments.simulator.signature import SIGNATURE_HEADER, signature_verify

MAX_WEBHOOK_BODY_BYTES: Final = 64 * 1024


class SimulatorGateway:
    name = "simulator"

    def create_payment(self, request: PaymentRequest) -> PaymentSession:
        try:
            payment = services.simulator_payment_create(request=request)
        except services.SimulatorOutage as error:
            raise GatewayUnavailable("the simulator's outage switch is on") from error
        return PaymentSession(
            provider=self.name,
            provider_payment_id=payment.id,
            redirect_url=services.simulator_payment_page_url(payment_id=payment.id),
            status=PaymentStatus(payment.status),
        )

    def get_payment(self, provider_payment_id: str) -> PaymentState:
        self._refuse_during_outage()
        payment = services.simulator_payment_get(payment_id=provider_payment_id)
        return _payment_state(payment, provider=self.name)

    def refund_payment(
        self, *, provider_payment_id: str, amount_cents: int, idempotency_key: str
    ) -> PaymentRefund:
        self._refuse_during_outage()
        try:
            refund = services.simulator_refund_create(
                payment_id=provider_payment_id,
                amount_cents=amount_cents,
                idempotency_key=idempotency_key,
            )
        except NotFound:
            return PaymentRefund(
                provider=self.name,
                provider_refund_id="",
                provider_payment_id=provider_payment_id,
                amount_cents=amount_cents,
                status=RefundStatus.FAILED,
                failure_code=RefundFailureCode.PAYMENT_UNKNOWN.value,
            )
        return PaymentRefund(
            provider=self.name,
            provider_refund_id=refund.id,
            provider_payment_id=refund.payment_id,
            amount_cents=refund.amount_cents,
            status=RefundStatus(refund.status),
            failure_code=refund.failure_code,
        )

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        if len(body) > MAX_WEBHOOK_BODY_BYTES:
            raise WebhookRejected("body_too_large")
        signature_verify(
            secret=settings.TOPUP_SIMULATOR_WEBHOOK_SECRET,
            body=body,
            header=_header_get(headers, SIGNATURE_HEADER),
            now_unix=int(clock.now().timestamp()),
        )
        return _notice_parse(body, provider=self.name)

    @staticmethod
    def _refuse_during_outage() -> None:
        if services.simulator_settings_get().outage:
            raise GatewayUnavailable("the simulator's outage switch is on")


def _payment_state(payment: SimulatorPayment, *, provider: str) -> PaymentState:
    return PaymentState(
        provider=provider,
        provider_payment_id=payment.id,
        reference=payment.reference,
        status=PaymentStatus(payment.status),
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        method=payment.method,
        failure_code=payment.failure_code,
        instrument_fingerprint=payment.card_fingerprint,
        instrument_masked=card_masked(payment.card_last4),
    )


def _header_get(headers: Mapping[str, str], name: str) -> str | None:
    """HTTP header names are case-insensitive, whatever mapping the caller passes."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _notice_parse(body: bytes, *, provider: str) -> WebhookNotice:
    try:
        event = json.loads(body)
        data = event["data"]
        fields = (event["id"], event["type"], data["payment_id"])
    except (ValueError, TypeError, KeyError) as error:
        raise WebhookRejected("malformed_body") from error
    if not all(isinstance(field, str) and 0 < len(field) <= 100 for field in fields):
        raise WebhookRejected("malformed_body")
    event_id, event_type, payment_id = fields
    return WebhookNotice(
        provider=provider, event_id=event_id, event_type=event_type, provider_payment_id=payment_id
    )
