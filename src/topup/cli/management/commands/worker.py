"""`topup worker [--interval S] [--once]`: the database task worker plus a periodic sweep."""

from __future__ import annotations

import os
import socket
import threading
from argparse import ArgumentParser

import structlog
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django_tasks_db.models import DBTaskResult

from topup.compliance.tasks import compliance_scan_task, identification_retention_task
from topup.core.worker import (
    worker_build,
    worker_drain,
    worker_id_for,
    worker_orphans_requeue,
    worker_run,
)
from topup.kiosks.tasks import kiosk_sweep
from topup.topups.tasks import topup_sweep

SWEEP_INTERVAL_S = 30.0
MAX_INTERVAL_S = 60.0

log = structlog.get_logger(__name__)


# The periodic sweeps: late payments reconciled, abandoned orders expired; silent kiosks taken
# out of the finder and idle kiosk sessions wiped; the compliance scan (itself at most every ten
# minutes) and the identification retention run (itself at most once a day).
PERIODIC_TASKS = (topup_sweep, kiosk_sweep, compliance_scan_task, identification_retention_task)


def sweep_enqueue() -> int:
    """Enqueue each periodic sweep unless one is already waiting; how many were enqueued."""
    enqueued = 0
    for task in PERIODIC_TASKS:
        # A stalled worker must not pile up sweeps: one waiting sweep of each kind is enough.
        if not DBTaskResult.objects.ready().filter(task_path=task.module_path).exists():
            task.enqueue()
            enqueued += 1
    return enqueued


def _scheduler_loop(stop: threading.Event, interval_s: float) -> None:
    while not stop.wait(interval_s):
        try:
            sweep_enqueue()
            # Tasks a killed worker of this host left RUNNING would otherwise never run again.
            worker_orphans_requeue(hostname=socket.gethostname())
        except Exception:
            # A failed enqueue (database briefly away) must not kill the scheduler: retry later.
            log.exception("worker.sweep_enqueue_failed")
        finally:
            close_old_connections()


def scheduler_start(*, interval_s: float = SWEEP_INTERVAL_S) -> threading.Event:
    """Start the sweep scheduler in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_scheduler_loop, args=(stop, interval_s), name="topup-scheduler", daemon=True
    )
    thread.start()
    return stop


def _interval(text: str) -> float:
    value = float(text)
    if not 0 < value <= MAX_INTERVAL_S:
        raise CommandError(f"--interval must be above 0 and at most {MAX_INTERVAL_S:g} seconds")
    return value


class Command(BaseCommand):
    help = "Run background tasks (webhooks, SMS, order expiry, reconciliation) until stopped."

    def add_arguments(self, parser: CommandParser | ArgumentParser) -> None:
        parser.add_argument(
            "--interval", type=_interval, default=1.0, help="seconds between polls when idle"
        )
        parser.add_argument(
            "--once", action="store_true", help="run every task that is ready now, then exit"
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["once"]:
            worker_orphans_requeue(hostname=socket.gethostname())
            ran = worker_drain()
            self.stdout.write(f"ran {ran} task(s)")
            return
        interval_s = options["interval"]
        assert isinstance(interval_s, float)
        worker_id = worker_id_for(hostname=socket.gethostname(), pid=os.getpid())
        # A worker starting after a crash takes back what the dead one was running.
        worker_orphans_requeue(hostname=socket.gethostname())
        stop = scheduler_start()
        worker = worker_build(worker_id=worker_id, interval_s=interval_s)
        worker.configure_signals()
        self.stdout.write(f"worker {worker_id} polling every {interval_s:g}s; Ctrl-C stops")
        try:
            worker_run(worker=worker, hostname=socket.gethostname())
        finally:
            stop.set()
