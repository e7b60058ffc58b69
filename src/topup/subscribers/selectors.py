"""Reads of lines and identities: look-ups by number, the top-up gate, balances, masked names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from topup.ledger.selectors import ledger_account_balance_cents
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
    LineHold,
    SavedNumber,
    Sim,
    SimStatus,
)

# Lines that count against "max SIMs per identity": identified and not terminated.
COUNTED_STATUSES = (SimStatus.ACTIVE, SimStatus.SUSPENDED)


@dataclass(frozen=True)
class SimBalance:
    paid_cents: int
    promo_cents: int
    validity_until: dt.date | None


def sim_get_by_msisdn(*, msisdn: str) -> Sim:
    """The line with this number, however it was typed; only the platform's registry decides."""
    try:
        e164 = numbers.normalize_msisdn(msisdn)
    except numbers.InvalidNumber as error:
        raise InvalidMsisdn() from error
    sim = Sim.objects.select_related("subscriber").filter(msisdn=e164).first()
    if sim is None:
        raise SubscriberNotFound(details={"msisdn": e164})
    return sim


def sim_has_open_hold(*, sim: Sim) -> bool:
    return LineHold.objects.filter(sim=sim, cleared_at__isnull=True).exists()


def sim_topup_check(*, sim: Sim) -> None:
    """Refuse a top-up on a line that is terminated, suspended, unidentified or held."""
    if sim.status == SimStatus.TERMINATED:
        raise SubscriberTerminated()
    if sim.status == SimStatus.SUSPENDED:
        raise SubscriberSuspended()
    if sim.status == SimStatus.AWAITING_IDENTIFICATION:
        raise SubscriberNotIdentified()
    if sim_has_open_hold(sim=sim):
        raise LineHeldForReverification()


def sim_masked_name(*, sim: Sim) -> str:
    """`J** P******`: enough for a payer to recognise the line, not to learn the name."""
    subscriber = sim.subscriber
    if subscriber is None:
        return ""
    return crypto.mask_name(subscriber.first_name, subscriber.last_name)


def sim_balance(*, sim: Sim) -> SimBalance:
    return SimBalance(
        paid_cents=ledger_account_balance_cents(account=sim.paid_account),
        promo_cents=ledger_account_balance_cents(account=sim.promo_account),
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
