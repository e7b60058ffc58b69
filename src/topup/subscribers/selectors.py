"""Reads of lines and identities: look-ups by number, the top-up gate, balances, masked names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from topup.audit.models import AuditEvent
from topup.core.prepared import hot_query
from topup.ledger.selectors import ledger_accounts_balance_cents
from topup.subscribers import crypto, numbers
from topup.subscribers.errors import (
    InvalidMsisdn,
    LineHeldForReverification,
    SubscriberNotFound,
    SubscriberNotIdentified,
    SubscriberSuspended,
    SubscriberTerminated,
)
from topup.subscribers.models import (
    IdentificationRecord,
    IdentificationStatus,
    SavedNumber,
    Sim,
    SimStatus,
    Subscriber,
    SubscriberCorrection,
)

# Lines that count against "max SIMs per identity": identified and not terminated.
COUNTED_STATUSES = (SimStatus.ACTIVE, SimStatus.SUSPENDED)


@dataclass(frozen=True)
class SimBalance:
    paid_cents: int
    promo_cents: int
    validity_until: dt.date | None


def msisdn_e164(msisdn: str) -> str:
    """The number in E.164, however it was typed (InvalidMsisdn when it is no number)."""
    try:
        return numbers.normalize_msisdn(msisdn)
    except numbers.InvalidNumber as error:
        raise InvalidMsisdn() from error


def sim_get_by_msisdn(*, msisdn: str) -> Sim:
    """The line with this number, however it was typed; only the platform's registry decides."""
    e164 = msisdn_e164(msisdn)
    sim = Sim.objects.select_related("subscriber").filter(msisdn=e164).first()
    if sim is None:
        raise SubscriberNotFound(details={"msisdn": e164})
    return sim


_OPEN_HOLD: Final = hot_query(
    "SELECT 1 FROM subscribers_linehold WHERE sim_id = %s AND cleared_at IS NULL LIMIT 1"
)


def sim_has_open_hold(*, sim: Sim) -> bool:
    return bool(_OPEN_HOLD.rows([sim.pk]))


def sim_topup_check(*, sim: Sim, held: bool | None = None) -> None:
    """Refuse a top-up on a line that is terminated, suspended, unidentified or held (`held`:
    whether it has an open hold, when the caller read that already; else read here)."""
    if sim.status == SimStatus.TERMINATED:
        raise SubscriberTerminated()
    if sim.status == SimStatus.SUSPENDED:
        raise SubscriberSuspended()
    if sim.status == SimStatus.AWAITING_IDENTIFICATION:
        raise SubscriberNotIdentified()
    if sim_has_open_hold(sim=sim) if held is None else held:
        raise LineHeldForReverification()


def sim_masked_name(*, sim: Sim) -> str:
    """`J** P******`: enough for a payer to recognise the line, not to learn the name."""
    subscriber = sim.subscriber
    if subscriber is None:
        return ""
    return crypto.mask_name(subscriber.first_name, subscriber.last_name)


def sim_balance(*, sim: Sim) -> SimBalance:
    # One query for both credit accounts, by id: the hot GET /api/v1/me reads nothing else.
    balances = ledger_accounts_balance_cents(
        account_ids=(sim.paid_account_id, sim.promo_account_id)
    )
    return SimBalance(
        paid_cents=balances[sim.paid_account_id],
        promo_cents=balances[sim.promo_account_id],
        validity_until=sim.validity_until,
    )


def identity_active_sim_count(
    *, document_number_hash: str, national_register_number_hash: str, excluding: Sim
) -> int:
    """How many other identified lines are currently held by this identity.

    A line counts when its latest accepted identification matches the document or the national
    register number: a line re-identified by someone else no longer counts for the first person.
    """
    matches = Q()
    if document_number_hash:
        matches |= Q(document_number_hash=document_number_hash)
    if national_register_number_hash:
        matches |= Q(national_register_number_hash=national_register_number_hash)
    if not matches:
        return 0
    superseded = IdentificationRecord.objects.filter(
        sim=OuterRef("sim"), status=IdentificationStatus.ACCEPTED
    ).filter(
        Q(verified_at__gt=OuterRef("verified_at"))
        | Q(verified_at=OuterRef("verified_at"), pk__gt=OuterRef("pk"))
    )
    return (
        IdentificationRecord.objects.filter(matches, status=IdentificationStatus.ACCEPTED)
        .filter(sim__status__in=COUNTED_STATUSES)
        .exclude(sim=excluding)
        .exclude(Exists(superseded))
        .values("sim_id")
        .distinct()
        .count()
    )


def saved_numbers_for(*, owner: Sim) -> list[SavedNumber]:
    """The numbers this line's owner saved, by nickname."""
    return list(SavedNumber.objects.filter(owner=owner).order_by("nickname", "id"))


# --- Current identifications, and what retention may erase --------------------------------------


def identification_newer_accepted() -> QuerySet[IdentificationRecord]:
    """Accepted records of the outer record's line made after it: the ones that supersede it."""
    return IdentificationRecord.objects.filter(
        sim=OuterRef("sim"), status=IdentificationStatus.ACCEPTED
    ).filter(
        Q(verified_at__gt=OuterRef("verified_at"))
        | Q(verified_at=OuterRef("verified_at"), pk__gt=OuterRef("pk"))
    )


def identification_current_records() -> QuerySet[IdentificationRecord]:
    """Each line's latest accepted identification (lines never identified have none)."""
    return IdentificationRecord.objects.filter(status=IdentificationStatus.ACCEPTED).exclude(
        Exists(identification_newer_accepted())
    )


def sim_terminated_at() -> Case:
    """When the line (the query's Sim) was terminated; None unless it is.

    The line keeps no termination date of its own: the audited status change is the record of
    it; a line terminated without one falls back to its last update, which is never earlier.
    """
    audited = (
        AuditEvent.objects.filter(
            object_type="subscribers.sim",
            object_id=Cast(OuterRef("pk"), output_field=CharField()),
            action="subscribers.sim_status_changed",
            data__to=SimStatus.TERMINATED.value,
        )
        .order_by("at")
        .values("at")[:1]
    )
    return Case(
        When(status=SimStatus.TERMINATED, then=Coalesce(Subquery(audited), F("updated_at"))),
        default=Value(None),
        output_field=DateTimeField(),
    )


ERASURE_LINE_TERMINATED = "line_terminated"
ERASURE_SUPERSEDED = "superseded"


@dataclass(frozen=True)
class ErasureDue:
    """A record whose retention period is over: why, and since when the period ran."""

    record: IdentificationRecord
    basis: str  # ERASURE_LINE_TERMINATED or ERASURE_SUPERSEDED
    due_since: dt.datetime


def _erasure_basis(record: IdentificationRecord, cutoff: dt.datetime) -> ErasureDue:
    terminated_at: dt.datetime | None = getattr(record, "line_terminated_at", None)
    superseded_at: dt.datetime | None = getattr(record, "superseded_at", None)
    if (
        terminated_at is not None
        and terminated_at < cutoff
        and (superseded_at is None or terminated_at <= superseded_at)
    ):
        return ErasureDue(record, ERASURE_LINE_TERMINATED, terminated_at)
    assert superseded_at is not None and superseded_at < cutoff
    return ErasureDue(record, ERASURE_SUPERSEDED, superseded_at)


def identification_records_due_for_erasure(*, cutoff: dt.datetime, limit: int) -> list[ErasureDue]:
    """Records not yet erased whose line was terminated, or which a newer accepted record
    superseded, before `cutoff`; oldest first, at most `limit`."""
    superseded_at = Subquery(
        identification_newer_accepted().order_by("verified_at", "pk").values("verified_at")[:1]
    )
    line_terminated_at = Subquery(
        Sim.objects.filter(pk=OuterRef("sim_id"))
        .annotate(terminated_at=sim_terminated_at())
        .values("terminated_at")[:1]
    )
    records = (
        IdentificationRecord.objects.filter(erased_at__isnull=True)
        .annotate(superseded_at=superseded_at, line_terminated_at=line_terminated_at)
        .filter(Q(superseded_at__lt=cutoff) | Q(line_terminated_at__lt=cutoff))
        .order_by("verified_at", "pk")[:limit]
    )
    return [_erasure_basis(record, cutoff) for record in records]


def subscribers_due_for_erasure(*, cutoff: dt.datetime, limit: int) -> list[Subscriber]:
    """Subscribers not yet erased who have lines, all of them terminated before `cutoff`."""
    lines = Sim.objects.filter(subscriber=OuterRef("pk"))
    kept_lines = (
        Sim.objects.filter(subscriber=OuterRef("pk"))
        .annotate(terminated_at=sim_terminated_at())
        .filter(Q(terminated_at__isnull=True) | Q(terminated_at__gte=cutoff))
    )
    return list(
        Subscriber.objects.filter(erased_at__isnull=True)
        .filter(Exists(lines))
        .exclude(Exists(kept_lines))
        .order_by("pk")[:limit]
    )


def identification_record_erasable_fields(*, record: IdentificationRecord) -> list[str]:
    """What erasing this record would clear (empty once it is erased)."""
    if record.erased_at is not None:
        return []
    present = {
        "document_number": bool(
            record.document_number_encrypted
            or record.document_number_hash
            or record.document_number_masked
        ),
        "national_register_number": bool(
            record.national_register_number_encrypted
            or record.national_register_number_hash
            or record.national_register_number_masked
        ),
        "document_expires_on": record.document_expires_on is not None,
        "issuing_country": bool(record.issuing_country),
        "evidence_reference": bool(record.evidence_reference),
    }
    return [field for field, is_present in present.items() if is_present]


def subscriber_erasable_fields(*, subscriber: Subscriber) -> list[str]:
    """What erasing this subscriber's personal data would clear (empty once it is erased)."""
    if subscriber.erased_at is not None:
        return []
    fields = [name for name in ("first_name", "last_name") if getattr(subscriber, name)]
    corrections = SubscriberCorrection.objects.filter(subscriber=subscriber)
    if corrections.exclude(old_value={}, new_value={}).exists():
        fields.append("name_corrections")
    return fields
