"""A task for the worker-recovery tests: does nothing, so only the queue and the worker count."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def faults_noop() -> str:
    return "done"
