"""Compliance fixtures: a stopped clock, a brand, and lines made and identified through services."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest

from tests.subscribers.factories import brand_create, eid_card_number, identify, line_create
from topup.audit.services import Actor
from topup.catalog.models import Brand
from topup.subscribers.models import IdentificationRecord, Sim

_cards = itertools.count(1_000_000)

NewLine = Callable[..., Sim]
Identify = Callable[..., IdentificationRecord]


def a_card_number() -> str:
    """A fresh valid Belgian eID card number (one identity)."""
    return eid_card_number(next(_cards))


@pytest.fixture
def officer() -> Actor:
    return Actor(actor_type="staff", actor_id="42", ip_address="192.0.2.10")


@pytest.fixture
def brand(db: None) -> Brand:
    return brand_create()


@pytest.fixture
def new_line(brand: Brand, system_actor: Actor) -> NewLine:
    """A line awaiting identification."""

    def create() -> Sim:
        return line_create(brand=brand, actor=system_actor)

    return create


@pytest.fixture
def identified(system_actor: Actor) -> Identify:
    """Identify a line with an eID card (a fresh identity unless `document_number` is given)."""

    def create(
        sim: Sim,
        *,
        document_number: str | None = None,
        expires_on: dt.date | None = dt.date(2040, 12, 31),
        national_register_number: str | None = None,
    ) -> IdentificationRecord:
        record = identify(
            sim=sim,
            actor=system_actor,
            document_number=document_number or a_card_number(),
            expires_on=expires_on,
            national_register_number=national_register_number,
        )
        sim.refresh_from_db()
        return record

    return create


def days(n: float) -> float:
    """Seconds in n days, for `clock.advance(seconds=...)`."""
    return n * 86_400
