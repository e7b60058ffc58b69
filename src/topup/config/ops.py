"""Operations endpoints: /healthz (alive), /readyz (database and worker), /metrics (Prometheus).

/readyz cannot see worker processes directly (no shared cache on SQLite, no heartbeat table), so
it judges the worker by its effect: when the oldest task that is ready to run has waited longer
than READY_TASK_MAX_WAIT_S, no worker is draining the queue and the instance is not ready.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from topup.core import clock
from topup.core.worker import worker_queue_depth
from topup.topups.models import TopupOrder

READY_TASK_MAX_WAIT_S = 60.0


def oldest_ready_task_wait_s(*, now: dt.datetime) -> float:
    """How long the longest-waiting runnable task has waited; 0 when nothing is waiting."""
    ready = DBTaskResult.objects.ready()
    undelayed = ready.filter(run_after=get_date_max()).aggregate(oldest=Min("enqueued_at"))
    delayed = ready.exclude(run_after=get_date_max()).aggregate(oldest=Min("run_after"))
    waiting_since = [t for t in (undelayed["oldest"], delayed["oldest"]) if t is not None]
    if not waiting_since:
        return 0.0
    return max(0.0, (now - min(waiting_since)).total_seconds())


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers; touches nothing else, so a slow database never restarts it."""
    return JsonResponse({"status": "ok"})


def _database_check() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """503 unless the database answers and a worker drains the task queue."""
    if not _database_check():
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    try:
        waited_s = oldest_ready_task_wait_s(now=clock.now())
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    worker_ok = waited_s <= READY_TASK_MAX_WAIT_S
    body = {
        "status": "ok" if worker_ok else "unavailable",
        "database": "ok",
        "worker": "ok" if worker_ok else "stalled",
        "oldest_ready_task_wait_s": round(waited_s, 1),
    }
    return JsonResponse(body, status=200 if worker_ok else 503)


class DatabaseCollector(Collector):
    """Figures read from the database at scrape time, so every web process reports the same."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("topup_metrics_database_up", "Whether the scrape could read the DB")
        try:
            families = [self._orders(), *self._worker()]
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _orders(self) -> GaugeMetricFamily:
        orders = GaugeMetricFamily(
            "topup_orders", "Top-up orders by channel and status", labels=["channel", "status"]
        )
        rows = TopupOrder.objects.values_list("channel", "status").annotate(count=Count("id"))
        for channel, status, count in rows.order_by("channel", "status"):
            orders.add_metric([channel, status], count)
        return orders

    def _worker(self) -> list[GaugeMetricFamily]:
        depth = GaugeMetricFamily("topup_worker_queue_depth", "Background tasks ready to run")
        depth.add_metric([], worker_queue_depth())
        wait = GaugeMetricFamily(
            "topup_worker_oldest_ready_task_wait_seconds",
            "How long the oldest ready background task has waited",
        )
        wait.add_metric([], oldest_ready_task_wait_s(now=clock.now()))
        return [depth, wait]


def _metrics_allowed(request: HttpRequest) -> bool:
    """With TOPUP_METRICS_TOKEN set, scrapers must send it as a bearer token."""
    expected = str(getattr(settings, "TOPUP_METRICS_TOKEN", ""))
    if not expected:
        return True
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(sent.encode(), expected.encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The process's own metrics (default registry) followed by the database figures."""
    if not _metrics_allowed(request):
        return HttpResponse(status=401)
    database_registry = CollectorRegistry(auto_describe=False)
    database_registry.register(DatabaseCollector())
    body = generate_latest(REGISTRY) + generate_latest(database_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
]
