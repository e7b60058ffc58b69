"""The background worker: django-tasks' database worker, plus a drain used by tests and the demo.

`worker_drain` claims and runs ready tasks with the library's own `Worker.run_task`, the same
code the long-running worker uses; it only skips the connection recycling that would break a
test's transaction.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

MAX_DRAIN_TASKS = 10_000


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
