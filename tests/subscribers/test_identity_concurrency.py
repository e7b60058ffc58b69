"""On PostgreSQL, concurrent identifications of one identity cannot exceed the SIM limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import override_settings

from topup.audit.services import Actor
from topup.catalog.models import Brand
from topup.subscribers.models import IdentificationRecord, Sim, SimStatus

from .factories import identify, line_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8
LIMIT = 3


@override_settings(TOPUP_MAX_SIMS_PER_IDENTITY=LIMIT)
def test_concurrent_identifications_respect_the_limit(brand: Brand, system_actor: Actor) -> None:
    lines = [line_create(brand=brand, actor=system_actor) for _ in range(THREADS)]

    def identify_in_thread(sim: Sim) -> str:
        try:
            return identify(sim=sim, actor=system_actor).status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = list(pool.map(identify_in_thread, lines))
    assert sorted(statuses).count("accepted") == LIMIT
    assert Sim.objects.filter(status=SimStatus.ACTIVE).count() == LIMIT
    assert IdentificationRecord.objects.filter(status="anomaly").count() == THREADS - LIMIT
