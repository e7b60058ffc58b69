"""The queue: numbers per day, calling in order, finishing, and waits from real service times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from tests.support import FakeClock
from topup.catalog.models import Shop
from topup.visits import errors
from topup.visits.models import QueueTicket, TicketStatus
from topup.visits.services import (
    DEFAULT_SERVICE_MINUTES,
    queue_call_next,
    queue_ticket_finish,
    queue_ticket_take,
    queue_wait_estimate,
)

pytestmark = pytest.mark.django_db


def _serve(shop: Shop, agent: User, clock: FakeClock, *, minutes: float) -> QueueTicket:
    """Call the next customer and finish after `minutes` on the clock."""
    ticket = queue_call_next(shop=shop, user=agent)
    assert ticket is not None
    clock.advance(seconds=minutes * 60)
    return queue_ticket_finish(ticket_id=ticket.pk, user=agent, served=True)


def test_numbers_count_up_per_shop_and_start_again_the_next_day(
    now: FakeClock, shop: Shop, other_shop: Shop
) -> None:
    first = queue_ticket_take(shop=shop, source="shop")
    second = queue_ticket_take(shop=shop, source="online")
    elsewhere = queue_ticket_take(shop=other_shop, source="screen")
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    now.advance(seconds=24 * 3600)
    assert queue_ticket_take(shop=shop, source="shop").number == 1


def test_call_next_takes_the_lowest_waiting_number_and_finish_closes_it(
    now: FakeClock, shop: Shop, agent: User, second_agent: User
) -> None:
    tickets = [queue_ticket_take(shop=shop, source="shop") for _ in range(3)]
    called = queue_call_next(shop=shop, user=agent)
    assert called is not None and called.pk == tickets[0].pk
    assert called.status == TicketStatus.CALLED and called.called_by == agent
    also_called = queue_call_next(shop=shop, user=second_agent)
    assert also_called is not None and also_called.pk == tickets[1].pk

    now.advance(seconds=300)
    finished = queue_ticket_finish(ticket_id=called.pk, user=agent, served=True)
    assert finished.status == TicketStatus.SERVED
    assert finished.finished_at == now.now()
    no_show = queue_ticket_finish(ticket_id=also_called.pk, user=second_agent, served=False)
    assert no_show.status == TicketStatus.NO_SHOW

    last = queue_call_next(shop=shop, user=agent)
    assert last is not None and last.pk == tickets[2].pk
    assert queue_call_next(shop=shop, user=agent) is None


def test_a_ticket_is_finished_only_once_and_only_after_being_called(
    now: FakeClock, shop: Shop, other_shop: Shop, agent: User
) -> None:
    waiting = queue_ticket_take(shop=shop, source="shop")
    with pytest.raises(errors.TicketNotCalled):
        queue_ticket_finish(ticket_id=waiting.pk, user=agent, served=True)
    called = queue_call_next(shop=shop, user=agent)
    assert called is not None
    with pytest.raises(errors.TicketNotFound):  # the console passes its own shop
        queue_ticket_finish(ticket_id=called.pk, user=agent, served=True, shop=other_shop)
    queue_ticket_finish(ticket_id=called.pk, user=agent, served=True, shop=shop)
    with pytest.raises(errors.TicketNotCalled):
        queue_ticket_finish(ticket_id=called.pk, user=agent, served=True)
    with pytest.raises(errors.TicketNotFound):
        queue_ticket_finish(ticket_id=999_999, user=agent, served=True)


def test_yesterdays_waiting_tickets_are_not_called_today(
    now: FakeClock, shop: Shop, agent: User
) -> None:
    queue_ticket_take(shop=shop, source="shop")
    now.advance(seconds=24 * 3600)
    assert queue_call_next(shop=shop, user=agent) is None


def test_online_tickets_only_while_the_shop_is_open(now: FakeClock, shop: Shop) -> None:
    now.advance(seconds=9 * 3600)  # Wednesday 19:00: closed
    with pytest.raises(errors.ShopClosed):
        queue_ticket_take(shop=shop, source="online")
    # A ticket printed inside the shop still works (agents serve those who are in).
    assert queue_ticket_take(shop=shop, source="shop").number == 1


def test_without_history_the_wait_uses_the_documented_default(now: FakeClock, shop: Shop) -> None:
    for _ in range(3):
        queue_ticket_take(shop=shop, source="shop")
    estimate = queue_wait_estimate(shop=shop)
    assert estimate.people_waiting == 3
    assert estimate.sample_size == 0 and not estimate.from_history
    assert estimate.service_minutes == DEFAULT_SERVICE_MINUTES
    assert estimate.minutes == 3 * DEFAULT_SERVICE_MINUTES


def test_the_wait_is_the_median_real_service_time_times_the_people_waiting(
    now: FakeClock, shop: Shop, agent: User
) -> None:
    for _ in range(5):
        queue_ticket_take(shop=shop, source="shop")
    for minutes in (4, 10, 30):  # median 10, though the mean would be about 14.7
        _serve(shop, agent, now, minutes=minutes)
    estimate = queue_wait_estimate(shop=shop)
    assert estimate.people_waiting == 2
    assert estimate.sample_size == 3
    assert estimate.service_minutes == 10
    assert estimate.counters == 1
    assert estimate.minutes == 20


def test_two_agents_at_the_counter_halve_the_wait(
    now: FakeClock, shop: Shop, agent: User, second_agent: User
) -> None:
    for _ in range(6):
        queue_ticket_take(shop=shop, source="shop")
    _serve(shop, agent, now, minutes=8)
    _serve(shop, second_agent, now, minutes=8)
    estimate = queue_wait_estimate(shop=shop)
    assert (estimate.people_waiting, estimate.counters) == (4, 2)
    assert estimate.minutes == 16


def test_no_shows_do_not_count_as_service_times(now: FakeClock, shop: Shop, agent: User) -> None:
    queue_ticket_take(shop=shop, source="shop")
    queue_ticket_take(shop=shop, source="shop")
    ticket = queue_call_next(shop=shop, user=agent)
    assert ticket is not None
    now.advance(seconds=60)
    queue_ticket_finish(ticket_id=ticket.pk, user=agent, served=False)
    estimate = queue_wait_estimate(shop=shop)
    assert estimate.sample_size == 0 and estimate.minutes == DEFAULT_SERVICE_MINUTES


def test_service_times_older_than_the_sample_window_are_ignored(
    now: FakeClock, shop: Shop, agent: User
) -> None:
    queue_ticket_take(shop=shop, source="shop")
    _serve(shop, agent, now, minutes=40)
    now.advance(seconds=dt.timedelta(days=30).total_seconds())
    queue_ticket_take(shop=shop, source="shop")
    assert queue_wait_estimate(shop=shop).service_minutes == DEFAULT_SERVICE_MINUTES
