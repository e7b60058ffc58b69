"""Busy hours from real tickets and counter top-ups; shops near a place; Belgian municipalities."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.support import FakeClock
from tests.visits.conftest import local
from topup.audit.services import Actor
from topup.catalog.models import Shop
from topup.ledger.domain import AccountType
from topup.ledger.models import AccountKind
from topup.ledger.services import ledger_account_open
from topup.topups.models import TopupOrder
from topup.topups.services import TopupRequest, topup_order_create, topup_order_settle_at_counter
from topup.visits.demo import DEMO_TICKETS_PER_SHOP, visits_demo_setup
from topup.visits.models import QueueTicket, ShopHours
from topup.visits.selectors import (
    PostalCodesNotSupported,
    busy_hours,
    municipality_find,
    shops_near,
)
from topup.visits.services import queue_ticket_take

pytestmark = pytest.mark.django_db

ACTOR = Actor(actor_type="staff", actor_id="test")
MONDAY = dt.date(2031, 1, 6)
TUESDAY = dt.date(2031, 1, 7)


def _counter_sale(*, settle: bool) -> TopupOrder:
    request = TopupRequest(
        msisdn="+32470000002",
        amount_cents=1000,
        currency="EUR",
        payment_method="cash",
        channel="shop",
        idempotency_scope="shop:test",
        idempotency_key=uuid.uuid4().hex,
        requested_by=None,
        language="nl",
        settlement="counter",
    )
    order = topup_order_create(request=request, actor=ACTOR)
    if settle:
        drawer = ledger_account_open(
            code="test:drawer",
            name="Drawer",
            kind=AccountKind.SHOP_CASH_DRAWER,
            account_type=AccountType.ASSET,
        )
        order = topup_order_settle_at_counter(
            order_id=order.pk, funding=drawer, instrument_masked="", instrument_hash="", actor=ACTOR
        )
    return order


def test_busy_hours_count_tickets_and_completed_counter_top_ups_in_local_time(
    now: FakeClock, shop: Shop, other_shop: Shop
) -> None:
    now.moment = local(MONDAY, 9, 10)
    queue_ticket_take(shop=shop, source="shop")
    queue_ticket_take(shop=shop, source="online")
    queue_ticket_take(shop=other_shop, source="shop")  # another shop: not counted
    now.moment = local(TUESDAY, 17, 59)
    queue_ticket_take(shop=shop, source="shop")
    sold = _counter_sale(settle=True)
    unpaid = _counter_sale(settle=False)  # never completed: not a visit that happened
    now.moment = local(dt.date(2031, 1, 8), 10)

    busy = busy_hours(
        shop=shop, counter_orders=TopupOrder.objects.filter(pk__in=[sold.pk, unpaid.pk])
    )
    assert busy.counts[0][9] == 2  # Monday 09:00-10:00 Brussels time (08:xx UTC)
    assert busy.counts[1][17] == 2  # Tuesday 17:00-18:00: a ticket and a top-up
    assert busy.total == 4 and busy.peak == 2
    assert busy.level(weekday=0, hour=9) == 4 and busy.level(weekday=2, hour=9) == 0
    without_sales = busy_hours(shop=shop)
    assert without_sales.counts[1][17] == 1


def test_busy_hours_forget_visits_older_than_the_window(now: FakeClock, shop: Shop) -> None:
    now.moment = local(MONDAY, 11)
    queue_ticket_take(shop=shop, source="shop")
    now.advance(seconds=dt.timedelta(weeks=9).total_seconds())
    assert busy_hours(shop=shop, weeks=8).total == 0
    assert busy_hours(shop=shop, weeks=10).counts[0][11] == 1


def test_the_quietest_open_hours_skip_closed_hours(now: FakeClock, shop: Shop) -> None:
    now.moment = local(MONDAY, 9, 5)
    for _ in range(3):
        queue_ticket_take(shop=shop, source="shop")
    busy = busy_hours(shop=shop)
    quiet = busy.quietest_open_hours(hours=list(ShopHours.objects.filter(shop=shop)), limit=60)
    assert (0, 9) not in quiet[:10]  # the busiest hour is last
    assert quiet[-1] == (0, 9)
    assert all(weekday != 6 and 9 <= hour < 18 for weekday, hour in quiet)


def test_the_demo_history_fills_the_chart_once(now: FakeClock, demo: None) -> None:
    assert visits_demo_setup() == 2 * DEMO_TICKETS_PER_SHOP
    assert visits_demo_setup() == 0  # idempotent
    shop = Shop.objects.get(code="bru-central")
    busy = busy_hours(shop=shop)
    assert busy.total == DEMO_TICKETS_PER_SHOP
    assert sum(busy.counts[6]) == 0  # closed on Sundays
    assert sum(busy.counts[5]) > sum(busy.counts[0])  # Saturday is busier than Monday
    assert QueueTicket.objects.filter(shop=shop, finished_at__isnull=True).count() == 0
    night = Shop.objects.get(code="antwerp-night")
    assert ShopHours.objects.filter(shop=night, weekday=6, closes=dt.time(23, 0)).exists()


def test_shops_near_are_ordered_by_distance(demo: None) -> None:
    antwerp = municipality_find(name="Antwerpen")
    assert antwerp is not None
    near_antwerp = shops_near(latitude=antwerp.latitude, longitude=antwerp.longitude, limit=5)
    assert [d.shop.code for d in near_antwerp] == ["antwerp-night", "bru-central"]
    assert near_antwerp[0].distance_km < 3
    assert 35 < near_antwerp[1].distance_km < 50  # Antwerp to Brussels, as the crow flies
    near_brussels = shops_near(latitude=50.8467, longitude=4.3525, limit=1)
    assert [d.shop.code for d in near_brussels] == ["bru-central"]
    with pytest.raises(ValueError):
        shops_near(latitude=91, longitude=4, limit=5)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Brussels", "Brussels"),
        ("Bruxelles", "Brussels"),
        ("brussel", "Brussels"),
        ("Liège", "Liège"),
        ("liege", "Liège"),
        ("LUIK", "Liège"),
        ("Lüttich", "Liège"),
        ("Gent", "Gent"),
        ("Ghent", "Gent"),
        ("Gand", "Gent"),
        ("  sint-niklaas ", "Sint-Niklaas"),
        ("Elsene", "Ixelles"),
    ],
)
def test_municipalities_are_found_by_any_of_their_names(typed: str, name: str) -> None:
    place = municipality_find(name=typed)
    assert place is not None and place.name == name
    assert 49.4 < place.latitude < 51.6 and 2.5 < place.longitude < 6.5  # in Belgium


def test_unknown_places_and_foreign_cities_are_not_found() -> None:
    assert municipality_find(name="Atlantis") is None
    assert municipality_find(name="Amsterdam") is None
    assert municipality_find(name="") is None


def test_postal_codes_are_refused_because_the_package_has_none() -> None:
    with pytest.raises(PostalCodesNotSupported):
        municipality_find(name="1000")
