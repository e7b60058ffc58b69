"""Kill -9 under load: gunicorn workers, the gunicorn master and the task worker die at random
moments while customers top up, staff refund and shop managers void; after the system drains
and reconciliation runs, every captured payment is credited exactly once and nothing else.

The CI run: at least 20 kills in about 45 seconds of load. Longer: TOPUP_FAULTS_LONG=1, or
`python -m tests.faults --kills 200 --duration 600`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.faults.conftest import LONG, stack_failure_logs
from tests.faults.scenario import drain_and_check, killer, run_load
from tests.faults.stack import Stack

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KILLS = int(os.environ.get("TOPUP_FAULTS_KILLS", "120" if LONG else "24"))
DURATION_S = float(os.environ.get("TOPUP_FAULTS_DURATION_S", "300" if LONG else "45"))
SEED = int(os.environ.get("TOPUP_FAULTS_SEED", "7"))


@pytest.mark.timeout(DURATION_S + 360)
def test_kill_9_under_load_loses_and_doubles_nothing(
    fault_database: str, fault_workdir: Path, make_stack: list[Stack]
) -> None:
    stack = Stack(database_url=fault_database, workdir=fault_workdir)
    make_stack.append(stack)
    stack.start()

    load = run_load(
        stack,
        duration_s=DURATION_S,
        seed=SEED,
        faults=killer(stack, kills=KILLS, duration_s=DURATION_S),
    )
    result = drain_and_check(stack, load, workdir=fault_workdir)

    sys.stdout.write(f"\nfault run (kill -9 under load):\n{result.note()}\n")
    figures = result.figures
    assert result.violations == [], f"{result.note()}\n{stack_failure_logs(stack)}"
    assert stack.kills.total >= min(KILLS, 20), result.note()
    captured = int(str(figures["payments_captured"]))
    assert captured == figures["payments_credited"] and captured > 0, result.note()
    operations = figures["operations"]
    assert isinstance(operations, dict)
    assert operations.get("topup.paid", 0) >= 20, result.note()
    assert operations.get("refund.done", 0) >= 1, result.note()
    assert operations.get("void.approved", 0) >= 1, result.note()
    assert figures["gave_up"] == {}, result.note()
