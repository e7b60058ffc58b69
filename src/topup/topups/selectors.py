"""Reads of top-up orders."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Sum

from topup.subscribers.models import Sim
from topup.topups.errors import TopupNotFound
from topup.topups.models import TopupOrder, TopupStatus

MAX_PAGE_SIZE = 100

# Orders that count against limits: everything not failed or expired.
COUNTING_STATUSES = (
    TopupStatus.CREATED,
    TopupStatus.AWAITING_PAYMENT,
    TopupStatus.PAID,
    TopupStatus.CREDITED,
)


def topup_order_get(*, order_id: uuid.UUID | str) -> TopupOrder:
    try:
        return TopupOrder.objects.select_related("sim").get(pk=order_id)
    except (TopupOrder.DoesNotExist, ValueError) as error:
        raise TopupNotFound(details={"id": str(order_id)}) from error


def topup_orders_for_sim(*, sim: Sim, limit: int = 20, offset: int = 0) -> list[TopupOrder]:
    """Orders credited to or requested by this line, newest first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    queryset = TopupOrder.objects.filter(sim=sim) | TopupOrder.objects.filter(requested_by=sim)
    return list(queryset.select_related("sim").order_by("-created_at")[offset : offset + limit])


def topup_amount_since_cents(
    *, since: dt.datetime, sim: Sim | None = None, instrument_hash: str = ""
) -> int:
    """Sum of counting orders since a moment, for one target line or one payment instrument."""
    queryset = TopupOrder.objects.filter(created_at__gte=since, status__in=COUNTING_STATUSES)
    if sim is not None:
        queryset = queryset.filter(sim=sim)
    if instrument_hash:
        queryset = queryset.filter(payment_instrument_hash=instrument_hash)
    total = queryset.aggregate(total=Sum("amount_cents"))["total"]
    return int(total or 0)
