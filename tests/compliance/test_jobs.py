"""The compliance jobs through the real worker and the `topup compliance` command."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from tests.support import FakeClock
from topup.audit.services import Actor
from topup.cli.management.commands import worker as worker_command
from topup.compliance.models import CaseKind, ComplianceCase, ComplianceScan, RetentionRun
from topup.compliance.services import identification_retention_run
from topup.compliance.tasks import compliance_scan_task, identification_retention_task
from topup.subscribers.models import HoldReason, IdentificationRecord, SimStatus
from topup.subscribers.services import line_hold_open, sim_status_change

from .conftest import Identify, NewLine, days

pytestmark = pytest.mark.django_db

Drain = Callable[..., int]


@pytest.fixture
def swapped_line(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    line_hold_open(sim=sim, reason=HoldReason.SIM_SWAP, details={}, actor=system_actor)


@pytest.fixture
def terminated_long_ago(
    new_line: NewLine, identified: Identify, system_actor: Actor, clock: FakeClock
) -> None:
    sim = new_line()
    identified(sim)
    sim_status_change(sim=sim, status=SimStatus.TERMINATED, reason="ended", actor=system_actor)
    clock.advance(seconds=days(400))


def test_the_worker_scans_and_skips_a_scan_within_ten_minutes_of_the_last(
    swapped_line: None, drain_worker: Drain, clock: FakeClock
) -> None:
    result = compliance_scan_task.enqueue()
    assert drain_worker() == 1
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert ComplianceCase.objects.filter(kind=CaseKind.SIM_SWAP).count() == 1
    assert ComplianceScan.objects.get().actor == "system:worker:compliance"
    compliance_scan_task.enqueue()
    clock.advance(seconds=9 * 60)
    drain_worker()
    assert ComplianceScan.objects.count() == 1
    clock.advance(seconds=2 * 60)
    compliance_scan_task.enqueue()
    drain_worker()
    assert ComplianceScan.objects.count() == 2
    assert ComplianceCase.objects.count() == 1


def test_the_scheduler_enqueues_the_compliance_jobs_and_the_worker_runs_them(
    swapped_line: None, drain_worker: Drain
) -> None:
    worker_command.sweep_enqueue()
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert {
        "topup.compliance.tasks.compliance_scan_task",
        "topup.compliance.tasks.identification_retention_task",
    } <= paths
    drain_worker()
    assert ComplianceCase.objects.count() == 1
    assert RetentionRun.objects.filter(dry_run=False).count() == 1


def test_the_worker_runs_retention_once_a_day(
    terminated_long_ago: None, drain_worker: Drain, clock: FakeClock, system_actor: Actor
) -> None:
    identification_retention_run(actor=system_actor, dry_run=True)  # a dry run does not count
    identification_retention_task.enqueue()
    drain_worker()
    run = RetentionRun.objects.get(dry_run=False)
    assert (run.records_erased, run.subscribers_erased, run.actor) == (
        1,
        1,
        "system:worker:retention",
    )
    clock.advance(seconds=22 * 3600)
    identification_retention_task.enqueue()
    drain_worker()
    assert RetentionRun.objects.filter(dry_run=False).count() == 1
    clock.advance(seconds=3600 + 1)
    identification_retention_task.enqueue()
    drain_worker()
    assert RetentionRun.objects.filter(dry_run=False).count() == 2


def test_the_scan_command_reports_what_it_opened(swapped_line: None) -> None:
    out = StringIO()
    call_command("compliance", "scan", stdout=out)
    assert "1 finding(s), 1 new case(s)" in out.getvalue()
    assert "sim_swap 1" in out.getvalue()
    out = StringIO()
    call_command("compliance", "scan", stdout=out)
    assert "1 finding(s), 0 new case(s)" in out.getvalue()


def test_the_retention_command_dry_run_then_for_real(terminated_long_ago: None) -> None:
    out = StringIO()
    call_command("compliance", "retention", "--dry-run", stdout=out)
    assert "would erase 1 identification record(s) and 1 subscriber name(s)" in out.getvalue()
    assert not IdentificationRecord.objects.filter(erased_at__isnull=False).exists()
    out = StringIO()
    call_command("compliance", "retention", stdout=out)
    assert "erased 1 identification record(s) and 1 subscriber name(s)" in out.getvalue()
    assert IdentificationRecord.objects.get().erased_at is not None
    assert RetentionRun.objects.get(dry_run=False).actor == "system:cli:retention"
