"""Fixtures for the subscribers tests: a brand and a line awaiting identification."""

from __future__ import annotations

import pytest

from topup.audit.services import Actor
from topup.catalog.models import Brand
from topup.subscribers.models import Sim

from .factories import brand_create, line_create


@pytest.fixture
def brand(db: None) -> Brand:
    return brand_create()


@pytest.fixture
def sim(brand: Brand, system_actor: Actor) -> Sim:
    return line_create(brand=brand, actor=system_actor)
