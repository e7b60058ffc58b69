"""The worker's recovery from the faults tests/faults found, in-process on both engines: tasks a
killed worker left RUNNING go back to the queue, the worker outlives a database restart, and
login codes are not queued behind receipts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.faults.tasks import faults_noop
from topup.core import worker as core_worker
from topup.core.worker import (
    STALE_RUNNING_S,
    worker_build,
    worker_id_for,
    worker_orphans_requeue,
    worker_run,
)
from topup.messaging.models import SmsPurpose
from topup.messaging.services import messaging_sms_send
from topup.messaging.tasks import OTP_TASK_PRIORITY

pytestmark = pytest.mark.django_db
HOST = "faults-host"


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _running(worker_id: str, *, started_s_ago: float = 1.0) -> DBTaskResult:
    result = faults_noop.enqueue()
    task = DBTaskResult.objects.get(pk=result.id)
    task.claim(worker_id)
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=started_s_ago)
    )
    return task


def _status(task: DBTaskResult) -> str:
    return str(DBTaskResult.objects.get(pk=task.pk).status)


def test_a_task_left_running_by_a_killed_worker_of_this_host_is_given_back() -> None:
    dead = _running(worker_id_for(hostname=HOST, pid=_dead_pid()))
    alive = _running(worker_id_for(hostname=HOST, pid=os.getppid()))
    elsewhere = _running(worker_id_for(hostname="other-host", pid=_dead_pid()))

    assert worker_orphans_requeue(hostname=HOST) == 1

    assert (_status(dead), _status(alive), _status(elsewhere)) == ("READY", "RUNNING", "RUNNING")
    assert DBTaskResult.objects.get(pk=dead.pk).started_at is None


def test_a_task_running_too_long_on_another_host_is_given_back() -> None:
    stale = _running("other-host-12", started_s_ago=STALE_RUNNING_S + 5)
    recent = _running("other-host-13", started_s_ago=60)

    assert worker_orphans_requeue(hostname=HOST) == 1
    assert (_status(stale), _status(recent)) == ("READY", "RUNNING")


def test_a_finished_task_is_never_taken_back() -> None:
    task = _running(worker_id_for(hostname=HOST, pid=_dead_pid()))
    DBTaskResult.objects.get(pk=task.pk).set_successful(None)

    assert worker_orphans_requeue(hostname=HOST) == 0
    assert _status(task) == "SUCCESSFUL"


def test_the_worker_outlives_a_database_outage_and_gives_back_its_own_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = worker_build(worker_id=worker_id_for(hostname=HOST, pid=os.getpid()))
    cut_short = _running(worker.worker_id)
    calls: list[str] = []

    def run() -> None:
        calls.append("run")
        if calls.count("run") <= 2:  # down for two tries, then back
            raise OperationalError("the database system is starting up")

    monkeypatch.setattr(worker, "run", run)
    monkeypatch.setattr(core_worker.time, "sleep", lambda _s: calls.append("wait"))
    monkeypatch.setattr(core_worker.connections, "close_all", lambda: None)

    worker_run(worker=worker, hostname=HOST)

    assert calls == ["run", "wait", "run", "wait", "run"]
    assert _status(cut_short) == "READY"


def test_a_stopping_worker_does_not_wait_for_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = worker_build(worker_id="stopping")

    def run() -> None:
        worker.running = False  # a SIGTERM arrived, then the database went away
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(worker, "run", run)
    worker_run(worker=worker, hostname=HOST)  # returns instead of retrying


def test_a_login_code_goes_before_the_receipts_in_the_queue() -> None:
    for purpose in (SmsPurpose.RECEIPT, SmsPurpose.OTP, SmsPurpose.RECEIPT):
        messaging_sms_send(
            msisdn="+32470000001", body="text", sender_name="DemoMobile", purpose=purpose
        )
    priorities = list(
        DBTaskResult.objects.ready()
        .filter(task_path__endswith="sms_deliver")
        .values_list("priority", flat=True)
    )
    assert priorities == [OTP_TASK_PRIORITY, 0, 0]  # the queue's own order: priority first
