"""Reads for identification online: why a line waits for its user, and where to identify."""

from __future__ import annotations

from dataclasses import dataclass

from topup.catalog.models import Shop
from topup.subscribers.models import HoldReason, LineHold, Sim, SimStatus

MAX_SHOPS_LISTED = 50


@dataclass(frozen=True)
class VerificationNeed:
    hold_reasons: tuple[HoldReason, ...]  # of the open holds, oldest first, each once
    awaiting_identification: bool

    @property
    def needed(self) -> bool:
        return bool(self.hold_reasons) or self.awaiting_identification


def verification_need(*, sim: Sim) -> VerificationNeed:
    reasons = LineHold.objects.filter(sim=sim, cleared_at__isnull=True).order_by(
        "detected_at", "id"
    )
    unique: dict[HoldReason, None] = {}
    for reason in reasons.values_list("reason", flat=True):
        unique[HoldReason(reason)] = None
    return VerificationNeed(
        hold_reasons=tuple(unique),
        awaiting_identification=sim.status == SimStatus.AWAITING_IDENTIFICATION,
    )


def identification_shops() -> list[Shop]:
    """The shops where an agent identifies a customer with the original document."""
    return list(Shop.objects.order_by("kind", "name")[:MAX_SHOPS_LISTED])
