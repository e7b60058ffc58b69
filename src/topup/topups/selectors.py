"""Reads of top-up orders."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

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


MAX_FILTERED_ROWS = 5000  # the most one history read returns (a page, or a CSV export)


def _orders_of_line(sim: Sim) -> QuerySet[TopupOrder]:
    return TopupOrder.objects.filter(Q(sim=sim) | Q(requested_by=sim))


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of this day in the operator's time zone: the customer's calendar, not UTC's."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def topup_orders_filtered(
    *,
    sim: Sim,
    since: dt.date | None,
    until: dt.date | None,
    status: str | None,
    target_sim_id: int | None,
    limit: int,
    offset: int,
) -> list[TopupOrder]:
    """This line's orders (credited to it or requested by it), newest first, narrowed by the
    period (both days included), the status and the line credited."""
    limit = max(1, min(limit, MAX_FILTERED_ROWS))
    offset = max(0, offset)
    queryset = _orders_of_line(sim)
    if since is not None:
        queryset = queryset.filter(created_at__gte=_day_start(since))
    if until is not None:
        queryset = queryset.filter(created_at__lt=_day_start(until + dt.timedelta(days=1)))
    if status:
        queryset = queryset.filter(status=status)
    if target_sim_id is not None:
        queryset = queryset.filter(sim_id=target_sim_id)
    ordered = queryset.select_related("sim").order_by("-created_at", "-id")
    return list(ordered[offset : offset + limit])


def topup_order_lines_for_sim(*, sim: Sim) -> list[Sim]:
    """The lines that appear in this line's history (itself and the numbers it topped up)."""
    target_ids = _orders_of_line(sim).values("sim_id")
    return list(Sim.objects.filter(pk__in=target_ids).order_by("msisdn"))
