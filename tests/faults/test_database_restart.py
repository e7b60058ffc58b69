"""PostgreSQL restarted under load: the suite starts a cluster of its own with pg_ctl (in a
temporary directory, on a free port), runs the production processes on it and restarts it twice
while customers, agents and staff keep working: once cleanly (`-m fast`: every connection cut)
and once as a crash (`-m immediate`: WAL recovery).

Connections recover (the web server and the worker keep serving without being restarted),
nothing the server acknowledged is lost, and nothing half-done is visible.
"""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_ALL
from tests.faults.conftest import stack_failure_logs
from tests.faults.scenario import drain_and_check, run_load
from tests.faults.stack import PgCluster, PgServer, Stack, database_copy, pg_bin_dir

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DURATION_S = 30.0
RESTARTS = (("fast", 8.0), ("immediate", 10.0))  # (mode, seconds of load before it)


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        # Inside the test: under TOPUP_REQUIRE_ALL=1 the conftest turns this skip into a failure.
        pytest.skip(
            f"SKIPPED (pg_ctl): no PostgreSQL server binaries (/usr/lib/postgresql/*/bin); "
            f"install postgresql{' (required: TOPUP_REQUIRE_ALL=1)' if REQUIRE_ALL else ''}"
        )
    own = PgCluster(bin_dir)
    try:
        own.init_and_start()
        yield own
    finally:
        own.stop()


def _restarter(cluster: PgCluster) -> Callable[[threading.Event, random.Random], None]:
    def run(done: threading.Event, rng: random.Random) -> None:
        for mode, wait_s in RESTARTS:
            if done.wait(wait_s * rng.uniform(0.8, 1.2)):
                return
            cluster.restart(mode=mode)

    return run


@pytest.mark.timeout(420)
def test_a_database_restart_under_load_loses_nothing_and_shows_nothing_half_done(
    pg_server: tuple[PgServer, str],
    fault_template: str,
    cluster: PgCluster,
    fault_workdir: Path,
    make_stack: list[Stack],
) -> None:
    server, _prefix = pg_server
    bin_dir = pg_bin_dir()
    assert bin_dir is not None
    database_copy(bin_dir=bin_dir, source=server, name=fault_template, target=cluster.server)
    stack = Stack(database_url=cluster.server.url(fault_template), workdir=fault_workdir)
    make_stack.append(stack)
    stack.start()
    web_master, task_worker = stack.web, stack.worker

    load = run_load(stack, duration_s=DURATION_S, seed=11, faults=_restarter(cluster))

    # Connections recovered by themselves: the same master and the same worker still serve.
    survived = {
        "web_master_alive": web_master is not None and web_master.poll() is None,
        "task_worker_alive": task_worker is not None and task_worker.poll() is None,
    }
    result = drain_and_check(stack, load, workdir=fault_workdir)
    sys.stdout.write(f"\nfault run (database restarted {cluster.restarts}x):\n{result.note()}\n")
    assert cluster.restarts == len(RESTARTS)
    assert result.violations == [], f"{result.note()}\n{stack_failure_logs(stack)}"
    assert survived == {"web_master_alive": True, "task_worker_alive": True}, (
        f"{survived}\n{stack_failure_logs(stack)}"
    )
    captured = int(str(result.figures["payments_captured"]))
    assert captured == result.figures["payments_credited"] and captured > 0
    assert result.figures["gave_up"] == {}, result.note()
