"""A fault run from start to verdict: load, faults, drain, reconciliation, invariants.

Used by the tests (tests/faults/test_*.py) and by the long runner (`python -m tests.faults`).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import psycopg

from tests.faults.load import Load
from tests.faults.stack import Stack, StackError, django_run

FINISH_GRACE_S: Final = 45.0  # after the faults stop, clients still finish what they started
SETTLE_TIMEOUT_S: Final = 60.0
QUIET_POLLS: Final = 3
MAX_OVERRUN: Final = 3  # the load goes on at most this many times its duration for the faults
MIN_KILL_GAP_S: Final = 0.5
TASKS: Final = "django_tasks_database_dbtaskresult"
MAX_DATE: Final = "9999-01-01"


def settle(database_url: str, *, timeout_s: float = SETTLE_TIMEOUT_S) -> dict[str, int]:
    """Let the running worker drain the queue, with time passing for whatever waits (retry
    backoffs, late webhooks, the provider's processing delay); returns when nothing is left."""
    deadline = time.monotonic() + timeout_s
    quiet = rounds = 0
    ready = running = 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rounds += 1
            conn.execute(
                f"UPDATE {TASKS} SET run_after = now() WHERE status = 'READY' "  # noqa: S608
                f"AND run_after > now() AND run_after < '{MAX_DATE}'"
            )
            conn.execute(
                "UPDATE payments_simulatorpayment SET resolve_after = now() "
                "WHERE status = 'pending' AND resolve_after > now()"
            )
            row = conn.execute(
                f"SELECT count(*) FILTER (WHERE status = 'READY'), "  # noqa: S608
                f"count(*) FILTER (WHERE status = 'RUNNING') FROM {TASKS}"
            ).fetchone()
            ready, running = (int(row[0]), int(row[1])) if row else (0, 0)
            quiet = quiet + 1 if ready == running == 0 else 0
            if quiet >= QUIET_POLLS:
                break
            time.sleep(0.3)
    return {"rounds": rounds, "ready": ready, "running": running}


def probe(stack: Stack, *args: str) -> dict[str, object]:
    done = django_run(["tests.faults.probe", *args], env=stack.env)
    if done.returncode != 0:
        raise StackError(f"probe {args} failed:\n{done.stdout}\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout)
    assert isinstance(result, dict)
    return result


def ledger_verify_command(stack: Stack) -> tuple[int, str]:
    """`topup ledger verify`, the command operations run, on the run's database."""
    # The same command through the fault-injecting entry point when the stack uses one (its
    # system checks must find the flaky SMS gateway registered).
    module = "tests.faults.entry" if stack.trouble else "topup.cli"
    done = django_run([module, "ledger", "verify"], env=stack.env)
    return done.returncode, (done.stdout + done.stderr).strip()[-2000:]


@dataclass
class RunResult:
    figures: dict[str, object] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def note(self) -> str:
        return json.dumps({**self.figures, "violations": self.violations}, indent=2, default=str)


def drain_and_check(stack: Stack, load: Load, *, workdir: Path) -> RunResult:
    """After the faults: every process up, the queue drained, reconciliation run, then check."""
    stack.ensure_running()
    first = settle(stack.database_url)
    reconciled = probe(stack, "reconcile")
    second = settle(stack.database_url)
    acks_path = workdir / "acks.json"
    acks_path.write_text(json.dumps(load.report.acks.as_json()))
    checked = probe(stack, "check", "--acks", str(acks_path))
    violations = checked.pop("violations")
    assert isinstance(violations, list)
    verify_code, verify_output = ledger_verify_command(stack)
    if verify_code != 0:
        violations.append(f"topup ledger verify exited {verify_code}: {verify_output}")
    result = RunResult(
        figures={
            **load.report.summary(),
            "kills": {
                "web_workers": stack.kills.web_workers,
                "web_masters": stack.kills.web_masters,
                "task_workers": stack.kills.task_workers,
                "total": stack.kills.total,
            },
            "settle": [first, second],
            "reconcile": reconciled,
            "ledger_verify": verify_output.splitlines()[-1:] if verify_output else [],
            **checked,
        },
        violations=[str(v) for v in violations],
    )
    (workdir / "note.json").write_text(result.note())
    return result


def run_load(
    stack: Stack,
    *,
    duration_s: float,
    seed: int,
    faults: Callable[[threading.Event, random.Random], None] | None = None,
) -> Load:
    """Drive the load for `duration_s` (longer if `faults` needs it to finish its damage: at
    most MAX_OVERRUN times); then the clients finish what they started and stop."""
    stop = threading.Event()
    rng = random.Random(seed)
    longest_s = duration_s * MAX_OVERRUN
    load = Load(
        base_url=stack.base_url,
        database_url=stack.database_url,
        deadline=time.monotonic() + longest_s + FINISH_GRACE_S,
        stop=stop,
        rng=random.Random(seed + 1),
    )
    threads = load.threads()
    for thread in threads:
        thread.start()
    time_up = threading.Event()
    fault_thread = None
    if faults is not None:
        fault_thread = threading.Thread(
            target=faults, args=(time_up, rng), name="faults", daemon=True
        )
        fault_thread.start()
    time.sleep(duration_s)
    time_up.set()
    if fault_thread is not None:
        fault_thread.join(timeout=longest_s - duration_s + 30)
    stack.ensure_running()
    stop.set()
    for thread in threads:
        thread.join(timeout=FINISH_GRACE_S + 15)
    return load


def killer(
    stack: Stack, *, kills: int, duration_s: float
) -> Callable[[threading.Event, random.Random], None]:
    """SIGKILL gunicorn workers, the gunicorn master (with its workers) and the task worker at
    random moments, `kills` times, spread over `duration_s` (on a busy machine restarts take
    longer: then it goes on past the time, quickly, up to MAX_OVERRUN times it). Each process is
    started again as a supervisor would; gunicorn's master respawns its own workers."""

    def run(time_up: threading.Event, rng: random.Random) -> None:
        started = time.monotonic()
        end = started + duration_s
        while stack.kills.total < kills and time.monotonic() < started + duration_s * MAX_OVERRUN:
            remaining_s = max(end - time.monotonic(), 0.0)
            gap_s = max(remaining_s / (kills - stack.kills.total + 1), MIN_KILL_GAP_S)
            time.sleep(rng.uniform(0.3, 1.2) * gap_s)
            choice = rng.random()
            if choice < 0.55:
                stack.kill_web_worker(rng)
            elif choice < 0.70:
                stack.kill_web_master()
            else:
                stack.kill_worker()
                time.sleep(rng.uniform(0.0, 1.0))
                stack.start_worker()

    return run
