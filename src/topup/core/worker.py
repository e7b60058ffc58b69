"""The background worker: django-tasks' database worker, plus a drain used by tests and the demo.

`worker_drain` claims and runs ready tasks with the library's own `Worker.run_task`, the same
code the long-running worker uses; it only skips the connection recycling that would break a
test's transaction.

`worker_orphans_requeue` gives back the tasks a dead worker left RUNNING: the library marks a
task RUNNING when a worker claims it, and a worker killed mid-task (SIGKILL, out of memory, a
lost machine) never finishes it, so nothing would ever run it again. Every task here is
idempotent or at-least-once safe (webhook and SMS deliveries count their attempts), so running
one again is correct; never running it loses a webhook, a receipt SMS or a login code.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import structlog
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

MAX_DRAIN_TASKS = 10_000
# A RUNNING task older than this is given back even when its worker's liveness cannot be seen
# (another machine): every task is bounded far below it (HTTP calls time out after 10 s).
STALE_RUNNING_S = 15 * 60
MAX_REQUEUE_BATCH = 1_000
DATABASE_RETRY_FIRST_S = 0.5
DATABASE_RETRY_MAX_S = 10.0
_HOSTNAME_MAX_CHARS = 50  # worker ids are at most 64 characters: room left for the pid

log = structlog.get_logger(__name__)


def worker_id_for(*, hostname: str, pid: int) -> str:
    """`<host>-<pid>`: what `worker_orphans_requeue` reads back to see if the worker lives."""
    return f"{hostname[:_HOSTNAME_MAX_CHARS]}-{pid}"


def _pid_on(worker_id: str, hostname: str) -> int | None:
    host, _, pid = worker_id.rpartition("-")
    if host != hostname[:_HOSTNAME_MAX_CHARS] or not pid.isdigit():
        return None
    return int(pid)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _orphaned(
    task: DBTaskResult, *, hostname: str, stale_before: dt.datetime, own_worker_id: str
) -> bool:
    claimer = str(task.worker_ids[-1]) if task.worker_ids else ""
    if own_worker_id and claimer == own_worker_id:
        return True  # the caller runs nothing now: what it claimed earlier was cut short
    pid = _pid_on(claimer, hostname)
    if pid is not None and pid != os.getpid():
        return not _process_alive(pid)
    return task.started_at is not None and task.started_at < stale_before


def worker_orphans_requeue(
    *, hostname: str, stale_after_s: float = STALE_RUNNING_S, own_worker_id: str = ""
) -> int:
    """Make RUNNING tasks whose worker is gone READY again; how many. Safe to call anywhere:
    a task is only taken back from a dead worker of this host, or after `stale_after_s`, or
    from `own_worker_id` (a worker between two tasks, whose last one was cut short)."""
    stale_before = timezone.now() - dt.timedelta(seconds=stale_after_s)
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).order_by("started_at")
    requeued = 0
    for task in running.only("id", "worker_ids", "started_at", "task_path")[:MAX_REQUEUE_BATCH]:
        if not _orphaned(
            task, hostname=hostname, stale_before=stale_before, own_worker_id=own_worker_id
        ):
            continue
        # Only if still RUNNING: a worker that finished it meanwhile keeps its result.
        taken = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        if taken:
            requeued += 1
            log.warning(
                "worker.orphan_requeued",
                task_id=str(task.pk),
                task_path=task.task_path,
                worker_ids=task.worker_ids,
            )
    return requeued


def worker_build(*, worker_id: str, interval_s: float = 1.0, batch: bool = False) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=interval_s,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def worker_drain(*, max_tasks: int = MAX_DRAIN_TASKS, worker_id: str = "drain") -> int:
    """Run every task that is ready now (including ones enqueued while draining); count them."""
    worker = worker_build(worker_id=worker_id, batch=True)
    ran = 0
    while ran < max_tasks:
        with transaction.atomic():
            task_result = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if task_result is not None:
                task_result.claim(worker_id)
        if task_result is None:
            return ran
        worker.run_task(task_result)
        ran += 1
    return ran


def worker_queue_depth() -> int:
    return DBTaskResult.objects.ready().count()


def worker_run(*, worker: Worker, hostname: str) -> None:
    """Run the library's polling loop until a signal stops it, riding out database outages.

    The library's loop ends with an exception when the database goes away (a restart, a
    failover), and the worker process with it: the queue would stay unserved until someone
    restarted it. Here the worker waits (backing off up to DATABASE_RETRY_MAX_S), gives back
    the task it was running when the connection broke, and goes on.
    """
    pause_s = DATABASE_RETRY_FIRST_S
    while True:
        try:
            worker.run()
            return
        except (OperationalError, InterfaceError) as error:
            if not worker.running:
                return  # asked to stop anyway
            log.warning(
                "worker.database_unavailable", error_type=type(error).__name__, retry_s=pause_s
            )
        connections.close_all()
        time.sleep(pause_s)
        try:
            worker_orphans_requeue(hostname=hostname, own_worker_id=worker.worker_id)
            pause_s = DATABASE_RETRY_FIRST_S
        except DatabaseError:
            pause_s = min(pause_s * 2, DATABASE_RETRY_MAX_S)
