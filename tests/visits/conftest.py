"""Fixtures for visits: two demo shops with default hours, a stopped clock on a Wednesday."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from tests.support import FakeClock
from topup.catalog.models import Shop
from topup.cli.demo_data import demo_data_load
from topup.visits.services import visits_hours_setup_default

BRUSSELS = ZoneInfo("Europe/Brussels")
# Wednesday 8 January 2031, 10:00 in Brussels: the shops are open (Mon-Sat 09:00-18:00).
WEDNESDAY_10 = dt.datetime(2031, 1, 8, 10, 0, tzinfo=BRUSSELS)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BRUSSELS)


@pytest.fixture
def now(clock: FakeClock) -> FakeClock:
    clock.moment = WEDNESDAY_10.astimezone(dt.UTC)
    return clock


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.TOPUP_PUBLIC_URL = "http://localhost"
    assert demo_data_load()


@pytest.fixture
def shop(demo: None) -> Shop:
    shop = Shop.objects.get(code="bru-central")
    visits_hours_setup_default(shop=shop)
    return shop


@pytest.fixture
def other_shop(demo: None) -> Shop:
    shop = Shop.objects.get(code="antwerp-night")
    visits_hours_setup_default(shop=shop)
    return shop


@pytest.fixture
def agent(db: None) -> User:
    return User.objects.create_user(username="visits-agent-1", password="x")


@pytest.fixture
def second_agent(db: None) -> User:
    return User.objects.create_user(username="visits-agent-2", password="x")
