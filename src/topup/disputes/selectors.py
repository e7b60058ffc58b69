"""Reads of disputes: one case, the queue, the cases of an order or of a line."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from topup.disputes.errors import DisputeNotFound
from topup.disputes.models import Dispute
from topup.subscribers.models import Sim
from topup.topups.models import TopupOrder

_RELATED = ("order", "order__sim", "opened_by")


def dispute_get(*, dispute_id: int) -> Dispute:
    try:
        return Dispute.objects.select_related(*_RELATED).get(pk=dispute_id)
    except (Dispute.DoesNotExist, ValueError, TypeError) as error:
        raise DisputeNotFound(details={"id": str(dispute_id)}) from error


def disputes_queue(*, status: str | None = None) -> QuerySet[Dispute]:
    """Every case (or those in one status), newest first. The caller pages through it."""
    queryset = Dispute.objects.select_related(*_RELATED)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def disputes_for_order(*, order: TopupOrder) -> QuerySet[Dispute]:
    return (
        Dispute.objects.filter(order=order).select_related(*_RELATED).order_by("-created_at", "-id")
    )


def disputes_for_sim(*, sim: Sim) -> QuerySet[Dispute]:
    """Cases on orders of this line (credited to it or paid by it) or opened from it."""
    return (
        Dispute.objects.filter(Q(order__sim=sim) | Q(order__requested_by=sim) | Q(opened_by=sim))
        .select_related(*_RELATED)
        .order_by("-created_at", "-id")
    )
