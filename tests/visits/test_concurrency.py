"""On PostgreSQL, concurrent customers get distinct numbers and never overfill a slot."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from tests.support import FakeClock, threads_together
from tests.visits.conftest import local
from topup.catalog.models import Shop
from topup.core.errors import ApplicationError
from topup.visits.models import QueueTicket, ShopBooking
from topup.visits.services import booking_create, queue_call_next, queue_ticket_take

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def _race(action: Callable[[int], object]) -> Counter[str]:
    """Run `action(i)` in THREADS threads released together; count outcomes by error code."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def counted(index: int) -> None:
        try:
            action(index)
            outcome = "ok"
        except ApplicationError as error:
            outcome = error.code
        with lock:
            outcomes[outcome] += 1

    assert threads_together(counted, threads=THREADS) == []
    return outcomes


def test_concurrent_tickets_get_distinct_consecutive_numbers(now: FakeClock, shop: Shop) -> None:
    assert _race(lambda _i: queue_ticket_take(shop=shop, source="online")) == {"ok": THREADS}
    numbers = sorted(QueueTicket.objects.filter(shop=shop).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))


def test_concurrent_agents_never_call_the_same_customer(now: FakeClock, shop: Shop) -> None:
    for _ in range(THREADS):
        queue_ticket_take(shop=shop, source="shop")
    agents = [User.objects.create_user(username=f"agent-{i}", password="x") for i in range(THREADS)]
    assert _race(lambda i: queue_call_next(shop=shop, user=agents[i])) == {"ok": THREADS}
    called_by = QueueTicket.objects.filter(shop=shop).values_list("called_by", flat=True)
    assert sorted(called_by) == sorted(agent.pk for agent in agents)


def test_concurrent_bookings_never_overfill_a_slot(
    now: FakeClock, shop: Shop, settings: Settings
) -> None:
    settings.TOPUP_VISITS_SLOT_CAPACITY = 2
    start = local(dt.date(2031, 1, 9), 11)
    outcomes = _race(
        lambda i: booking_create(
            shop=shop, slot_start=start, msisdn=f"+3247000001{i}", language="en"
        )
    )
    assert outcomes == {"ok": 2, "slot_full": THREADS - 2}
    assert ShopBooking.objects.filter(slot_start=start).count() == 2
