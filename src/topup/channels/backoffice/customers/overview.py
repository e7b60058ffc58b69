"""The customer screen's read side: one line and everything about it, as rows ready to show.

Personal data is shown as the screen needs it and no further: document numbers only masked, the
digits of login codes never, and every list bounded.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from topup.audit.models import AuditEvent
from topup.core.languages import NATIVE_NAMES
from topup.core.money import format_amount_for_locale
from topup.disputes.models import Dispute, DisputeEvent, DisputeReason, DisputeStatus
from topup.disputes.selectors import disputes_for_order, disputes_for_sim
from topup.messaging.models import SmsMessage, SmsPurpose
from topup.payments.models import Payment, PaymentAttempt
from topup.receipts.labels import channel_label, payment_method_label
from topup.subscribers.models import (
    IdentificationRecord,
    LineHold,
    ReidentificationRequest,
    Sim,
    Subscriber,
    SubscriberCorrection,
)
from topup.subscribers.numbers import format_msisdn_masked, format_msisdn_national
from topup.subscribers.selectors import sim_balance
from topup.topups.models import TopupOrder, TopupStatus
from topup.topups.selectors import TimelineEvent, topup_order_timeline, topup_orders_for_sim

TOPUPS_LIMIT: Final = 50
PAYMENTS_LIMIT: Final = 50
ATTEMPTS_LIMIT: Final = 100
SMS_LIMIT: Final = 50
AUDIT_LIMIT: Final = 100
HISTORY_LIMIT: Final = 50  # identifications, holds, re-identifications, corrections, disputes

# Stored codes (English in the database) as staff read them, in the page's language.
LABELS: Final[dict[str, str | Promise]] = {
    # line status
    "awaiting_identification": _("Awaiting identification"),
    "active": _("Active"),
    "suspended": _("Suspended"),
    "terminated": _("Terminated"),
    # identification methods and outcomes
    "shop_document": _("Original document in a shop"),
    "online_eid": _("Online with the eID"),
    "certified_service": _("Certified identification service"),
    "online_payment": _("Online payment in the customer's name"),
    "existing_customer": _("Existing customer"),
    "accepted": _("Accepted"),
    "anomaly": _("Anomaly (line not activated)"),
    # documents
    "be_eid": _("Belgian eID card"),
    "eu_id_card": _("EU identity card"),
    "passport": _("Passport"),
    "be_foreigner_card": _("Belgian foreigner's card"),
    "temporary_document": _("Temporary replacement document"),
    # holds
    "sim_swap": _("SIM swapped"),
    "device_change": _("Device changed"),
    "information_mismatch": _("Registered information does not match"),
    "reidentification": _("Re-identification requested"),
    # top-up status
    "created": _("Created"),
    "awaiting_payment": _("Awaiting payment"),
    "paid": _("Paid"),
    "credited": _("Credited"),
    "failed": _("Failed"),
    "expired": _("Expired"),
    "refunded": _("Refunded"),
    # SMS
    "otp": _("Login code"),
    "receipt": _("Receipt"),
    "alert": _("Alert"),
    "reminder": _("Reminder"),
    "notice": _("Notice"),
    "queued": _("Queued"),
    "sent": _("Sent"),
}


def label(code: str) -> str:
    """The translated label of a stored code; the code itself when there is none."""
    return str(LABELS.get(code, code))


_DIGITS = re.compile(r"\d")


def sms_body_for_staff(*, purpose: str, body: str) -> str:
    """The SMS text as staff may read it: a login code's digits never, whatever its state."""
    if purpose == SmsPurpose.OTP:
        return _DIGITS.sub("•", body)
    return body


@dataclass(frozen=True)
class LineFacts:
    sim_id: int
    number: str
    status: str
    status_code: str
    brand: str
    plan: str
    paid: str
    promo: str
    validity_until: dt.date | None
    first_name: str
    last_name: str
    language: str
    has_subscriber: bool
    open_holds: int


@dataclass(frozen=True)
class IdentificationRow:
    verified_at: dt.datetime
    method: str
    status: str
    status_code: str
    anomaly: str
    document_type: str
    issuing_country: str
    document_number_masked: str
    national_register_number_masked: str
    expires_on: dt.date | None
    verified_by: str
    shop: str


@dataclass(frozen=True)
class HoldRow:
    reason: str
    detected_at: dt.datetime
    cleared_at: dt.datetime | None


@dataclass(frozen=True)
class ReidentificationRow:
    reason: str
    requested_by: str
    requested_at: dt.datetime
    resolved_at: dt.datetime | None


@dataclass(frozen=True)
class CorrectionRow:
    corrected_at: dt.datetime
    corrected_by: str
    reason: str
    before: str
    after: str


@dataclass(frozen=True)
class TopupRow:
    order_id: str
    created_at: dt.datetime
    status: str
    status_code: str
    amount: str
    channel: str
    method: str
    instrument_masked: str
    receipt_number: str
    other_line: str  # masked: the line credited, when this line paid for another one


@dataclass(frozen=True)
class PaymentRow:
    created_at: dt.datetime
    provider: str
    provider_payment_id: str
    order_id: str
    method: str
    status: str
    amount: str
    instrument_masked: str
    failure_code: str


@dataclass(frozen=True)
class AttemptRow:
    at: dt.datetime
    provider: str
    operation: str
    succeeded: bool
    error_code: str
    duration_ms: int
    order_id: str


@dataclass(frozen=True)
class SmsRow:
    created_at: dt.datetime
    purpose: str
    status: str
    sender_name: str
    body: str


@dataclass(frozen=True)
class DisputeRow:
    dispute_id: int
    created_at: dt.datetime
    order_id: str
    receipt_number: str
    reason: str
    status: str


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    reason: str


@dataclass(frozen=True)
class CustomerOverview:
    line: LineFacts
    identifications: list[IdentificationRow]
    holds: list[HoldRow]
    reidentifications: list[ReidentificationRow]
    corrections: list[CorrectionRow]
    topups: list[TopupRow]
    payments: list[PaymentRow]
    attempts: list[AttemptRow]
    sms: list[SmsRow]
    disputes: list[DisputeRow]
    audit: list[AuditRow]


def _line_facts(sim: Sim, language: str) -> LineFacts:
    balance = sim_balance(sim=sim)
    subscriber = sim.subscriber
    spoken = subscriber.preferred_language if subscriber else ""
    return LineFacts(
        sim_id=sim.pk,
        number=format_msisdn_national(sim.msisdn),
        status=label(sim.status),
        status_code=sim.status,
        brand=sim.brand.name,
        plan=sim.plan.name if sim.plan is not None else "",
        paid=format_amount_for_locale(balance.paid_cents, language),
        promo=format_amount_for_locale(balance.promo_cents, language),
        validity_until=balance.validity_until,
        first_name=subscriber.first_name if subscriber else "",
        last_name=subscriber.last_name if subscriber else "",
        language=NATIVE_NAMES.get(spoken, spoken),
        has_subscriber=subscriber is not None,
        open_holds=LineHold.objects.filter(sim=sim, cleared_at__isnull=True).count(),
    )


def _identification_rows(records: list[IdentificationRecord]) -> list[IdentificationRow]:
    return [
        IdentificationRow(
            verified_at=record.verified_at,
            method=label(record.method),
            status=label(record.status),
            status_code=record.status,
            anomaly=record.anomaly,
            document_type=label(record.document_type) if record.document_type else "",
            issuing_country=record.issuing_country,
            document_number_masked=record.document_number_masked,
            national_register_number_masked=record.national_register_number_masked,
            expires_on=record.document_expires_on,
            verified_by=record.verified_by,
            shop=record.shop.name if record.shop is not None else "",
        )
        for record in records
    ]


def _history_rows(
    sim: Sim,
) -> tuple[list[HoldRow], list[ReidentificationRow]]:
    holds = LineHold.objects.filter(sim=sim).order_by("-detected_at", "-id")[:HISTORY_LIMIT]
    requests = ReidentificationRequest.objects.filter(sim=sim).order_by("-requested_at", "-id")
    return (
        [HoldRow(label(h.reason), h.detected_at, h.cleared_at) for h in holds],
        [
            ReidentificationRow(r.reason, r.requested_by, r.requested_at, r.resolved_at)
            for r in requests[:HISTORY_LIMIT]
        ],
    )


def _full_name(value: object) -> str:
    if not isinstance(value, dict):
        return ""
    return " ".join(str(value.get(key) or "") for key in ("first_name", "last_name")).strip()


def _correction_rows(subscriber: Subscriber | None) -> list[CorrectionRow]:
    if subscriber is None:
        return []
    corrections = SubscriberCorrection.objects.filter(subscriber=subscriber).order_by(
        "-corrected_at", "-id"
    )
    return [
        CorrectionRow(
            corrected_at=c.corrected_at,
            corrected_by=c.corrected_by,
            reason=c.reason,
            before=_full_name(c.old_value),
            after=_full_name(c.new_value),
        )
        for c in corrections[:HISTORY_LIMIT]
    ]


def _topup_rows(sim: Sim, orders: list[TopupOrder], language: str) -> list[TopupRow]:
    return [
        TopupRow(
            order_id=str(order.pk),
            created_at=order.created_at,
            status=label(order.status),
            status_code=order.status,
            amount=format_amount_for_locale(order.amount_cents, language),
            channel=channel_label(order.channel),
            method=payment_method_label(order.payment_method),
            instrument_masked=order.payment_instrument_masked,
            receipt_number=order.receipt_number or "",
            other_line="" if order.sim_id == sim.pk else format_msisdn_masked(order.sim.msisdn),
        )
        for order in orders
    ]


def _payment_rows(order_ids: list[str], language: str) -> tuple[list[PaymentRow], list[AttemptRow]]:
    payments = Payment.objects.filter(reference__in=order_ids).order_by("-created_at", "-id")
    attempts = PaymentAttempt.objects.filter(reference__in=order_ids).order_by("-at", "-id")
    return (
        [
            PaymentRow(
                created_at=p.created_at,
                provider=p.provider,
                provider_payment_id=p.provider_payment_id,
                order_id=p.reference,
                method=payment_method_label(p.method),
                status=p.status,
                amount=format_amount_for_locale(p.amount_cents, language),
                instrument_masked=p.instrument_masked,
                failure_code=p.failure_code,
            )
            for p in payments[:PAYMENTS_LIMIT]
        ],
        [
            AttemptRow(
                a.at, a.provider, a.operation, a.succeeded, a.error_code, a.duration_ms, a.reference
            )
            for a in attempts[:ATTEMPTS_LIMIT]
        ],
    )


def _sms_rows(sim: Sim) -> list[SmsRow]:
    # The platform's send record, never the simulated handset's inbox: that one keeps live codes.
    messages = SmsMessage.objects.filter(msisdn=sim.msisdn).order_by("-created_at", "-id")
    return [
        SmsRow(
            created_at=m.created_at,
            purpose=label(m.purpose),
            status=label(m.status),
            sender_name=m.sender_name,
            body=sms_body_for_staff(purpose=m.purpose, body=m.body),
        )
        for m in messages[:SMS_LIMIT]
    ]


def _disputes(sim: Sim) -> list[Dispute]:
    return list(disputes_for_sim(sim=sim)[:HISTORY_LIMIT])


def _dispute_rows(disputes: list[Dispute]) -> list[DisputeRow]:
    return [
        DisputeRow(
            dispute_id=d.pk,
            created_at=d.created_at,
            order_id=str(d.order_id),
            receipt_number=d.order.receipt_number or "",
            reason=str(DisputeReason(d.reason).label)
            if d.reason in DisputeReason.values
            else d.reason,
            status=str(DisputeStatus(d.status).label)
            if d.status in DisputeStatus.values
            else d.status,
        )
        for d in disputes
    ]


def _audit_rows(
    *,
    sim: Sim,
    order_ids: list[str],
    record_ids: list[int],
    dispute_ids: list[int],
) -> list[AuditRow]:
    """What was done to or looked at on this line, its subscriber, its orders and records."""
    about = Q(object_type="subscribers.sim", object_id=str(sim.pk))
    if sim.subscriber_id is not None:
        about |= Q(object_type="subscribers.subscriber", object_id=str(sim.subscriber_id))
    if order_ids:
        about |= Q(object_type="topup.order", object_id__in=order_ids)
    if record_ids:
        about |= Q(
            object_type="subscribers.identification_record",
            object_id__in=[str(pk) for pk in record_ids],
        )
    if dispute_ids:
        about |= Q(object_type="dispute", object_id__in=[str(pk) for pk in dispute_ids])
    events = AuditEvent.objects.filter(about).order_by("-at", "-id")[:AUDIT_LIMIT]
    return [
        AuditRow(
            e.at, f"{e.actor_type}:{e.actor_id}", e.action, e.object_type, e.object_id, e.reason
        )
        for e in events
    ]


def customer_overview(*, sim: Sim, language: str) -> CustomerOverview:
    """Everything customer service needs about one line, on one screen."""
    sim = Sim.objects.select_related("subscriber", "brand", "plan").get(pk=sim.pk)
    records = list(
        IdentificationRecord.objects.filter(sim=sim)
        .select_related("shop")
        .order_by("-verified_at", "-id")[:HISTORY_LIMIT]
    )
    orders = topup_orders_for_sim(sim=sim, limit=TOPUPS_LIMIT)
    order_ids = [str(order.pk) for order in orders]
    payments, attempts = _payment_rows(order_ids, language)
    holds, reidentifications = _history_rows(sim)
    disputes = _disputes(sim)
    return CustomerOverview(
        line=_line_facts(sim, language),
        identifications=_identification_rows(records),
        holds=holds,
        reidentifications=reidentifications,
        corrections=_correction_rows(sim.subscriber),
        topups=_topup_rows(sim, orders, language),
        payments=payments,
        attempts=attempts,
        sms=_sms_rows(sim),
        disputes=_dispute_rows(disputes),
        audit=_audit_rows(
            sim=sim,
            order_ids=order_ids,
            record_ids=[record.pk for record in records],
            dispute_ids=[dispute.pk for dispute in disputes],
        ),
    )


# --- One top-up and its timeline -----------------------------------------------------------------


@dataclass(frozen=True)
class TopupFacts:
    order_id: str
    sim_id: int
    number: str
    created_at: dt.datetime
    credited_at: dt.datetime | None
    status: str
    status_code: str
    amount: str
    channel: str
    method: str
    instrument_masked: str
    provider: str
    provider_payment_id: str
    receipt_number: str
    failure_reason: str
    may_resend_receipt: bool


def _dispute_timeline(order: TopupOrder) -> list[TimelineEvent]:
    events = DisputeEvent.objects.filter(dispute__order=order).order_by("at", "id")
    return [
        TimelineEvent(
            at=event.at,
            kind="dispute",
            summary=f"#{event.dispute_id} {event.get_action_display()}",
            actor=event.actor,
            cause=event.note,
        )
        for event in events[:HISTORY_LIMIT]
    ]


def customer_topup_timeline(*, order: TopupOrder) -> list[TimelineEvent]:
    """The order's own timeline with its disputes' history and money merged in, in time order."""
    dispute_transfers = [
        dispute.transfer
        for dispute in disputes_for_order(order=order).select_related("transfer")[:HISTORY_LIMIT]
        if dispute.transfer is not None
    ]
    events = topup_order_timeline(order=order, related_transfers=dispute_transfers)
    return sorted([*events, *_dispute_timeline(order)], key=lambda event: event.at)


def customer_topup_facts(*, order: TopupOrder, language: str) -> TopupFacts:
    return TopupFacts(
        order_id=str(order.pk),
        sim_id=order.sim_id,
        number=format_msisdn_national(order.sim.msisdn),
        created_at=order.created_at,
        credited_at=order.credited_at,
        status=label(order.status),
        status_code=order.status,
        amount=format_amount_for_locale(order.amount_cents, language),
        channel=channel_label(order.channel),
        method=payment_method_label(order.payment_method),
        instrument_masked=order.payment_instrument_masked,
        provider=order.payment_provider,
        provider_payment_id=order.provider_payment_id,
        receipt_number=order.receipt_number or "",
        failure_reason=order.failure_reason,
        may_resend_receipt=order.status == TopupStatus.CREDITED and bool(order.receipt_number),
    )
