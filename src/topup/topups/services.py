"""The top-up order's life: create, start payment, apply the provider's word, credit, expire,
refund.

One place writes each transition (`_transition`); crediting happens in the same transaction
as the paid → credited transitions, with the order row locked, so an order is credited once
whatever arrives twice, late or out of order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Final

import structlog
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Field, Q
from django.utils import translation
from django.utils.translation import gettext

from topup.audit.models import AuditEvent
from topup.audit.services import Actor, audit_event_unsaved, audit_record
from topup.catalog.models import Channel
from topup.catalog.selectors import channel_get, channel_payment_methods
from topup.core import clock
from topup.core.errors import InvariantViolation, JsonValue, NotFound, ValidationFailed
from topup.core.metrics import TOPUP_TRANSITIONS
from topup.core.money import CURRENCY, format_amount_for_locale
from topup.core.prepared import Param, PreparedStatement, hot_query, text
from topup.core.rawsql import (
    model_insert,
    models_insert_together,
)
from topup.ledger.errors import IdempotencyKeyReused, InsufficientBalance
from topup.ledger.models import Account, Transfer
from topup.ledger.selectors import ledger_account_available_cents
from topup.ledger.services import (
    ledger_hold,
    ledger_post_pending,
    ledger_provider_clearing_account,
    ledger_transfer,
    ledger_void_pending,
)
from topup.messaging.models import SmsPurpose
from topup.messaging.services import messaging_sms_send
from topup.payments.gateway import (
    GatewayUnavailable,
    PaymentRequest,
    PaymentSession,
    PaymentState,
    PaymentStatus,
    RefundStatus,
    WebhookNotice,
)
from topup.payments.services import payment_create, payment_refund, payment_state_fetch
from topup.receipts.model import Receipt
from topup.subscribers.errors import SubscriberNotFound
from topup.subscribers.models import Sim
from topup.subscribers.numbers import format_msisdn_masked
from topup.subscribers.selectors import msisdn_e164, sim_topup_check
from topup.topups import state
from topup.topups.errors import (
    ChannelUnavailable,
    PaymentMethodUnavailable,
    ReceiptNotAvailable,
    ReceiptResendLimitReached,
    ReceiptResendNotAllowed,
    RefundAboveRefundable,
    RefundAlreadyStarted,
    RefundExceedsCredit,
    RefundNotPossible,
    RefundProviderUnavailable,
    RefundRefusedByProvider,
    UnsupportedCurrency,
)
from topup.topups.limits import topup_amount_check, topup_line_figures_read
from topup.topups.models import (
    TopupOrder,
    TopupRefund,
    TopupRefundStatus,
    TopupStatus,
    TopupTransition,
)
from topup.topups.selectors import (
    topup_line_lock,
    topup_order_refundable_cents,
    topup_order_refunded_cents,
)

logger = structlog.get_logger(__name__)

SWEEP_BATCH_SIZE = 200
RECONCILE_AFTER_S = 60  # ask the provider about orders whose webhook has not come by then
COUNTER_PROVIDER = "counter"  # payment_provider of orders paid at a shop counter


@dataclass(frozen=True)
class TopupRequest:
    msisdn: str
    amount_cents: int
    currency: str
    payment_method: str
    channel: str
    idempotency_scope: str
    idempotency_key: str
    requested_by: Sim | None
    language: str
    instrument_hash: str = ""
    # "counter": cash or a card terminal at a shop; paid and credited by
    # topup_order_settle_at_counter, never sent to an online payment provider.
    settlement: str = "online"


def _fingerprint(request: TopupRequest, msisdn: str) -> str:
    canonical = "|".join(
        [
            msisdn,
            str(request.amount_cents),
            request.currency.upper(),
            request.payment_method,
            request.channel,
        ]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _transition(
    order: TopupOrder, to_status: str, *, actor: Actor, cause: str, at: dt.datetime | None = None
) -> None:
    """The one writer of an order's status; the caller holds the row lock. `at`: the time the
    caller's conditional UPDATE already wrote (with the status) under that lock."""
    transition = _transition_row(order, to_status, actor=actor, cause=cause, at=at)
    model_insert(transition)  # every move of every order writes one: not the ORM's INSERT
    _transition_applied(order, transition)


def _transition_row(
    order: TopupOrder, to_status: str, *, actor: Actor, cause: str, at: dt.datetime | None = None
) -> TopupTransition:
    """The transition's row, once the move is known to be allowed."""
    state.check_transition(order.status, to_status)
    return TopupTransition(
        order=order,
        from_status=order.status,
        to_status=to_status,
        at=at or clock.now(),
        actor=actor.label()[:100],
        cause=cause[:255],
    )


def _transition_applied(order: TopupOrder, transition: TopupTransition) -> None:
    """The order in memory as the stored transition left it; counted once committed."""
    order.status = transition.to_status
    order.updated_at = transition.at
    channel, to_status = order.channel, transition.to_status
    transaction.on_commit(lambda: TOPUP_TRANSITIONS.labels(channel, to_status).inc())


def _replay(*, scope: str, key: str, fingerprint: str) -> TopupOrder | None:
    """The order of this key, read on its own: after a lost race for the key, or for a line
    that does not exist (the key may have made an order for another number)."""
    try:
        # (scope, key) is unique: a plain get, without the ORDER BY that first() would compile.
        existing = TopupOrder.objects.get(idempotency_scope=scope, idempotency_key=key)
    except TopupOrder.DoesNotExist:
        return None
    return _replayed(existing, key=key, fingerprint=fingerprint)


def _replayed(existing: TopupOrder, *, key: str, fingerprint: str) -> TopupOrder:
    """The order this key made, when asked for the same again; else the key is refused."""
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(details={"idempotency_key": key})
    return existing


def _channel_for(request: TopupRequest) -> tuple[Channel, str]:
    """The enabled channel and the provider of the payment method it offers for the request."""
    channel = channel_get(code=request.channel)
    if channel is None or not channel.enabled:
        raise ChannelUnavailable(details={"channel": request.channel})
    offered = {method.code: method.provider for method in channel_payment_methods(channel=channel)}
    if request.payment_method not in offered:
        raise PaymentMethodUnavailable(
            details={
                "payment_method": request.payment_method,
                "offered": ", ".join(sorted(offered)),
            }
        )
    return channel, offered[request.payment_method]


def _order_insert(
    *,
    request: TopupRequest,
    sim: Sim,
    channel: Channel,
    provider: str,
    fingerprint: str,
    actor: Actor,
) -> TopupOrder:
    now = clock.now()
    order = TopupOrder(
        idempotency_scope=request.idempotency_scope,
        idempotency_key=request.idempotency_key,
        request_fingerprint=fingerprint,
        sim=sim,
        requested_by=request.requested_by,
        channel=channel.code,
        amount_cents=request.amount_cents,
        currency=CURRENCY,
        payment_method=request.payment_method,
        payment_provider=COUNTER_PROVIDER if request.settlement == "counter" else provider,
        payment_instrument_hash=request.instrument_hash,
        language=request.language,
        created_at=now,
        updated_at=now,
        expires_at=now + dt.timedelta(seconds=settings.TOPUP_ORDER_TTL_S),
    )
    transition = TopupTransition(
        order=order,
        from_status="",
        to_status=order.status,
        at=now,
        actor=actor.label()[:100],
        cause="order created",
    )
    event = audit_event_unsaved(
        actor=actor,
        action="topup.create",
        object_type="topup.order",
        object_id=str(order.pk),
        data={"amount_cents": order.amount_cents, "channel": order.channel},
    )
    # Every top-up writes these three rows: one statement on PostgreSQL, not three ORM INSERTs.
    key = ("idempotency_scope", "idempotency_key")
    if not models_insert_together(order, transition, event, unless_conflicting_on=key):
        raise IntegrityError("topup_idempotency: a concurrent request created this key's order")
    return order


def _order_new(*, request: TopupRequest, msisdn: str, fingerprint: str, actor: Actor) -> TopupOrder:
    """The new order, checked and inserted under its line's lock, or the one the idempotency
    key made already. Call in a transaction."""
    line = topup_line_lock(
        e164=msisdn, scope=request.idempotency_scope, key=request.idempotency_key
    )
    if line is None:
        # No such line: unless the key made an order for another number (reused, refused).
        known = _replay(
            scope=request.idempotency_scope, key=request.idempotency_key, fingerprint=fingerprint
        )
        if known is None:
            raise SubscriberNotFound(details={"msisdn": msisdn})
        return known
    if line.key_order is not None:
        return _replayed(line.key_order, key=request.idempotency_key, fingerprint=fingerprint)
    channel, provider = _channel_for(request)
    # The line was read once, locked: its hold and what counts against its limits are read
    # (in one statement) and checked under this lock.
    figures = topup_line_figures_read(channel=channel, sim=line.sim)
    sim_topup_check(sim=line.sim, held=figures.held)
    topup_amount_check(
        channel=channel,
        sim=line.sim,
        amount_cents=request.amount_cents,
        instrument_hash=request.instrument_hash,
        line_figures=figures,
    )
    return _order_insert(
        request=request,
        sim=line.sim,
        channel=channel,
        provider=provider,
        fingerprint=fingerprint,
        actor=actor,
    )


def topup_order_create(*, request: TopupRequest, actor: Actor) -> TopupOrder:
    """Create the order (or return the one this idempotency key created) and start payment."""
    if request.currency.upper() != CURRENCY:
        raise UnsupportedCurrency(details={"currency": request.currency})
    msisdn = msisdn_e164(request.msisdn)
    fingerprint = _fingerprint(request, msisdn)
    try:
        with transaction.atomic():
            order = _order_new(request=request, msisdn=msisdn, fingerprint=fingerprint, actor=actor)
    except IntegrityError:
        # A concurrent request with the same key won the insert: answer with its order.
        replayed = _replay(
            scope=request.idempotency_scope, key=request.idempotency_key, fingerprint=fingerprint
        )
        if replayed is None:
            raise
        order = replayed
    return _order_paying(order, actor=actor)


def _order_paying(existing: TopupOrder, *, actor: Actor) -> TopupOrder:
    """The order with its payment started, unless it has one or is paid at a counter."""
    if existing.status == TopupStatus.CREATED and existing.payment_provider != COUNTER_PROVIDER:
        existing = _payment_start(order=existing, actor=actor)
    return existing


def _payment_request(order: TopupOrder) -> PaymentRequest:
    base = settings.TOPUP_PUBLIC_URL
    return PaymentRequest(
        reference=str(order.pk),
        idempotency_key=f"topup:{order.pk}",
        amount_cents=order.amount_cents,
        currency=order.currency,
        method=order.payment_method,
        # The provider shows this on its page and statements: the number, masked.
        description=f"Top-up {format_msisdn_masked(order.sim.msisdn)}",
        return_url=f"{base}/topups/{order.pk}/return",
        webhook_url=f"{base}/api/v1/payments/webhooks/{order.payment_provider}",
        language=order.language,
    )


def _order_locked(order: TopupOrder) -> TopupOrder:
    """The order row locked, with its line (read, not locked) for the caller's answer."""
    return TopupOrder.objects.select_for_update(of=("self",)).select_related("sim").get(pk=order.pk)


def _payment_start(*, order: TopupOrder, actor: Actor) -> TopupOrder:
    """Ask the provider for a payment (outside any lock), then record the answer; the order
    as it then stands."""
    try:
        payment_create(
            request=_payment_request(order),
            provider=order.payment_provider,
            record_also=lambda session: _payment_started(order, session, actor=actor),
        )
    except GatewayUnavailable:
        with transaction.atomic():
            locked = _order_locked(order)
            if locked.status == TopupStatus.CREATED:
                locked.failure_reason = "provider_unreachable"
                _transition(locked, state.FAILED, actor=actor, cause="payment provider unreachable")
                locked.save(update_fields=["status", "failure_reason", "updated_at"])
        return locked
    if order.status != TopupStatus.AWAITING_PAYMENT:
        return TopupOrder.objects.select_related("sim").get(pk=order.pk)  # moved on meanwhile
    return order


def _payment_started(order: TopupOrder, session: PaymentSession, *, actor: Actor) -> None:
    """created -> awaiting_payment with the provider's page, in the transaction that records the
    payment. The conditional UPDATE takes the row lock and tells whether the order was still
    created (a concurrent replay of the key may have moved it on first): then the transition."""
    transition = _transition_row(
        order, state.AWAITING_PAYMENT, actor=actor, cause="payment created", at=clock.now()
    )
    order_values = [
        session.provider_payment_id,
        session.redirect_url,
        _field_db_value("updated_at", transition.at),
        _field_db_value("id", order.pk),
    ]
    if connection.vendor == "postgresql":  # the UPDATE and the transition: one statement
        moved = _AWAITING_PAYMENT_WITH_TRANSITION.rows(
            [*map(text, order_values), text(transition.actor), text(transition.cause)]
        )
    else:
        moved = _AWAITING_PAYMENT.rows(order_values)
        if moved:
            model_insert(transition)
    if not moved:
        return
    order.provider_payment_id = session.provider_payment_id
    order.payment_redirect_url = session.redirect_url
    _transition_applied(order, transition)


_AWAITING_PAYMENT: Final = hot_query(
    "UPDATE topups_topuporder SET provider_payment_id = %s, payment_redirect_url = %s,"
    " status = 'awaiting_payment', updated_at = %s WHERE id = %s AND status = 'created'"
    " RETURNING id"
)
_AWAITING_PAYMENT_WITH_TRANSITION: Final = PreparedStatement(
    "topup_order_awaiting_payment_v1",
    """
WITH u AS (
    UPDATE topups_topuporder SET provider_payment_id = $1::varchar,
        payment_redirect_url = $2::varchar, status = 'awaiting_payment',
        updated_at = $3::timestamptz
    WHERE id = $4::uuid AND status = 'created'
    RETURNING id
)
INSERT INTO topups_topuptransition (order_id, from_status, to_status, at, actor, cause)
SELECT id, 'created', 'awaiting_payment', $3::timestamptz, $5::varchar, $6::varchar FROM u
RETURNING order_id
""",
)


def _field_db_value(name: str, value: object) -> Param:
    """The value as the database takes it for this field of the order (naive UTC text for a
    moment on SQLite)."""
    field = TopupOrder._meta.get_field(name)
    assert isinstance(field, Field)
    prepared: Param = field.get_db_prep_value(value, connection)
    return prepared


def _credit(order: TopupOrder, *, actor: Actor, funding: Account | None = None) -> None:
    """Post the credit and mark the order credited; the caller holds the order lock.

    The money comes from the provider's clearing account, or from `funding` for a counter
    sale (the shop's cash drawer, a partner's float, the card terminal's clearing account).
    """
    sim = Sim.objects.select_related("paid_account", "subscriber", "brand").get(pk=order.sim_id)
    transfer = ledger_transfer(
        idempotency_key=f"topup:{order.pk}:credit",
        debit=funding or ledger_provider_clearing_account(provider=order.payment_provider),
        credit=sim.paid_account,
        amount_cents=order.amount_cents,
        reason_code="topup",
        actor=actor,
        memo=f"top-up {order.pk}",
    )
    now = clock.now()
    order.credit_transfer = transfer
    order.credited_at = now
    order.receipt_number = f"R{now:%Y%m%d}-{transfer.pk:08d}"
    _transition(order, state.CREDITED, actor=actor, cause="credit posted")
    _receipt_sms(order, sim)


def _receipt_sms(order: TopupOrder, sim: Sim) -> None:
    """Tell the line it was credited, in its owner's language (queued in this transaction)."""
    language = sim.subscriber.preferred_language if sim.subscriber else order.language
    with translation.override(language):
        body = gettext(
            "You received %(amount)s credit on %(msisdn)s. Receipt %(receipt)s. "
            "We never ask for your PIN or codes by phone."
        ) % {
            "amount": format_amount_for_locale(order.amount_cents, language),
            "msisdn": sim.msisdn,
            "receipt": order.receipt_number,
        }
    messaging_sms_send(
        msisdn=sim.msisdn,
        body=body,
        sender_name=sim.brand.sms_sender_name,
        purpose=SmsPurpose.RECEIPT,
    )


def _state_matches(order: TopupOrder, payment: PaymentState) -> bool:
    return (
        payment.reference == str(order.pk)
        and payment.amount_cents == order.amount_cents
        and payment.currency.upper() == order.currency
    )


def topup_order_apply_payment_state(
    *, order_id: uuid.UUID | str, payment: PaymentState, actor: Actor
) -> TopupOrder:
    """Move the order to what the provider says; idempotent, safe for stale or repeated news."""
    with transaction.atomic():
        order = TopupOrder.objects.select_for_update().get(pk=order_id)
        if not _state_matches(order, payment):
            logger.error(
                "payment_mismatch",
                order_id=str(order.pk),
                provider_payment_id=payment.provider_payment_id,
            )
            return order
        _apply(order, payment, actor=actor)
        order.save()
    return order


def _apply(order: TopupOrder, payment: PaymentState, *, actor: Actor) -> None:
    late = order.status == TopupStatus.EXPIRED
    if payment.status == PaymentStatus.CAPTURED and order.status in (
        TopupStatus.AWAITING_PAYMENT,
        TopupStatus.EXPIRED,
    ):
        order.payment_instrument_hash = payment.instrument_fingerprint[:64]
        order.payment_instrument_masked = payment.instrument_masked[:32]
        cause = "late capture after expiry" if late else "payment captured"
        _transition(order, state.PAID, actor=actor, cause=cause)
    if payment.status == PaymentStatus.CAPTURED and order.status == TopupStatus.PAID:
        _credit(order, actor=actor)
        return
    if order.status != TopupStatus.AWAITING_PAYMENT:
        return  # stale or repeated news about an order that has moved on
    if payment.status == PaymentStatus.FAILED:
        order.failure_reason = payment.failure_code or "payment_failed"
        _transition(
            order, state.FAILED, actor=actor, cause=f"payment failed: {order.failure_reason}"
        )
    elif payment.status == PaymentStatus.CANCELED:
        order.failure_reason = payment.failure_code or "canceled_by_customer"
        _transition(order, state.FAILED, actor=actor, cause="payment canceled")


def topup_payment_notice_accept(*, notice: WebhookNotice) -> None:
    """A verified webhook arrived: let the worker fetch the payment's state and apply it."""
    from topup.topups.tasks import topup_payment_notice_process

    topup_payment_notice_process.enqueue(
        provider=notice.provider, provider_payment_id=notice.provider_payment_id
    )


def topup_order_reconcile(*, order: TopupOrder, actor: Actor) -> TopupOrder:
    """Ask the provider for the truth about this order's payment and apply it."""
    if not order.provider_payment_id:
        return order
    try:
        payment = payment_state_fetch(
            provider=order.payment_provider, provider_payment_id=order.provider_payment_id
        )
    except GatewayUnavailable:
        logger.warning("reconcile_provider_unreachable", order_id=str(order.pk))
        return order
    except NotFound:
        logger.error("reconcile_payment_unknown_to_provider", order_id=str(order.pk))
        return order
    return topup_order_apply_payment_state(order_id=order.pk, payment=payment, actor=actor)


def _expire(order: TopupOrder, *, actor: Actor, cause: str) -> None:
    with transaction.atomic():
        locked = TopupOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status not in (TopupStatus.CREATED, TopupStatus.AWAITING_PAYMENT):
            return
        locked.failure_reason = "expired"
        _transition(locked, state.EXPIRED, actor=actor, cause=cause)
        locked.save(update_fields=["status", "failure_reason", "updated_at"])


@dataclass(frozen=True)
class SweepReport:
    reconciled: int
    expired: int


def topup_orders_sweep(*, actor: Actor | None = None) -> SweepReport:
    """Reconcile orders whose webhook is late, expire abandoned ones. Bounded per run."""
    actor = actor or Actor.system("sweep")
    now = clock.now()
    due = now - dt.timedelta(seconds=RECONCILE_AFTER_S)
    waiting = (
        TopupOrder.objects.filter(
            status__in=(TopupStatus.CREATED, TopupStatus.AWAITING_PAYMENT), updated_at__lte=due
        )
        .filter(Q(reconciled_at__isnull=True) | Q(reconciled_at__lte=due))
        .order_by(F("reconciled_at").asc(nulls_first=True), "created_at")[:SWEEP_BATCH_SIZE]
    )
    reconciled = expired = 0
    for candidate in waiting:
        TopupOrder.objects.filter(pk=candidate.pk).update(reconciled_at=now)
        order = topup_order_reconcile(order=candidate, actor=actor)
        reconciled += 1
        if order.status not in (TopupStatus.CREATED, TopupStatus.AWAITING_PAYMENT):
            continue
        if order.expires_at > now:
            continue
        _expire(order, actor=actor, cause="abandoned: not paid before expiry")
        expired += 1
    return SweepReport(reconciled=reconciled, expired=expired)


def topup_receipt_build(*, order: TopupOrder) -> Receipt:
    """The receipt of a credited top-up: the same data for the PDF, the page and the printer."""
    if order.status not in (TopupStatus.CREDITED, TopupStatus.REFUNDED) or not order.receipt_number:
        raise ReceiptNotAvailable(details={"status": order.status})
    sim = Sim.objects.select_related("brand__operator").get(pk=order.sim_id)
    operator = sim.brand.operator
    assert order.credited_at is not None
    return Receipt(
        receipt_number=order.receipt_number,
        issued_at=order.credited_at,
        channel=order.channel,
        msisdn=sim.msisdn,
        amount_cents=order.amount_cents,
        currency=order.currency,
        payment_method=order.payment_method,
        payment_instrument_masked=order.payment_instrument_masked,
        order_id=str(order.pk),
        operator_name=operator.name,
        operator_legal_name=operator.legal_name,
        operator_vat_number=operator.vat_number,
        operator_address=operator.address,
        brand_name=sim.brand.name,
    )


def topup_order_settle_at_counter(
    *,
    order_id: uuid.UUID | str,
    funding: Account,
    instrument_masked: str,
    instrument_hash: str,
    actor: Actor,
) -> TopupOrder:
    """Cash or card taken at a counter: pay and credit the order at once, in one transaction.

    `funding` is the account the credit comes from. Calling it again for a settled order
    changes nothing (the credit is posted once).
    """
    with transaction.atomic():
        order = TopupOrder.objects.select_for_update().get(pk=order_id)
        if order.payment_provider != COUNTER_PROVIDER:
            raise InvariantViolation(f"top-up {order.pk} is not a counter sale")
        if order.status != TopupStatus.CREATED:
            return order
        order.payment_instrument_masked = instrument_masked[:32]
        order.payment_instrument_hash = instrument_hash[:64]
        _transition(order, state.AWAITING_PAYMENT, actor=actor, cause="payment at the counter")
        _transition(order, state.PAID, actor=actor, cause="paid at the counter")
        _credit(order, actor=actor, funding=funding)
        order.save()
    return order


def topup_order_void_at_counter(
    *, order_id: uuid.UUID | str, reversal: Transfer, actor: Actor
) -> TopupOrder:
    """A counter sale voided by a manager: its credit was reversed; mark the order refunded."""
    with transaction.atomic():
        order = TopupOrder.objects.select_for_update().get(pk=order_id)
        if order.payment_provider != COUNTER_PROVIDER or order.credit_transfer_id is None:
            raise InvariantViolation(f"top-up {order.pk} is not a credited counter sale")
        if reversal.reverses_id != order.credit_transfer_id:
            raise InvariantViolation(f"transfer {reversal.pk} does not reverse top-up {order.pk}")
        if order.status == TopupStatus.REFUNDED:
            return order
        _transition(order, state.REFUNDED, actor=actor, cause="voided at the counter")
        order.save(update_fields=["status", "updated_at"])
    return order


RECEIPT_RESEND_MAX_PER_ORDER = 5  # SMS cost and the customer's patience both have a limit


def topup_receipt_resend(*, order: TopupOrder, actor: Actor) -> None:
    """Send the receipt SMS of a credited top-up again, to the credited line, in its language."""
    with transaction.atomic():
        locked = TopupOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status != TopupStatus.CREDITED or not locked.receipt_number:
            raise ReceiptResendNotAllowed(details={"status": locked.status})
        resent = AuditEvent.objects.filter(
            object_type="topup.order", object_id=str(locked.pk), action="receipt.resent"
        ).count()
        if resent >= RECEIPT_RESEND_MAX_PER_ORDER:
            raise ReceiptResendLimitReached(details={"limit": RECEIPT_RESEND_MAX_PER_ORDER})
        sim = Sim.objects.select_related("subscriber", "brand").get(pk=locked.sim_id)
        _receipt_sms(locked, sim)
        audit_record(
            actor=actor,
            action="receipt.resent",
            object_type="topup.order",
            object_id=str(locked.pk),
            data={"receipt_number": locked.receipt_number, "sim_id": sim.pk},
        )


# --- Refunds of an order to its payment method --------------------------------------------------
#
# Two steps, so that the line's credit is taken before the provider is asked and a crash or an
# outage in between never refunds twice: `topup_order_refund_reserve` holds the amount on the
# line's paid credit (in the caller's transaction), `topup_order_refund_execute` asks the provider
# and posts the hold. Every key derives from the caller's `refund_key` ("dispute:7"): the hold
# "dispute:7:refund:hold", the provider's refund and the ledger posting "dispute:7:refund".

REFUND_REASON = "refund"


def _refund_hold_key(refund_key: str) -> str:
    return f"{refund_key}:refund:hold"


def _refund_key(refund_key: str) -> str:
    """The provider's idempotency key and the ledger posting's key of this refund."""
    return f"{refund_key}:refund"


def topup_order_refund_check(*, order: TopupOrder, amount_cents: int, refund_key: str = "") -> None:
    """Refuse a refund the order cannot take: paid at a counter, not credited, or too much.

    `refund_key` leaves that refund's own amount out of what is already refunded or reserved.
    """
    if amount_cents <= 0:
        raise ValidationFailed(details={"field": "amount_cents"})
    online = order.payment_provider != COUNTER_PROVIDER and bool(order.provider_payment_id)
    if not online or order.status not in (TopupStatus.CREDITED, TopupStatus.REFUNDED):
        raise RefundNotPossible(details={"status": order.status, "channel": order.channel})
    refundable = topup_order_refundable_cents(order=order, excluding_key=refund_key)
    if amount_cents > refundable:
        raise RefundAboveRefundable(
            details={"refundable_cents": refundable, "amount_cents": amount_cents}
        )


def topup_order_refund_reserve(
    *, order_id: uuid.UUID | str, amount_cents: int, refund_key: str, actor: Actor
) -> TopupRefund:
    """Hold a refund on the line's paid credit; the same key returns the same reservation.

    Joins the caller's transaction. Refused with nothing written when the line's paid credit
    is below the amount (RefundExceedsCredit, with the available amount in its details).
    """
    with transaction.atomic():
        order = TopupOrder.objects.select_for_update().get(pk=order_id)
        existing = TopupRefund.objects.filter(refund_key=refund_key).first()
        if existing is not None:
            return _refund_replay(existing, order=order, amount_cents=amount_cents)
        topup_order_refund_check(order=order, amount_cents=amount_cents)
        paid_account = Sim.objects.select_related("paid_account").get(pk=order.sim_id).paid_account
        hold = _refund_hold(order, paid_account, amount_cents, refund_key=refund_key, actor=actor)
        now = clock.now()
        return TopupRefund.objects.create(
            order=order,
            refund_key=refund_key,
            amount_cents=amount_cents,
            hold=hold,
            created_at=now,
            updated_at=now,
        )


def _refund_replay(existing: TopupRefund, *, order: TopupOrder, amount_cents: int) -> TopupRefund:
    if existing.order_id != order.pk or existing.amount_cents != amount_cents:
        raise RefundAlreadyStarted(details={"amount_cents": existing.amount_cents})
    if existing.status == TopupRefundStatus.REFUSED:
        raise RefundRefusedByProvider(details={"failure_code": existing.failure_code})
    return existing


def _refund_hold(
    order: TopupOrder, paid_account: Account, amount_cents: int, *, refund_key: str, actor: Actor
) -> Transfer:
    available_cents = ledger_account_available_cents(account=paid_account)
    details: dict[str, JsonValue] = {
        "available_cents": available_cents,
        "amount_cents": amount_cents,
    }
    if available_cents < amount_cents:
        raise RefundExceedsCredit(details=details)
    try:
        return ledger_hold(
            idempotency_key=_refund_hold_key(refund_key),
            debit=paid_account,
            credit=ledger_provider_clearing_account(provider=order.payment_provider),
            amount_cents=amount_cents,
            reason_code=REFUND_REASON,
            actor=actor,
            memo=f"refund of top-up {order.pk}",
        )
    except InsufficientBalance as error:  # spent between the read above and the locked update
        raise RefundExceedsCredit(details=details) from error


def topup_order_refund_execute(*, refund: TopupRefund, actor: Actor) -> TopupRefund:
    """Ask the provider for a reserved refund, then post the hold. Call outside a transaction.

    Repeating it is safe: a refunded refund is returned as it is, and the provider answers a
    repeated key with the refund it already made. An unreachable provider leaves the refund
    reserved (RefundProviderUnavailable: try again); a refusal releases the hold.
    """
    refund = TopupRefund.objects.select_related("order").get(pk=refund.pk)
    if refund.status == TopupRefundStatus.REFUNDED:
        return refund
    if refund.status == TopupRefundStatus.REFUSED:
        raise RefundRefusedByProvider(details={"failure_code": refund.failure_code})
    order = refund.order
    try:
        answer = payment_refund(
            provider=order.payment_provider,
            provider_payment_id=order.provider_payment_id,
            amount_cents=refund.amount_cents,
            idempotency_key=_refund_key(refund.refund_key),
        )
    except GatewayUnavailable as error:
        raise RefundProviderUnavailable() from error
    if answer.status != RefundStatus.SUCCEEDED:
        _refund_refused(refund, failure_code=answer.failure_code, actor=actor)
        raise RefundRefusedByProvider(details={"failure_code": answer.failure_code})
    return _refund_settle(refund, provider_refund_id=answer.provider_refund_id, actor=actor)


def _refund_locked(refund: TopupRefund) -> tuple[TopupOrder, TopupRefund]:
    """The order, then the refund, locked in that order (as the reservation locks them)."""
    order = TopupOrder.objects.select_for_update().get(pk=refund.order_id)
    return order, TopupRefund.objects.select_for_update().select_related("hold").get(pk=refund.pk)


def _refund_settle(refund: TopupRefund, *, provider_refund_id: str, actor: Actor) -> TopupRefund:
    with transaction.atomic():
        order, refund = _refund_locked(refund)
        if refund.status != TopupRefundStatus.RESERVED:
            return refund  # a concurrent retry settled it
        refund.transfer = ledger_post_pending(
            pending=refund.hold,
            idempotency_key=_refund_key(refund.refund_key),
            reason_code=REFUND_REASON,
            actor=actor,
            memo=f"refund of top-up {order.pk}",
        )
        refund.status = TopupRefundStatus.REFUNDED
        refund.provider_refund_id = provider_refund_id[:100]
        refund.updated_at = clock.now()
        refund.save(update_fields=["transfer", "status", "provider_refund_id", "updated_at"])
        if order.status == TopupStatus.CREDITED and (
            topup_order_refunded_cents(order=order) >= order.amount_cents
        ):
            _transition(order, state.REFUNDED, actor=actor, cause="refunded in full")
            order.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="topup.refunded",
            object_type="topup.order",
            object_id=str(order.pk),
            data={
                "refund_key": refund.refund_key,
                "amount_cents": refund.amount_cents,
                "provider_refund_id": refund.provider_refund_id,
            },
        )
    return refund


def _refund_refused(refund: TopupRefund, *, failure_code: str, actor: Actor) -> None:
    with transaction.atomic():
        _order, refund = _refund_locked(refund)
        if refund.status != TopupRefundStatus.RESERVED:
            return
        ledger_void_pending(
            pending=refund.hold,
            idempotency_key=f"{_refund_key(refund.refund_key)}:void",
            reason_code=REFUND_REASON,
            actor=actor,
            memo=f"refund refused by the provider: {failure_code}",
        )
        refund.status = TopupRefundStatus.REFUSED
        refund.failure_code = failure_code[:64] or "refused"
        refund.updated_at = clock.now()
        refund.save(update_fields=["status", "failure_code", "updated_at"])
