"""The simulator playing the provider: its payments' lives, the hosted page's answers, webhooks,
refunds.

Every status change and the webhooks it causes are written in one transaction, so a webhook is
queued exactly when the change is committed. A refund is answered synchronously by its API call
and sends no webhook: the platform learns its outcome from the answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import secrets
from typing import Final

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse

from topup.core import clock
from topup.core.errors import Conflict, InvariantViolation, JsonValue, NotFound
from topup.core.prepared import HotQuery, hot_query
from topup.core.rawsql import model_columns, model_insert, models_from_rows
from topup.payments.gateway import (
    FailureCode,
    PaymentRequest,
    PaymentStatus,
    RefundFailureCode,
    RefundStatus,
)
from topup.payments.simulator.cards import card_fingerprint, card_outcome
from topup.payments.simulator.models import (
    MAX_LATE_DELAY_S,
    SimulatorPayment,
    SimulatorRefund,
    SimulatorSettings,
    SimulatorWebhookDelivery,
    WebhookMode,
)
from topup.payments.simulator.webhooks import EVENT_TYPE
from topup.payments.tasks import simulator_payment_resolve_task, simulator_webhook_deliver_task

DEFAULT_PENDING_RESOLVE_S: Final = 20
_ID_BYTES: Final = 15  # 120 random bits: 24 characters of base32


def _random_id(prefix: str) -> str:
    """`prefix` and 24 characters of a-z, 2-7 (one call for all the randomness: this runs for
    every payment)."""
    return prefix + base64.b32encode(secrets.token_bytes(_ID_BYTES)).decode().lower()


def simulator_settings_get() -> SimulatorSettings:
    # Read on every payment the simulator creates: a statement written once; the ORM's
    # get_or_create only the first time, when the row is missing.
    found = models_from_rows(
        SimulatorSettings, _settings_query().rows([SimulatorSettings.SINGLETON_ID])
    )
    if found:
        return found[0]
    settings_row, _created = SimulatorSettings.objects.get_or_create(
        id=SimulatorSettings.SINGLETON_ID
    )
    return settings_row


@functools.cache
def _settings_query() -> HotQuery:
    return hot_query(
        f"SELECT {model_columns(SimulatorSettings, 's')} FROM {SimulatorSettings._meta.db_table} s"  # noqa: S608 - fixed
        " WHERE s.id = %s"
    )


def simulator_settings_update(
    *,
    webhook_mode: WebhookMode | str | None = None,
    late_delay_s: int | None = None,
    outage: bool | None = None,
) -> SimulatorSettings:
    """Switch how the simulator behaves; arguments left at None keep their value."""
    if webhook_mode is not None and webhook_mode not in WebhookMode.values:
        raise ValueError(f"unknown webhook mode {webhook_mode!r}")
    if late_delay_s is not None and not 0 <= late_delay_s <= MAX_LATE_DELAY_S:
        raise ValueError(f"late_delay_s must be within 0..{MAX_LATE_DELAY_S}")
    with transaction.atomic():
        simulator_settings_get()
        row = SimulatorSettings.objects.select_for_update().get(id=SimulatorSettings.SINGLETON_ID)
        if webhook_mode is not None:
            row.webhook_mode = str(webhook_mode)
        if late_delay_s is not None:
            row.late_delay_s = late_delay_s
        if outage is not None:
            row.outage = outage
        row.save()
    return row


def simulator_payment_page_url(*, payment_id: str) -> str:
    path = reverse("simulator:pay", kwargs={"payment_id": payment_id})
    return f"{settings.TOPUP_PUBLIC_URL}{path}"


class SimulatorOutage(Exception):
    """The outage switch is on: the simulator answers nothing, as a provider that is down."""


_NO_OUTAGE: Final = (
    f"NOT EXISTS (SELECT 1 FROM {SimulatorSettings._meta.db_table}"  # noqa: S608 - fixed names
    f" WHERE id = {SimulatorSettings.SINGLETON_ID} AND outage)"
)


def simulator_payment_create(*, request: PaymentRequest) -> SimulatorPayment:
    """Create a pending payment; the same idempotency key returns the same payment. Refused
    (SimulatorOutage) while the outage switch is on.

    A new key is the rule: insert first, and read the key's payment only when the insert
    conflicts.
    """
    now = clock.now()
    payment = SimulatorPayment(
        id=_random_id("sim_pay_"),
        idempotency_key=request.idempotency_key,
        reference=request.reference,
        amount_cents=request.amount_cents,
        currency=request.currency,
        method=request.method,
        description=request.description[:200],
        language=request.language[:8],
        return_url=request.return_url,
        webhook_url=request.webhook_url,
        created_at=now,
        updated_at=now,
    )
    # The database checks the uniqueness and the CHECK constraints (the insert says so).
    payment.full_clean(exclude=["status"], validate_unique=False, validate_constraints=False)
    # The outage switch is read by the statement that inserts: one round trip per payment.
    if model_insert(payment, unless_conflicting_on=("idempotency_key",), only_if=_NO_OUTAGE):
        return payment
    if simulator_settings_get().outage:
        raise SimulatorOutage()
    # The key's payment exists (a retry, or a concurrent request won): answer as a provider
    # does, with that payment.
    existing = SimulatorPayment.objects.get(idempotency_key=request.idempotency_key)
    return _idempotent_replay(existing=existing, request=request)


def _idempotent_replay(*, existing: SimulatorPayment, request: PaymentRequest) -> SimulatorPayment:
    same = (existing.reference, existing.amount_cents, existing.currency, existing.method) == (
        request.reference,
        request.amount_cents,
        request.currency,
        request.method,
    )
    if not same:
        # A real provider answers 400 here; for the platform it means a bug in key choice.
        raise InvariantViolation(f"idempotency key {request.idempotency_key} reused differently")
    return existing


def simulator_payment_get(*, payment_id: str) -> SimulatorPayment:
    """The status query the platform reconciles with."""
    try:
        return SimulatorPayment.objects.get(id=payment_id)
    except SimulatorPayment.DoesNotExist as error:
        raise NotFound(details={"payment_id": payment_id}) from error


def _locked_awaiting_customer(payment_id: str) -> SimulatorPayment:
    try:
        payment = SimulatorPayment.objects.select_for_update().get(id=payment_id)
    except SimulatorPayment.DoesNotExist as error:
        raise NotFound(details={"payment_id": payment_id}) from error
    if not payment.awaits_customer:
        raise Conflict(details={"payment_id": payment_id, "status": payment.status})
    return payment


def simulator_card_submit(*, payment_id: str, card_number: str) -> SimulatorPayment:
    """The customer submitted a (Luhn-valid, normalised) card number on the hosted page."""
    outcome = card_outcome(card_number)
    with transaction.atomic():
        payment = _locked_awaiting_customer(payment_id)
        # Only these two survive the request: the number itself is never stored or logged.
        payment.card_last4 = card_number[-4:]
        payment.card_fingerprint = card_fingerprint(card_number)
        if outcome.status == PaymentStatus.PENDING:
            payment.resolve_after = clock.now() + dt.timedelta(seconds=_pending_resolve_s())
            payment.updated_at = clock.now()
            payment.save()
            simulator_payment_resolve_task.using(run_after=payment.resolve_after).enqueue(
                payment_id=payment.id
            )
            return payment
        _status_change(payment, status=outcome.status, failure_code=outcome.failure_code)
    return payment


def _pending_resolve_s() -> int:
    return int(getattr(settings, "TOPUP_SIMULATOR_PENDING_RESOLVE_S", DEFAULT_PENDING_RESOLVE_S))


def simulator_wallet_decide(*, payment_id: str, approve: bool) -> SimulatorPayment:
    """The customer approved or declined in the (simulated) Bancontact or wallet app."""
    with transaction.atomic():
        payment = _locked_awaiting_customer(payment_id)
        if approve:
            _status_change(payment, status=PaymentStatus.CAPTURED, failure_code="")
        else:
            failure_code = FailureCode.CANCELED_BY_CUSTOMER.value
            _status_change(payment, status=PaymentStatus.FAILED, failure_code=failure_code)
    return payment


def simulator_payment_resolve_pending(*, payment_id: str) -> SimulatorPayment:
    """Finish a processing payment once its time has come: the issuer finally captures it."""
    with transaction.atomic():
        payment = SimulatorPayment.objects.select_for_update().get(id=payment_id)
        if payment.status != PaymentStatus.PENDING or payment.resolve_after is None:
            return payment  # already resolved: a repeated task changes nothing
        if payment.resolve_after > clock.now():
            simulator_payment_resolve_task.using(run_after=payment.resolve_after).enqueue(
                payment_id=payment.id
            )
            return payment
        _status_change(payment, status=PaymentStatus.CAPTURED, failure_code="")
    return payment


def _status_change(payment: SimulatorPayment, *, status: PaymentStatus, failure_code: str) -> None:
    """Store the new status and queue its webhooks; the caller holds the row lock."""
    payment.status = status.value
    payment.failure_code = failure_code
    payment.updated_at = clock.now()
    payment.save()
    _webhooks_schedule(payment)


def _event_payload(payment: SimulatorPayment, *, status: str) -> dict[str, JsonValue]:
    data: dict[str, JsonValue] = {
        "payment_id": payment.id,
        "status": status,
        "reference": payment.reference,
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
    }
    return {"id": _random_id("sim_evt_"), "type": EVENT_TYPE, "data": data}


def _webhooks_schedule(payment: SimulatorPayment) -> None:
    """Queue the webhooks for the payment's new status in the way the settings say."""
    simulator_settings = simulator_settings_get()
    mode = simulator_settings.webhook_mode
    if mode == WebhookMode.NEVER:
        return
    payload = _event_payload(payment, status=payment.status)
    run_after = None
    if mode == WebhookMode.LATE:
        run_after = clock.now() + dt.timedelta(seconds=simulator_settings.late_delay_s)
    for _copy in range(2 if mode == WebhookMode.TWICE else 1):
        _delivery_enqueue(payment, payload=payload, run_after=run_after, priority=0)
    if mode == WebhookMode.OUT_OF_ORDER and payment.status != PaymentStatus.PENDING:
        stale = _event_payload(payment, status=PaymentStatus.PENDING.value)
        # A lower priority makes the worker take the stale event after the final one.
        _delivery_enqueue(payment, payload=stale, run_after=None, priority=-1)


def _delivery_enqueue(
    payment: SimulatorPayment,
    *,
    payload: dict[str, JsonValue],
    run_after: dt.datetime | None,
    priority: int,
) -> None:
    delivery = SimulatorWebhookDelivery.objects.create(
        event_id=str(payload["id"]),
        payment=payment,
        event_type=EVENT_TYPE,
        payload=payload,
        next_attempt_at=run_after or clock.now(),
        created_at=clock.now(),
    )
    simulator_webhook_deliver_task.using(run_after=run_after, priority=priority).enqueue(
        delivery_id=delivery.pk
    )


def simulator_refund_create(
    *, payment_id: str, amount_cents: int, idempotency_key: str
) -> SimulatorRefund:
    """Refund (part of) a captured payment, once per idempotency key, refusals included.

    The refunds of a payment never add up to more than was captured; the payment becomes
    REFUNDED when they reach its amount.
    """
    if amount_cents <= 0:
        raise ValueError("a refund has a positive amount")
    with transaction.atomic():
        try:
            payment = SimulatorPayment.objects.select_for_update().get(id=payment_id)
        except SimulatorPayment.DoesNotExist as error:
            raise NotFound(details={"payment_id": payment_id}) from error
        existing = SimulatorRefund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if (existing.payment_id, existing.amount_cents) != (payment.id, amount_cents):
                # A real provider answers 400 here; for the platform it is a bug in key choice.
                raise InvariantViolation(f"refund key {idempotency_key} reused differently")
            return existing
        refunded_cents = _refunded_cents(payment)
        failure_code = _refund_refusal(payment, amount_cents, refunded_cents=refunded_cents)
        refund = SimulatorRefund.objects.create(
            id=_random_id("sim_ref_"),
            payment=payment,
            idempotency_key=idempotency_key,
            amount_cents=amount_cents,
            status=RefundStatus.FAILED if failure_code else RefundStatus.SUCCEEDED,
            failure_code=failure_code,
            created_at=clock.now(),
        )
        if not failure_code and refunded_cents + amount_cents == payment.amount_cents:
            payment.status = PaymentStatus.REFUNDED.value
            payment.updated_at = clock.now()
            payment.save(update_fields=["status", "updated_at"])
    return refund


def _refunded_cents(payment: SimulatorPayment) -> int:
    total = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(
        total=Sum("amount_cents")
    )["total"]
    return int(total or 0)


def _refund_refusal(payment: SimulatorPayment, amount_cents: int, *, refunded_cents: int) -> str:
    """Why the provider refuses this refund; empty when it accepts."""
    if payment.status != PaymentStatus.CAPTURED:
        return RefundFailureCode.PAYMENT_NOT_CAPTURED.value
    if refunded_cents + amount_cents > payment.amount_cents:
        return RefundFailureCode.AMOUNT_EXCEEDS_CAPTURED.value
    return ""
