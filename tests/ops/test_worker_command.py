"""`topup worker`: --once drains through the real worker code; the scheduler enqueues the sweep."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from topup.cli.management.commands import worker as worker_command

from .tasks import ops_noop

pytestmark = pytest.mark.django_db


def test_worker_once_runs_every_ready_task_and_exits() -> None:
    results = [ops_noop.enqueue() for _ in range(3)]
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "ran 3 task(s)" in out.getvalue()
    assert {DBTaskResult.objects.get(pk=r.id).status for r in results} == {"SUCCESSFUL"}


def test_the_scheduler_enqueues_one_of_each_sweep_at_a_time() -> None:
    periodic = worker_command.PERIODIC_TASKS
    assert worker_command.sweep_enqueue() == len(periodic)
    assert worker_command.sweep_enqueue() == 0
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert {"topup.topups.tasks.topup_sweep", "topup.kiosks.tasks.kiosk_sweep"} <= paths
    assert paths == {task.module_path for task in periodic}
    assert DBTaskResult.objects.count() == len(periodic)


def test_the_interval_is_bounded() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("worker", "--interval", "0")
