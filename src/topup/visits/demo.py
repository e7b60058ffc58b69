"""Demo data for visits: default opening hours and four weeks of believable queue history."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from topup.catalog.models import Shop
from topup.core import clock
from topup.visits.models import QueueTicket, ShopHours, TicketSource, TicketStatus
from topup.visits.services import (
    OpeningPeriod,
    visits_hours_replace,
    visits_hours_setup_default,
)

DEMO_TICKETS_PER_SHOP = 200
DEMO_HISTORY_DAYS = 28
# Relative footfall per hour of the day (lunch and after work are busy) and per weekday
# (Saturday is the busiest day, Monday morning the quietest).
_HOUR_WEIGHTS = {9: 2, 10: 3, 11: 4, 12: 8, 13: 7, 14: 3, 15: 3, 16: 5, 17: 9, 18: 4}
_WEEKDAY_WEIGHTS = {0: 2, 1: 3, 2: 3, 3: 3, 4: 5, 5: 8, 6: 2}
# The demo's night shop keeps the hours the catalog advertises for it; other shops get the default.
_DEMO_HOURS = {
    "antwerp-night": [OpeningPeriod(weekday, dt.time(8, 0), dt.time(23, 0)) for weekday in range(7)]
}


def visits_demo_setup() -> int:
    """Give every shop default hours and, once, ticket history; returns the tickets created."""
    created = 0
    for shop in Shop.objects.order_by("code"):
        if shop.code in _DEMO_HOURS and not ShopHours.objects.filter(shop=shop).exists():
            visits_hours_replace(shop=shop, periods=_DEMO_HOURS[shop.code])
        visits_hours_setup_default(shop=shop)
        created += _history_create(shop=shop)
    return created


def _open_hours(hours: list[ShopHours], weekday: int) -> list[int]:
    return [
        hour
        for period in hours
        if period.weekday == weekday
        for hour in range(period.opens.hour, period.closes.hour)
    ]


def _history_create(*, shop: Shop) -> int:
    today = timezone.localtime(clock.now()).date()
    if QueueTicket.objects.filter(shop=shop, service_day__lt=today).exists():
        return 0
    hours = list(ShopHours.objects.filter(shop=shop))
    rng = random.Random(f"visits-demo:{shop.code}")  # seeded: the same demo chart every time
    choices = [
        (day, hour)
        for offset in range(1, DEMO_HISTORY_DAYS + 1)
        for day in [today - dt.timedelta(days=offset)]
        for hour in _open_hours(hours, day.weekday())
    ]
    if not choices:
        return 0
    weights = [
        _WEEKDAY_WEIGHTS[day.weekday()] * _HOUR_WEIGHTS.get(hour, 1) for day, hour in choices
    ]
    zone = timezone.get_current_timezone()
    moments = sorted(
        dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=zone)
        for day, hour in rng.choices(choices, weights=weights, k=DEMO_TICKETS_PER_SHOP)
    )
    tickets: list[QueueTicket] = []
    numbers: dict[dt.date, int] = {}
    for taken_at in moments:
        day = taken_at.date()
        numbers[day] = numbers.get(day, 0) + 1
        called_at = taken_at + dt.timedelta(minutes=rng.uniform(1, 20))
        served = rng.random() > 0.05
        service_min = rng.lognormvariate(1.7, 0.4) if served else 1.0  # median ≈ 5.5 minutes
        tickets.append(
            QueueTicket(
                shop=shop,
                service_day=day,
                number=numbers[day],
                source=rng.choice([TicketSource.SHOP, TicketSource.SHOP, TicketSource.ONLINE]),
                status=TicketStatus.SERVED if served else TicketStatus.NO_SHOW,
                taken_at=taken_at,
                called_at=called_at,
                finished_at=called_at + dt.timedelta(minutes=service_min),
            )
        )
    with transaction.atomic():
        QueueTicket.objects.bulk_create(tickets)
    return len(tickets)
