"""The platform's payment services: gateway registry, recorded gateway calls, incoming webhooks.

Every gateway call is timed, observed in metrics and stored as a PaymentAttempt, success or
failure. Call these outside any transaction that could roll back, or a failed attempt's record
is lost with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import structlog
from django.db import transaction

from topup.core import clock
from topup.core.errors import ApplicationError, JsonValue
from topup.core.metrics import PAYMENT_GATEWAY_SECONDS
from topup.core.rawsql import model_insert, models_insert_together
from topup.payments.gateway import (
    FailureCode,
    GatewayUnavailable,
    PaymentGateway,
    PaymentRefund,
    PaymentRequest,
    PaymentSession,
    PaymentState,
    PaymentStatus,
    RefundStatus,
    UnknownProvider,
    WebhookNotice,
    WebhookRejected,
)
from topup.payments.models import Payment, PaymentAttempt, PaymentOperation, WebhookEvent
from topup.payments.simulator.gateway import SimulatorGateway

logger = structlog.get_logger(__name__)

_GATEWAY_FACTORIES: dict[str, Callable[[], PaymentGateway]] = {"simulator": SimulatorGateway}


@dataclass
class _Call:
    """What one gateway call leaves behind for its attempt row."""

    provider: str
    operation: PaymentOperation
    reference: str
    request_summary: dict[str, JsonValue]
    payment: Payment | None = None
    started: float = field(default_factory=time.perf_counter)

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started


def payment_gateway_register(*, provider: str, factory: Callable[[], PaymentGateway]) -> None:
    """Make a provider's gateway available under its name (real providers register at start)."""
    _GATEWAY_FACTORIES[provider] = factory


def payment_gateway_get(*, provider: str) -> PaymentGateway:
    try:
        factory = _GATEWAY_FACTORIES[provider]
    except KeyError as error:
        raise UnknownProvider(provider) from error
    return factory()


def payment_create(
    *,
    request: PaymentRequest,
    provider: str,
    record_also: Callable[[PaymentSession], None] | None = None,
) -> PaymentSession:
    """Ask the provider for a payment; record the attempt and the platform's payment row.

    `record_also` runs in the transaction that records them, so that what the caller keeps of
    the session (the order's move to awaiting payment) commits with the record, or not at all.
    """
    gateway = payment_gateway_get(provider=provider)
    call = _Call(
        provider=provider,
        operation=PaymentOperation.CREATE,
        reference=request.reference,
        request_summary={
            "reference": request.reference,
            "idempotency_key": request.idempotency_key,
            "amount_cents": request.amount_cents,
            "currency": request.currency,
            "method": request.method,
        },
    )
    try:
        session = gateway.create_payment(request)
    except Exception as error:
        _attempt_failed(call, error=error)
        raise
    attempt = _attempt_succeeded(
        call,
        payment_id=None,  # the payment's row, inserted with it
        response_summary={
            "provider_payment_id": session.provider_payment_id,
            "status": session.status.value,
        },
    )
    with transaction.atomic():
        _payment_recorded(session=session, request=request, attempt=attempt)
        if record_also is not None:
            record_also(session)
    return session


def _payment_recorded(
    *, session: PaymentSession, request: PaymentRequest, attempt: PaymentAttempt
) -> None:
    """The payment's row, inserted unless the provider answered a replayed key with a payment
    already recorded, and the attempt that created it: one statement on PostgreSQL (INSERT ...
    ON CONFLICT DO NOTHING with the attempt's INSERT), not get_or_create's read, savepoint and
    insert, then an attempt's."""
    now = clock.now()
    row = Payment(
        provider=session.provider,
        provider_payment_id=session.provider_payment_id,
        reference=request.reference,
        amount_cents=request.amount_cents,
        currency=request.currency,
        method=request.method,
        status=session.status.value,
        created_at=now,
        updated_at=now,
    )
    if models_insert_together(row, attempt, unless_conflicting_on=_PAYMENT_KEY):
        return
    attempt.payment_id = Payment.objects.values_list("pk", flat=True).get(
        provider=session.provider, provider_payment_id=session.provider_payment_id
    )
    model_insert(attempt)


_PAYMENT_KEY: Final = ("provider", "provider_payment_id")


def payment_state_fetch(*, provider: str, provider_payment_id: str) -> PaymentState:
    """Ask the provider for the payment's current state (its word is final) and store it."""
    gateway = payment_gateway_get(provider=provider)
    known = Payment.objects.filter(
        provider=provider, provider_payment_id=provider_payment_id
    ).first()
    call = _Call(
        provider=provider,
        operation=PaymentOperation.GET,
        reference=known.reference if known is not None else "",
        request_summary={"provider_payment_id": provider_payment_id},
        payment=known,
    )
    try:
        state = gateway.get_payment(provider_payment_id)
    except Exception as error:
        _attempt_failed(call, error=error)
        raise
    with transaction.atomic():
        payment = _payment_row_store(state)
        attempt = _attempt_succeeded(
            call,
            payment_id=payment.pk,
            response_summary={"status": state.status.value, "failure_code": state.failure_code},
        )
        model_insert(attempt)
    return state


def _payment_row_store(state: PaymentState) -> Payment:
    now = clock.now()
    values: dict[str, object] = {
        "reference": state.reference,
        "amount_cents": state.amount_cents,
        "currency": state.currency,
        "method": state.method,
        "status": state.status.value,
        "failure_code": state.failure_code,
        "instrument_fingerprint": state.instrument_fingerprint[:64],
        "instrument_masked": state.instrument_masked[:32],
        "updated_at": now,
    }
    payment, _created = Payment.objects.update_or_create(
        provider=state.provider,
        provider_payment_id=state.provider_payment_id,
        defaults=values,
        create_defaults={**values, "created_at": now},
    )
    return payment


def payment_refund(
    *, provider: str, provider_payment_id: str, amount_cents: int, idempotency_key: str
) -> PaymentRefund:
    """Ask the provider to refund (part of) a payment; the same key never refunds twice.

    The attempt is stored whatever the answer; a refusal is an answer (status FAILED), an
    unreachable provider raises GatewayUnavailable. The payment row becomes REFUNDED once the
    provider's refunds reach its amount.
    """
    gateway = payment_gateway_get(provider=provider)
    known = Payment.objects.filter(
        provider=provider, provider_payment_id=provider_payment_id
    ).first()
    call = _Call(
        provider=provider,
        operation=PaymentOperation.REFUND,
        reference=known.reference if known is not None else "",
        request_summary={
            "provider_payment_id": provider_payment_id,
            "amount_cents": amount_cents,
            "idempotency_key": idempotency_key,
        },
        payment=known,
    )
    try:
        refund = gateway.refund_payment(
            provider_payment_id=provider_payment_id,
            amount_cents=amount_cents,
            idempotency_key=idempotency_key,
        )
    except Exception as error:
        _attempt_failed(call, error=error)
        raise
    with transaction.atomic():
        _refund_attempt_store(call, refund=refund)
        if known is not None and refund.status == RefundStatus.SUCCEEDED:
            _payment_row_refunded(payment_id=known.pk)
    return refund


def _refund_attempt_store(call: _Call, *, refund: PaymentRefund) -> None:
    succeeded = refund.status == RefundStatus.SUCCEEDED
    elapsed_s = call.elapsed_s()
    outcome = "ok" if succeeded else refund.failure_code or "refused"
    PAYMENT_GATEWAY_SECONDS.labels(call.provider, call.operation.value, outcome).observe(elapsed_s)
    attempt = _attempt_row(
        call,
        payment_id=call.payment.pk if call.payment is not None else None,
        succeeded=succeeded,
        error_code="" if succeeded else refund.failure_code or "refused",
        elapsed_s=elapsed_s,
        response_summary={
            "provider_refund_id": refund.provider_refund_id,
            "amount_cents": refund.amount_cents,
            "status": refund.status.value,
            "failure_code": refund.failure_code,
        },
    )
    model_insert(attempt)


def _payment_row_refunded(*, payment_id: int) -> None:
    """REFUNDED once the distinct refunds the provider confirmed reach the payment's amount.

    A replayed key is answered with the same refund id, so each refund counts once.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    confirmed: dict[str, int] = {}
    attempts = payment.attempts.filter(operation=PaymentOperation.REFUND, succeeded=True)
    for summary in attempts.values_list("response_summary", flat=True):
        if isinstance(summary, dict):
            refund_id, cents = summary.get("provider_refund_id"), summary.get("amount_cents")
            if isinstance(refund_id, str) and isinstance(cents, int):
                confirmed[refund_id] = cents
    if sum(confirmed.values()) >= payment.amount_cents:
        payment.status = PaymentStatus.REFUNDED.value
        payment.updated_at = clock.now()
        payment.save(update_fields=["status", "updated_at"])


def _attempt_succeeded(
    call: _Call, *, payment_id: int | None, response_summary: dict[str, JsonValue]
) -> PaymentAttempt:
    """The attempt's row, for the caller to insert with what it records of the answer."""
    elapsed_s = call.elapsed_s()
    PAYMENT_GATEWAY_SECONDS.labels(call.provider, call.operation.value, "ok").observe(elapsed_s)
    return _attempt_row(
        call,
        payment_id=payment_id,
        succeeded=True,
        error_code="",
        elapsed_s=elapsed_s,
        response_summary=response_summary,
    )


def _attempt_failed(call: _Call, *, error: Exception) -> None:
    elapsed_s = call.elapsed_s()
    error_code = _error_code(error)
    PAYMENT_GATEWAY_SECONDS.labels(call.provider, call.operation.value, error_code).observe(
        elapsed_s
    )
    attempt = _attempt_row(
        call,
        payment_id=call.payment.pk if call.payment is not None else None,
        succeeded=False,
        error_code=error_code,
        elapsed_s=elapsed_s,
        response_summary={"error_type": type(error).__name__},
    )
    model_insert(attempt)  # every gateway call stores one, success or failure
    log = logger.warning if isinstance(error, GatewayUnavailable) else logger.error
    log(
        "payment.gateway_call_failed",
        provider=call.provider,
        operation=call.operation.value,
        reference=call.reference,
        error_code=error_code,
    )


def _error_code(error: Exception) -> str:
    if isinstance(error, GatewayUnavailable):
        return FailureCode.PROVIDER_UNREACHABLE.value
    if isinstance(error, ApplicationError):
        return error.code
    return "unexpected_error"


def _attempt_row(
    call: _Call,
    *,
    payment_id: int | None,
    succeeded: bool,
    error_code: str,
    elapsed_s: float,
    response_summary: dict[str, JsonValue],
) -> PaymentAttempt:
    return PaymentAttempt(
        payment_id=payment_id,
        reference=call.reference[:64],
        provider=call.provider,
        operation=call.operation.value,
        succeeded=succeeded,
        error_code=error_code[:64],
        duration_ms=round(elapsed_s * 1000),
        request_summary=call.request_summary,
        response_summary=response_summary,
        at=clock.now(),
    )


def payment_webhook_receive(
    *, provider: str, body: bytes, headers: Mapping[str, str]
) -> WebhookNotice | None:
    """Verify and store an incoming webhook; None when this event was already received."""
    gateway = payment_gateway_get(provider=provider)
    try:
        notice = gateway.parse_webhook(body=body, headers=headers)
    except WebhookRejected as error:
        logger.warning("payment.webhook_rejected", provider=provider, reason=error.reason)
        raise
    _event, created = WebhookEvent.objects.get_or_create(
        provider=provider,
        event_id=notice.event_id,
        defaults={
            "event_type": notice.event_type,
            "provider_payment_id": notice.provider_payment_id,
            "body": body.decode("utf-8", errors="replace"),
            "received_at": clock.now(),
        },
    )
    if not created:
        logger.info("payment.webhook_duplicate", provider=provider, event_id=notice.event_id)
        return None
    return notice
