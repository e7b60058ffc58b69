"""The load test of the netns cluster: top-ups through the load balancer, a web host killed
mid-run, then the proof that nothing was lost. Run by `deploy/netns-cluster.sh load|demo`.

The load is the fault tests' (tests/faults/load.py): customers top up over the REST API and
pay on the payment simulator's page (card, Bancontact), one customer-service agent refunds
disputed top-ups in the back office, a shop agent sells and voids at the counter. Every request
that gets no answer, or a 5xx, is sent again with the same idempotency key, as a client would.
At `--kill-at` seconds the first web host dies (every process of it SIGKILLed, or with
`--kill-mode link` its network link cut); it stays dead.

Afterwards, run on the worker host (`netns-cluster.sh exec worker ...`): the queue drained,
reconciliation run, then every invariant of tests/faults/invariants.py (each captured payment
credited exactly once, nothing credited without a capture, nothing the clients were told lost)
and `topup ledger verify`, on the primary and, once it has replayed everything, on the standby.
Prints a JSON summary, then one verdict line; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from tests.faults.load import Load  # noqa: E402
from tests.faults.scenario import settle  # noqa: E402

FINISH_GRACE_S: Final = 45.0  # after the load stops, clients still finish what they started
STANDBY_CATCH_UP_S: Final = 30.0
COMMAND_TIMEOUT_S: Final = 300.0


@dataclass(frozen=True)
class Cluster:
    """The cluster as the script set it up: how to reach it and how to act on its hosts."""

    script: Path
    lb_url: str
    database_url: str
    standby_url: str
    state_dir: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own script, arguments of our choosing
            [str(self.script), *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )

    def on_worker(self, *command: str, env: tuple[str, ...] = ()) -> tuple[int, str]:
        """Run a command on the worker host (its namespace, its settings); exit code, output."""
        done = self.run("exec", "worker", *env, *command)
        return done.returncode, (done.stdout + done.stderr).strip()

    def probe(self, *args: str) -> dict[str, object]:
        code, output = self.on_worker("python", "-m", "tests.faults.probe", *args)
        if code != 0:
            raise RuntimeError(f"probe {args} failed ({code}):\n{output[-4000:]}")
        result = json.loads(output.splitlines()[-1])
        assert isinstance(result, dict)
        return result

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds each host's processes have used so far (`netns-cluster.sh cpu`)."""
        done = self.run("cpu")
        if done.returncode != 0:
            return {}
        found = json.loads(done.stdout)
        assert isinstance(found, dict)
        return {str(host): float(seconds) for host, seconds in found.items()}

    def lb_stats(self) -> dict[str, object]:
        path = self.state_dir / "lb" / "stats.json"
        try:
            stats = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        assert isinstance(stats, dict)
        return stats


@dataclass
class Timeline:
    """What happened when: operations counted at the kill, and the balancer's view of it."""

    kill_at_s: float | None = None
    kill_output: str = ""
    operations_at_kill: Counter[str] = field(default_factory=Counter)
    lb_at_kill: dict[str, object] = field(default_factory=dict)
    lb_at_end: dict[str, object] = field(default_factory=dict)
    cpu_at_start: dict[str, float] = field(default_factory=dict)
    cpu_at_end: dict[str, float] = field(default_factory=dict)

    def cpu_figures(self, *, topups_paid: int) -> dict[str, object]:
        """CPU seconds per host during the load, and per top-up paid (every operation of the
        load counted in, health checks too); a host whose processes died has no figure."""
        used = {
            host: round(end - self.cpu_at_start.get(host, 0.0), 1)
            for host, end in self.cpu_at_end.items()
            if end >= self.cpu_at_start.get(host, 0.0)
        }
        if topups_paid == 0:
            return {"cpu_seconds_during_load": used}
        per_topup = {host: round(1000 * seconds / topups_paid, 1) for host, seconds in used.items()}
        return {"cpu_seconds_during_load": used, "cpu_ms_per_topup_paid": per_topup}


def _backend_connections(stats: dict[str, object]) -> dict[str, int]:
    backends = stats.get("backends", {})
    assert isinstance(backends, dict)
    return {name: int(b.get("connections", 0)) for name, b in backends.items()}


def _backends_up(stats: dict[str, object]) -> dict[str, bool]:
    backends = stats.get("backends", {})
    assert isinstance(backends, dict)
    return {name: bool(b.get("up")) for name, b in backends.items()}


def drive(
    cluster: Cluster,
    *,
    duration_s: float,
    kill_at_s: float,
    kill_mode: str,
    threads: int,
    seed: int,
) -> tuple[Load, Timeline]:
    """Run the load for `duration_s`, killing web host 1 at `kill_at_s` (0: never)."""
    stop = threading.Event()
    load = Load(
        base_url=cluster.lb_url,
        database_url=cluster.database_url,
        deadline=time.monotonic() + duration_s + FINISH_GRACE_S,
        stop=stop,
        rng=random.Random(seed),
        topup_threads=threads,
    )
    workers = load.threads()
    timeline = Timeline(cpu_at_start=cluster.cpu_seconds())
    started = time.monotonic()
    for worker in workers:
        worker.start()
    if 0 < kill_at_s < duration_s:
        time.sleep(kill_at_s)
        with load.report.lock:
            timeline.operations_at_kill = Counter(load.report.operations)
        timeline.lb_at_kill = cluster.lb_stats()
        kill = cluster.run("kill-web", "1", *(["--link"] if kill_mode == "link" else []))
        timeline.kill_at_s = round(time.monotonic() - started, 1)
        timeline.kill_output = (kill.stdout + kill.stderr).strip()
        if kill.returncode != 0:
            raise RuntimeError(f"kill-web failed: {timeline.kill_output}")
    time.sleep(max(0.0, duration_s - (time.monotonic() - started)))
    stop.set()
    for worker in workers:
        worker.join(timeout=FINISH_GRACE_S + 15)
    timeline.cpu_at_end = cluster.cpu_seconds()
    time.sleep(1.5)  # the balancer writes its stats every second
    timeline.lb_at_end = cluster.lb_stats()
    return load, timeline


def standby_check(cluster: Cluster) -> dict[str, object]:
    """Wait until the standby has replayed all the primary wrote; verify the ledger there."""
    if not cluster.standby_url:
        return {"standby": "none"}
    with psycopg.connect(cluster.database_url, autocommit=True) as primary:
        row = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    target = str(row[0]) if row else ""
    caught_up = False
    deadline = time.monotonic() + STANDBY_CATCH_UP_S
    with psycopg.connect(cluster.standby_url, autocommit=True) as standby:
        while time.monotonic() < deadline and not caught_up:
            row = standby.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()
            caught_up = bool(row and row[0])
            if not caught_up:
                time.sleep(0.2)
        counts = {}
        for table in ("ledger_transfer", "topups_topuporder"):
            found = standby.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            counts[table] = int(found[0]) if found else -1
    code, output = cluster.on_worker(
        "topup", "ledger", "verify", env=("env", f"DATABASE_URL={cluster.standby_url}")
    )
    return {
        "replayed_up_to_primary_lsn": target if caught_up else f"NOT within {STANDBY_CATCH_UP_S}s",
        "rows_on_standby": counts,
        "ledger_verify_exit": code,
        "ledger_verify": output.splitlines()[-1:] if output else [],
    }


def _primary_counts(cluster: Cluster) -> dict[str, int]:
    with psycopg.connect(cluster.database_url, autocommit=True) as conn:
        counts = {}
        for table in ("ledger_transfer", "topups_topuporder"):
            found = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            counts[table] = int(found[0]) if found else -1
    return counts


def check(cluster: Cluster, load: Load) -> tuple[dict[str, object], list[str]]:
    """Drain, reconcile and check every invariant on the worker host; figures, violations."""
    first = settle(cluster.database_url)
    reconciled = cluster.probe("reconcile")
    second = settle(cluster.database_url)
    acks_path = cluster.state_dir / "acks.json"
    acks_path.write_text(json.dumps(load.report.acks.as_json()))
    checked = cluster.probe("check", "--acks", str(acks_path))
    found = checked.pop("violations", [])
    assert isinstance(found, list)
    violations = [str(v) for v in found]
    verify_code, verify_output = cluster.on_worker("topup", "ledger", "verify")
    if verify_code != 0:
        violations.append(f"topup ledger verify exited {verify_code}: {verify_output[-2000:]}")
    standby = standby_check(cluster)
    if cluster.standby_url:
        if standby["ledger_verify_exit"] != 0:
            violations.append(f"standby: ledger verify failed: {standby['ledger_verify']}")
        if standby["rows_on_standby"] != _primary_counts(cluster):
            violations.append("standby: rows differ from the primary")
    figures = {
        "settle": [first, second],
        "reconcile": reconciled,
        "ledger_verify_primary": verify_output.splitlines()[-1:] if verify_output else [],
        "standby": standby,
        **checked,
    }
    return figures, violations


def serving_after_kill(load: Load, timeline: Timeline) -> tuple[dict[str, object], list[str]]:
    """The other web host kept serving: work was done after the kill, through it alone."""
    if timeline.kill_at_s is None:
        return {"kill": "none"}, []
    after = load.report.operations - timeline.operations_at_kill
    before = _backend_connections(timeline.lb_at_kill)
    end = _backend_connections(timeline.lb_at_end)
    connections_after = {name: end.get(name, 0) - before.get(name, 0) for name in end}
    up_at_end = _backends_up(timeline.lb_at_end)
    figures: dict[str, object] = {
        "killed_at_s": timeline.kill_at_s,
        "kill": timeline.kill_output.splitlines()[-1:],
        "operations_after_kill": dict(sorted(after.items())),
        "lb_connections_before_kill": before,
        "lb_connections_after_kill": connections_after,
        "lb_backends_up_at_end": up_at_end,
    }
    problems = []
    if after.get("topup.paid", 0) == 0:
        problems.append("no top-up was paid after the web host died")
    if sum(1 for up in up_at_end.values() if up) != 1:
        problems.append(f"the balancer should see one web host up at the end: {up_at_end}")
    if load.report.summary()["gave_up"]:
        problems.append("a client gave up: a request was never answered")
    return figures, problems


def verdict(figures: dict[str, object], violations: list[str]) -> str:
    operations = figures["load"]
    assert isinstance(operations, dict)
    done = operations.get("operations", {})
    assert isinstance(done, dict)
    after = figures.get("after_kill", {})
    assert isinstance(after, dict)
    after_ops = after.get("operations_after_kill", {})
    paid_after = after_ops.get("topup.paid", 0) if isinstance(after_ops, dict) else 0
    killed = f" ({paid_after} after web1 died)" if "killed_at_s" in after else ""
    head = (
        f"netns cluster: {done.get('topup.paid', 0)} top-ups paid{killed}, "
        f"{figures.get('payments_captured')} payments captured, "
        f"{figures.get('payments_credited')} credited exactly once"
    )
    if violations:
        return f"{head}: {len(violations)} VIOLATION(S)"
    standby = figures.get("standby", {})
    where = "primary" if standby == {"standby": "none"} else "primary and standby"
    return f"{head}; ledger verify clean on {where}: OK"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cluster_load.py", description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, required=True, help="deploy/netns-cluster.sh")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--lb-url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--standby-url", default="")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--kill-at", type=float, default=25.0, help="0: kill nothing")
    parser.add_argument("--kill-mode", choices=["process", "link"], default="process")
    parser.add_argument("--threads", type=int, default=6, help="customers topping up at once")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not 5 <= args.duration <= 3600 or not 1 <= args.threads <= 37:
        parser.error("--duration 5..3600 s, --threads 1..37 (the seeded lines)")
    cluster = Cluster(
        script=args.script,
        lb_url=args.lb_url,
        database_url=args.database_url,
        standby_url=args.standby_url,
        state_dir=args.state_dir,
    )
    started = time.monotonic()
    load, timeline = drive(
        cluster,
        duration_s=args.duration,
        kill_at_s=args.kill_at,
        kill_mode=args.kill_mode,
        threads=args.threads,
        seed=args.seed,
    )
    load_s = time.monotonic() - started
    after_kill, violations = serving_after_kill(load, timeline)
    checked, more = check(cluster, load)
    violations += more
    paid = load.report.operations.get("topup.paid", 0)
    figures: dict[str, object] = {
        "load": load.report.summary(),
        "load_seconds": round(load_s, 1),
        "topups_paid_per_s": round(paid / load_s, 2),
        **timeline.cpu_figures(topups_paid=paid),
        "after_kill": after_kill,
        **checked,
    }
    (args.state_dir / "summary.json").write_text(json.dumps(figures, indent=2, default=str))
    sys.stdout.write(json.dumps({**figures, "violations": violations}, indent=2, default=str))
    sys.stdout.write(f"\n{verdict(figures, violations)}\n")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
