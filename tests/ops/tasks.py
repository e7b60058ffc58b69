"""A task for the ops tests: does nothing, so only queueing and the worker are exercised."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def ops_noop() -> str:
    return "done"
