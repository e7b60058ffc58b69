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


def test_the_scheduler_enqueues_one_sweep_at_a_time() -> None:
    assert worker_command.sweep_enqueue() is True
    assert worker_command.sweep_enqueue() is True
    sweeps = DBTaskResult.objects.filter(task_path="topup.topups.tasks.topup_sweep")
    assert sweeps.count() == 1


def test_the_scheduler_only_logs_when_the_sweep_does_not_exist(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_command, "SWEEP_MODULE", "topup.topups.no_such_module")
    assert worker_command.sweep_enqueue() is False
    monkeypatch.setattr(worker_command, "SWEEP_MODULE", "topup.topups.tasks")
    monkeypatch.setattr(worker_command, "SWEEP_TASK", "no_such_task")
    assert worker_command.sweep_enqueue() is False
    assert not DBTaskResult.objects.exists()


def test_the_interval_is_bounded() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("worker", "--interval", "0")
