"""/healthz, /readyz and /metrics as a load balancer and Prometheus see them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection
from django.test import Client, override_settings
from django_tasks_db.models import DBTaskResult

from tests.subscribers.factories import brand_create, line_create
from topup.audit.services import Actor
from topup.catalog.models import Brand
from topup.core import clock
from topup.core.worker import worker_drain
from topup.topups.models import TopupOrder

from .tasks import ops_noop


def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    # No django_db mark: any query here would raise instead of answering.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_with_a_database_and_an_empty_queue(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["worker"] == "ok"


@pytest.mark.django_db
def test_readyz_reports_a_stalled_worker_until_the_queue_is_drained(client: Client) -> None:
    ops_noop.enqueue()
    assert client.get("/readyz").status_code == 200  # waiting for a moment is normal
    DBTaskResult.objects.update(enqueued_at=clock.now() - dt.timedelta(seconds=90))
    stalled = client.get("/readyz")
    assert stalled.status_code == 503
    assert stalled.json()["worker"] == "stalled"
    assert stalled.json()["oldest_ready_task_wait_s"] >= 90
    assert worker_drain() == 1
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_database_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_cursor() -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def _order(*, sim_id: int, channel: str, status: str, key: str) -> TopupOrder:
    now = clock.now()
    return TopupOrder.objects.create(
        idempotency_scope="ops-test",
        idempotency_key=key,
        request_fingerprint="f" * 64,
        sim_id=sim_id,
        channel=channel,
        amount_cents=1000,
        payment_method="card",
        payment_provider="simulator",
        status=status,
        created_at=now,
        updated_at=now,
        expires_at=now + dt.timedelta(minutes=30),
    )


@pytest.mark.django_db
def test_metrics_counts_orders_by_channel_and_status_and_the_queue(
    client: Client, system_actor: Actor
) -> None:
    brand: Brand = brand_create()
    sim = line_create(brand=brand, actor=system_actor)
    for index, (channel, status) in enumerate(
        [("online", "failed"), ("online", "failed"), ("online", "expired"), ("kiosk", "created")]
    ):
        _order(sim_id=sim.pk, channel=channel, status=status, key=f"k{index}")
    ops_noop.enqueue()
    ops_noop.enqueue()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'topup_orders{channel="online",status="failed"} 2.0' in text
    assert 'topup_orders{channel="online",status="expired"} 1.0' in text
    assert 'topup_orders{channel="kiosk",status="created"} 1.0' in text
    assert "topup_worker_queue_depth 2.0" in text
    assert "topup_metrics_database_up 1.0" in text
    assert "topup_payment_gateway_seconds" in text  # the process's own registry comes along


@pytest.mark.django_db
@override_settings(TOPUP_METRICS_TOKEN="scrape-secret")
def test_metrics_can_require_a_scrape_token(client: Client) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert allowed.status_code == 200
