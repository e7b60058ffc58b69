"""Disputes: a customer reports a problem with a top-up; staff refund, credit or reject it.

Four eyes: a refund or goodwill credit above settings.TOPUP_FOUR_EYES_THRESHOLD_CENTS is only
proposed (status AWAITING_APPROVAL, nothing moves); another staff member approves it, and only
then is it executed.

Executing a refund takes three steps, so that an outage or a crash never refunds twice and
never half-writes: (1) under the dispute's lock, the amount is held on the line's paid credit
(`topup_order_refund_reserve`; refused with nothing written when the credit is lower);
(2) outside any transaction, the provider is asked with a key derived from the dispute
("dispute:<id>:refund"), and the hold is posted (`topup_order_refund_execute`); (3) the dispute
is closed. Each step is idempotent, so calling `dispute_resolve` or `dispute_approve` again
after an error finishes the same refund. While a refund is in flight, the case cannot be
decided differently.

Which orders can be disputed: credited ones, and refunded ones (e.g. for goodwill). A payment
still being processed resolves itself (webhooks, then reconciliation), and a failed or expired
top-up was not charged, so those are refused with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from topup.audit.services import Actor, audit_record
from topup.core import clock
from topup.disputes.errors import (
    DisputeAlreadyDecided,
    DisputeAlreadyOpen,
    DisputeAmountInvalid,
    DisputeMessageRequired,
    DisputeNotAwaitingApproval,
    DisputeNoteRequired,
    DisputeOrderNotEligible,
    DisputeOutcomeUnknown,
    DisputeReasonUnknown,
    DisputeRefundInProgress,
    DisputeTextTooLong,
    FourEyesSameStaff,
    GoodwillAboveOrderAmount,
)
from topup.disputes.models import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    MESSAGE_MAX_CHARS,
    NOTE_MAX_CHARS,
    Dispute,
    DisputeEvent,
    DisputeEventAction,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
)
from topup.disputes.texts import dispute_outcome_text, dispute_received_text
from topup.ledger.models import Transfer
from topup.ledger.services import ledger_system_account, ledger_transfer
from topup.messaging.models import SmsPurpose
from topup.messaging.services import messaging_sms_send
from topup.subscribers.models import Sim
from topup.topups.errors import RefundProviderUnavailable, RefundRefusedByProvider, TopupNotFound
from topup.topups.models import TopupOrder, TopupRefund, TopupRefundStatus, TopupStatus
from topup.topups.selectors import topup_refund_get
from topup.topups.services import (
    topup_order_refund_check,
    topup_order_refund_execute,
    topup_order_refund_reserve,
)

DISPUTABLE_STATUSES = (TopupStatus.CREDITED, TopupStatus.REFUNDED)
GOODWILL_REASON = "goodwill"


@dataclass(frozen=True)
class _Decision:
    outcome: str
    amount_cents: int | None
    note: str


# --- Opening -------------------------------------------------------------------------------


def _text_clean(text: str, *, field: str, max_chars: int) -> str:
    cleaned = text.replace("\r\n", "\n").strip()
    if len(cleaned) > max_chars:
        raise DisputeTextTooLong(details={"field": field, "max_chars": max_chars})
    return cleaned


def dispute_open(
    *, order: TopupOrder, opened_by: Sim, reason: str, message: str, actor: Actor
) -> Dispute:
    """The customer of a credited top-up reports a problem; one open case per order."""
    if opened_by.pk not in (order.sim_id, order.requested_by_id):
        raise TopupNotFound(details={"id": str(order.pk)})  # someone else's order: not found
    if reason not in DisputeReason.values:
        raise DisputeReasonUnknown(details={"field": "reason"})
    message = _text_clean(message, field="message", max_chars=MESSAGE_MAX_CHARS)
    if reason == DisputeReason.OTHER and not message:
        raise DisputeMessageRequired(details={"field": "message"})
    sim = Sim.objects.select_related("subscriber", "brand").get(pk=opened_by.pk)
    language = sim.subscriber.preferred_language if sim.subscriber else order.language
    try:
        with transaction.atomic():
            locked = TopupOrder.objects.select_for_update().get(pk=order.pk)
            if locked.status not in DISPUTABLE_STATUSES:
                raise DisputeOrderNotEligible(details={"status": locked.status})
            if Dispute.objects.filter(order=locked, status__in=ACTIVE_STATUSES).exists():
                raise DisputeAlreadyOpen()
            dispute = Dispute.objects.create(
                order=locked,
                opened_by=sim,
                reason=reason,
                message=message,
                language=language,
                created_at=clock.now(),
            )
            _event(dispute, actor, DisputeEventAction.OPENED)
            audit_record(
                actor=actor,
                action="dispute.opened",
                object_type="dispute",
                object_id=dispute.pk,
                reason=reason,
                data={"order_id": str(locked.pk), "sim_id": sim.pk},
            )
            _sms(
                sim,
                dispute_received_text(
                    receipt_number=locked.receipt_number or "",
                    amount_cents=locked.amount_cents,
                    language=language,
                ),
            )
    except IntegrityError as error:  # the one-open-case index: a concurrent report won
        raise DisputeAlreadyOpen() from error
    return dispute


# --- Deciding ------------------------------------------------------------------------------


def _decision_clean(*, outcome: str, amount_cents: int | None, note: str) -> _Decision:
    if outcome not in DisputeOutcome.values:
        raise DisputeOutcomeUnknown(details={"field": "outcome"})
    note = _text_clean(note, field="note", max_chars=NOTE_MAX_CHARS)
    if outcome == DisputeOutcome.REJECT:
        if not note:
            raise DisputeNoteRequired(details={"field": "note"})
        return _Decision(outcome=outcome, amount_cents=None, note=note)
    if amount_cents is None or isinstance(amount_cents, bool) or amount_cents < 1:
        raise DisputeAmountInvalid(details={"field": "amount_cents"})
    return _Decision(outcome=outcome, amount_cents=amount_cents, note=note)


def _needs_approval(decision: _Decision) -> bool:
    threshold_cents: int = settings.TOPUP_FOUR_EYES_THRESHOLD_CENTS
    return decision.amount_cents is not None and decision.amount_cents > threshold_cents


def _decision_check(dispute: Dispute, decision: _Decision) -> None:
    """Refuse a decision the order cannot take, or one that contradicts a refund in flight."""
    order = dispute.order
    started = topup_refund_get(refund_key=dispute.refund_key)
    if started is not None and started.status == TopupRefundStatus.REFUSED:
        if decision.outcome == DisputeOutcome.REFUND:
            raise RefundRefusedByProvider(details={"failure_code": started.failure_code})
    elif started is not None and (
        decision.outcome != DisputeOutcome.REFUND or decision.amount_cents != started.amount_cents
    ):
        raise DisputeRefundInProgress(details={"amount_cents": started.amount_cents})
    if decision.outcome == DisputeOutcome.REFUND:
        assert decision.amount_cents is not None
        topup_order_refund_check(
            order=order, amount_cents=decision.amount_cents, refund_key=dispute.refund_key
        )
    if decision.outcome == DisputeOutcome.GOODWILL:
        assert decision.amount_cents is not None
        if decision.amount_cents > order.amount_cents:
            raise GoodwillAboveOrderAmount(details={"max_cents": order.amount_cents})


def dispute_resolve(
    *, dispute: Dispute, outcome: str, amount_cents: int | None, note: str, actor: Actor
) -> Dispute:
    """Decide a case: refund, goodwill credit (both executed now unless above the four-eyes
    threshold, then only proposed) or reject (needs a note). A case awaiting approval may be
    decided again, which replaces the proposal. Repeating the decision taken returns the case.
    """
    decision = _decision_clean(outcome=outcome, amount_cents=amount_cents, note=note)
    with transaction.atomic():
        locked = _locked(dispute.pk)
        if locked.status in FINAL_STATUSES:
            return _decided_replay(locked, decision)
        _decision_check(locked, decision)
        if _needs_approval(decision):
            _decision_store(locked, decision, actor)
            _propose(locked, actor)
            return locked
        if decision.outcome != DisputeOutcome.REFUND:
            _decision_store(locked, decision, actor)
            _close(locked, actor)
            return locked
        refund = _refund_reserve(locked, actor, amount_cents=decision.amount_cents)
    return _refund_and_close(locked.pk, refund, actor=actor, decision=decision)


def dispute_approve(*, dispute: Dispute, actor: Actor) -> Dispute:
    """The second pair of eyes: execute a proposal someone else made. Idempotent."""
    with transaction.atomic():
        locked = _locked(dispute.pk)
        if locked.status in FINAL_STATUSES:
            return locked
        if locked.status != DisputeStatus.AWAITING_APPROVAL:
            raise DisputeNotAwaitingApproval(details={"status": locked.status})
        if actor.actor_id == locked.proposed_by:
            raise FourEyesSameStaff()
        if locked.outcome != DisputeOutcome.REFUND:
            _approval_store(locked, actor)
            _close(locked, actor)
            return locked
        refund = _refund_reserve(locked, actor, amount_cents=locked.amount_cents)
    return _refund_and_close(locked.pk, refund, actor=actor, decision=None)


def _locked(dispute_id: int) -> Dispute:
    return Dispute.objects.select_for_update().get(pk=dispute_id)


def _decided_replay(dispute: Dispute, decision: _Decision) -> Dispute:
    """A repeated submission of the decision taken returns the case; another one is refused."""
    if (dispute.outcome, dispute.amount_cents) == (decision.outcome, decision.amount_cents):
        return dispute
    raise DisputeAlreadyDecided(details={"status": dispute.status, "outcome": dispute.outcome})


def _decision_store(dispute: Dispute, decision: _Decision, actor: Actor) -> None:
    dispute.outcome = decision.outcome
    dispute.amount_cents = decision.amount_cents
    dispute.resolution_note = decision.note
    dispute.proposed_by = actor.actor_id[:64]
    dispute.proposed_at = clock.now()
    dispute.approved_by = ""
    dispute.approved_at = None


def _propose(dispute: Dispute, actor: Actor) -> None:
    dispute.status = DisputeStatus.AWAITING_APPROVAL
    dispute.save()
    _event(dispute, actor, DisputeEventAction.PROPOSED, note=dispute.resolution_note)
    audit_record(
        actor=actor,
        action="dispute.proposed",
        object_type="dispute",
        object_id=dispute.pk,
        reason=dispute.outcome,
        data={"outcome": dispute.outcome, "amount_cents": dispute.amount_cents},
    )


def _approval_store(dispute: Dispute, actor: Actor) -> None:
    dispute.approved_by = actor.actor_id[:64]
    dispute.approved_at = clock.now()
    _event(dispute, actor, DisputeEventAction.APPROVED)
    audit_record(
        actor=actor,
        action="dispute.approved",
        object_type="dispute",
        object_id=dispute.pk,
        reason=dispute.outcome,
        data={
            "outcome": dispute.outcome,
            "amount_cents": dispute.amount_cents,
            "proposed_by": dispute.proposed_by,
        },
    )


# --- Executing -----------------------------------------------------------------------------


def _refund_reserve(dispute: Dispute, actor: Actor, *, amount_cents: int | None) -> TopupRefund:
    assert amount_cents is not None, "a refund has an amount"
    return topup_order_refund_reserve(
        order_id=dispute.order_id,
        amount_cents=amount_cents,
        refund_key=dispute.refund_key,
        actor=actor,
    )


def _refund_and_close(
    dispute_id: int, refund: TopupRefund, *, actor: Actor, decision: _Decision | None
) -> Dispute:
    """Steps 2 and 3 of a refund; `decision` is None when an approval executes a proposal."""
    try:
        refund = topup_order_refund_execute(refund=refund, actor=actor)
    except (RefundProviderUnavailable, RefundRefusedByProvider) as error:
        with transaction.atomic():
            dispute = Dispute.objects.get(pk=dispute_id)
            _event(dispute, actor, DisputeEventAction.REFUND_FAILED, note=error.code)
        raise
    with transaction.atomic():
        locked = _locked(dispute_id)
        if locked.status in FINAL_STATUSES:
            return locked  # a concurrent call closed it
        if decision is not None:
            _decision_store(locked, decision, actor)
        else:
            _approval_store(locked, actor)
        _close(locked, actor, refund=refund)
    return locked


def _goodwill(dispute: Dispute, actor: Actor) -> Transfer:
    assert dispute.amount_cents is not None
    sim = Sim.objects.select_related("promo_account").get(pk=dispute.order.sim_id)
    return ledger_transfer(
        idempotency_key=f"{dispute.refund_key}:goodwill",
        debit=ledger_system_account(name="promotions"),
        credit=sim.promo_account,
        amount_cents=dispute.amount_cents,
        reason_code=GOODWILL_REASON,
        actor=actor,
        memo=f"goodwill credit for dispute {dispute.pk}",
    )


_CLOSING_ACTIONS = {
    DisputeOutcome.REFUND: DisputeEventAction.REFUNDED,
    DisputeOutcome.GOODWILL: DisputeEventAction.CREDITED,
    DisputeOutcome.REJECT: DisputeEventAction.REJECTED,
}


def _close(dispute: Dispute, actor: Actor, *, refund: TopupRefund | None = None) -> None:
    """Apply the decision taken (money, status, history, audit, SMS); the caller holds the lock."""
    if dispute.outcome == DisputeOutcome.REFUND:
        assert refund is not None and refund.status == TopupRefundStatus.REFUNDED
        dispute.transfer_id = refund.transfer_id
        dispute.provider_refund_id = refund.provider_refund_id
    elif dispute.outcome == DisputeOutcome.GOODWILL:
        dispute.transfer = _goodwill(dispute, actor)
    rejected = dispute.outcome == DisputeOutcome.REJECT
    dispute.status = DisputeStatus.REJECTED if rejected else DisputeStatus.RESOLVED
    dispute.resolved_at = clock.now()
    dispute.save()
    _event(
        dispute,
        actor,
        _CLOSING_ACTIONS[DisputeOutcome(dispute.outcome)],
        note=dispute.resolution_note,
    )
    audit_record(
        actor=actor,
        action="dispute.resolved",
        object_type="dispute",
        object_id=dispute.pk,
        reason=dispute.outcome,
        data={
            "outcome": dispute.outcome,
            "amount_cents": dispute.amount_cents,
            "order_id": str(dispute.order_id),
            "transfer_id": dispute.transfer_id,
            "approved_by": dispute.approved_by,
        },
    )
    _outcome_sms(dispute)


# --- History and SMS -----------------------------------------------------------------------


def _event(
    dispute: Dispute, actor: Actor, action: DisputeEventAction, *, note: str = ""
) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute,
        at=clock.now(),
        actor=actor.label()[:100],
        action=action,
        note=note[:NOTE_MAX_CHARS],
    )


def _sms(sim: Sim, body: str) -> None:
    messaging_sms_send(
        msisdn=sim.msisdn,
        body=body,
        sender_name=sim.brand.sms_sender_name,
        purpose=SmsPurpose.DISPUTE,
    )


def _outcome_sms(dispute: Dispute) -> None:
    """Tell the customer who reported it, in their language (queued in this transaction)."""
    sim = Sim.objects.select_related("brand").get(pk=dispute.opened_by_id)
    order = dispute.order
    credited_msisdn = Sim.objects.values_list("msisdn", flat=True).get(pk=order.sim_id)
    _sms(
        sim,
        dispute_outcome_text(
            outcome=dispute.outcome,
            receipt_number=order.receipt_number or "",
            amount_cents=dispute.amount_cents,
            msisdn=credited_msisdn,
            language=dispute.language,
        ),
    )
