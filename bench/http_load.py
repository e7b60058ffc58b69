"""Requests/s and p50/p99 latency of the hot API endpoints over HTTP, next to the trivial endpoint.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/http_load.py [--duration 20] [--users 32] [--workers 2] [--threads 8]
                                        [--worker-class gthread] [--rounds 1] [--lines 1000]
                                        [--task-workers 2] [--scenarios ping,me,...]
                                        [--paced me=300,topup_create=150]

In a scratch PostgreSQL database: migrate, load the demo catalog, open --lines identified lines
(through the subscriber services) with a Bearer token each. Then start the production server
with `topup serve` itself (gunicorn, TOPUP_ENV=production, fresh secrets) and for each scenario
run locust headless (bench/locustfile.py) with --users closed-loop clients on loopback for
--duration seconds.

The server: `topup serve`'s default, one gthread worker per CPU with 8 threads each; --workers,
--threads and --worker-class measure others. Chosen for the p99 at 32 clients (issue 8) on the
2-CPU machine while other test runs shared it (load average 6-14: absolute figures are low and
noisy, compare rows of the same hour). `--duration 15 --scenarios ping,me --lines 200 --rounds 2
--workers W --threads T [--worker-class sync]`, GUNICORN_CMD_ARGS for the gunicorn settings;
each figure the median of one run's two rounds (the later runs at load ~9, machine quieter):

    gunicorn W x T, setting    ping rps/p99 ms, per run        me rps/p99 ms, per run
    gthread 5 x 4 (old bench)  1003/125 834/200 1155/120 1459/135   262/475 189/600 334/290 441/185
                               1050/104 (me 2.7 ms CPU from here)   563/285
    gthread 3 x 4              923/130 1103/86                      258/400 303/310
    gthread 2 x 4              1613/64 1625/52                      554/150 473/150
    gthread 2 x 8 (default)    1003/106 1211/87 1587/64 1631/57     351/250 435/230 486/205 511/150
                               1022/96                              453/180
    gthread 2 x 16             1444/58                              534/180
    sync 4 (old serve default) 608/93                               187/250
    sync 6; sync 8             599/95; 783/80 459/115               198/230; 202/245 177/265
    5 x 4, --keep-alive 0      934/160                              288/410
    5 x 4, --worker-connections 4    634/140                        191/360
    4 x 4, --worker-connections 10   1096/140                       305/360
    5 x 4, switch interval 1 ms      766/230                        242/540
    3 x 4, switch interval 50 ms     1086/130                       345/265

With 32 closed-loop clients the mean latency is 32 / rps (Little's law): a configuration can
shorten the tail only by spending less CPU per request and by serving the clients evenly. More
runnable processes than cores is what made ping's 1 ms request wait 120-200 ms at p99: the
kernel time-slices 5 workers (and locust, PostgreSQL) on 2 CPUs, and a keep-alive client stays
on the worker that accepted it, so a client of a preempted or crowded worker waits for it. One
process per core (threads overlap the waits on PostgreSQL) had the shorter p99 in each of the
four pairs run minutes apart (ping's 8-58% shorter, me's 19-58%), at as many requests/s or more
in three (less CPU per request: 0.9 against 1.0-1.1 ms for ping); in the last, after the hot
path got cheaper, me served 453 against 563 (spread 410-715) rps. Sync workers take every
request from the listen queue in order (the evenest: p99 about 1.5 x the mean), but a
connection per request cost 30-50% of the requests/s. Closing keep-alive
connections or capping a worker's connections brought the queue's order at the same cost; the
GIL's switch interval changed nothing measurable beyond the noise. 4, 8 and 16 threads were alike;
8 keeps requests that wait on a payment provider from holding every slot. Granian 2.8 (WSGI,
access log on) served ping at 1982 rps with p99 62 ms and me at 458 rps with p99 300 ms (3 x 4,
at load 13): its HTTP layer costs less CPU, but its supervisor has no heartbeat like gunicorn's
--timeout (a hung worker stays), and the fault tests drive gunicorn: not adopted, worth a try.

Scenarios:

    ping           GET /api/v1/ping: ninja + the middleware, no database (the framework's ceiling)
    me             GET /api/v1/me with a Bearer token
    topup_create   POST /api/v1/topups (the simulator creates the payment in-process)
    credited_flow  create -> POST the simulator's page -> the worker sends the webhook to the
                   server -> the worker credits the line; the client polls GET /api/v1/topups/{id}

Each scenario's rps is shown as a ratio to the ping of the same round, and so is its CPU cost:
the CPU the server, the task workers and the database's backends spent per request (per flow),
which other load on a shared machine skews far less than rps. Peak RSS is sampled (psutil) for
every process: the gunicorn master and workers, the task workers, locust. The scratch
subscriber limits (day, month) are raised so a long run never hits them; the check still runs.
The database is dropped at the end; the ledger verifier runs on it first.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_post import DEFAULT_DATABASE_URL, django_setup, server_from_url
from topup.cli.management.commands.serve import GTHREAD_THREADS, default_workers

BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
LOCUSTFILE = BENCH_DIR / "locustfile.py"
SCENARIOS = {
    "ping": ("PingUser", "GET /api/v1/ping"),
    "me": ("MeUser", "GET /api/v1/me"),
    "topup_create": ("TopupCreateUser", "POST /api/v1/topups"),
    "credited_flow": (
        "CreditedFlowUser",
        "credited flow (create -> pay -> webhook -> credited)",
    ),
}
FLOW_SEEN_NAME = "credited flow, as the polling client saw it"
REACH = {"me": 0.5, "topup_create": 0.3}  # issue 8: the least ratio to ping
P99_REACH_MS = 100.0
READY_TIMEOUT_S = 60.0
SAMPLE_INTERVAL_S = 0.2


@dataclass
class Result:
    scenario: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int
    http_rps: float  # every request of the scenario (for the flow: its create, pay and polls)
    cpu_pct: dict[str, float]  # role -> % of one CPU over the run
    # CPU the platform spent per request (per credited flow): server, task workers and
    # PostgreSQL backends; unlike rps, hardly skewed by whatever else the machine runs.
    cpu_ms: float
    seen_ms: tuple[float, float] | None = None  # the flow as its client saw it: p50, p99


@dataclass
class MemorySampler:
    """Peak RSS per process of the roots given and their children, sampled in a thread."""

    roots: dict[str, int] = field(default_factory=dict)  # role -> pid
    peaks: dict[tuple[str, int], int] = field(default_factory=dict)  # (role, pid) -> bytes
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, daemon=True, name="rss-sampler")
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            for role, pid in list(self.roots.items()):
                self._sample(role, pid)

    def _sample(self, role: str, pid: int) -> None:
        try:
            root = psutil.Process(pid)
            members = [(role, root)] + [
                (f"{role} child", child) for child in root.children(recursive=True)
            ]
        except psutil.Error:
            return
        for name, process in members:
            with contextlib.suppress(psutil.Error):
                key = (name, process.pid)
                self.peaks[key] = max(self.peaks.get(key, 0), process.memory_info().rss)


def production_environment(database_url: str, port: int) -> dict[str, str]:
    """What the server, the task workers and this process's own Django set-up run with."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="topup.config.settings",
        TOPUP_ENV="production",
        TOPUP_SECRET_KEY=secrets.token_urlsafe(50),
        TOPUP_FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        TOPUP_SIMULATOR_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        TOPUP_IDP_CLIENT_SECRET=secrets.token_urlsafe(32),
        TOPUP_LOOKUP_HASH_KEY=secrets.token_urlsafe(32),
        TOPUP_ALLOWED_HOSTS="127.0.0.1,localhost",
        TOPUP_PUBLIC_URL=f"http://127.0.0.1:{port}",
        TOPUP_ACCESS_TOKEN_TTL_S="86400",  # noqa: S106 - a lifetime in seconds
        TOPUP_DATA_DIR=tempfile.mkdtemp(prefix="topup-http-bench-"),
    )
    env.pop("TOPUP_DEBUG", None)
    return env


def seed(lines: int) -> list[dict[str, str]]:
    """Migrate, load the demo catalog, open `lines` identified lines with a token each."""
    from django.core.management import call_command
    from stdnum import luhn

    from topup.audit.services import Actor
    from topup.catalog.models import Brand, Limit, LimitPeriod
    from topup.cli.demo_data import demo_data_load
    from topup.subscribers.models import IdentificationMethod
    from topup.subscribers.services import (
        access_token_issue,
        identification_record_create,
        sim_create,
        subscriber_create,
    )

    call_command("migrate", verbosity=0, interactive=False)
    demo_data_load()
    Limit.objects.filter(period__in=[LimitPeriod.DAY, LimitPeriod.MONTH]).update(
        max_amount_cents=2**31 - 1
    )
    brand = Brand.objects.get(code="demo")
    actor = Actor.system("bench")
    seeded: list[dict[str, str]] = []
    for n in range(lines):
        subscriber = subscriber_create(
            first_name="Bench", last_name=f"Line {n}", preferred_language="nl", actor=actor
        )
        body = f"893201{n:012d}"
        sim = sim_create(
            msisdn=f"+32471{n:06d}",
            iccid=body + luhn.calc_check_digit(body),
            brand=brand,
            subscriber=subscriber,
            actor=actor,
        )
        identification_record_create(
            sim=sim,
            subscriber=subscriber,
            method=IdentificationMethod.EXISTING_CUSTOMER,
            document_type="",
            issuing_country="",
            document_number="",
            national_register_number=None,
            document_expires_on=None,
            verified_by="bench",
            evidence_reference=f"bench-{n}",
            shop=None,
            actor=actor,
        )
        seeded.append({"msisdn": sim.msisdn, "token": access_token_issue(sim=sim, actor=actor)})
    return seeded


def _wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        url = f"{base_url}/api/v1/ping"
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 - loopback
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit("the server did not answer /api/v1/ping in time")


@contextlib.contextmanager
def running(
    argv: list[str], *, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process (its own session) stopped with SIGTERM, then SIGKILL, on the way out."""
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _locust_argv(
    user_class: str, *, base_url: str, users: int, duration_s: int, csv_prefix: Path
) -> list[str]:
    return [
        str(VENV_BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{duration_s}s",
        "--host",
        base_url,
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        user_class,
    ]


def cpu_seconds(sampler: MemorySampler, database: str) -> dict[tuple[str, int], float]:
    """CPU seconds so far per process: the server (master + workers), the task workers and our
    PostgreSQL backends (the processes whose title names the scratch database)."""
    totals: dict[tuple[str, int], float] = {}
    for role, pid in list(sampler.roots.items()):
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    totals[(role, process.pid)] = times.user + times.system
    for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["name"] == "postgres" and f" {database} " in f" {cmdline} ":
            times = process.info["cpu_times"]
            totals[("postgres", process.pid)] = times.user + times.system
    return totals


def cpu_spent(
    before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]
) -> dict[str, float]:
    """CPU seconds per role between two snapshots (a process that ended meanwhile is lost)."""
    spent: dict[str, float] = {}
    for (role, pid), seconds in after.items():
        delta = max(0.0, seconds - before.get((role, pid), 0.0))
        spent[role] = spent.get(role, 0.0) + delta
    return spent


def run_locust(
    scenario: str,
    *,
    base_url: str,
    options: argparse.Namespace,
    env: dict[str, str],
    workdir: Path,
    sampler: MemorySampler,
    database: str,
) -> Result:
    user_class, name = SCENARIOS[scenario]
    prefix = workdir / f"{scenario}-{secrets.token_hex(3)}"
    argv = _locust_argv(
        user_class,
        base_url=base_url,
        users=options.users,
        duration_s=options.duration,
        csv_prefix=prefix,
    )
    before = cpu_seconds(sampler, database)
    began = time.perf_counter()
    with running(argv, env=env, log=workdir / "locust.log") as process:
        sampler.roots["locust"] = process.pid
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.roots.pop("locust", None)
    wall_s = time.perf_counter() - began
    spent = cpu_spent(before, cpu_seconds(sampler, database))
    cpu = {role: 100.0 * seconds / wall_s for role, seconds in spent.items()}
    cpu["locust"] = 100.0 * (usage.ru_utime + usage.ru_stime) / wall_s
    with (workdir / f"{prefix.name}_stats.csv").open(encoding="utf-8") as file:
        rows = {row["Name"]: row for row in csv.DictReader(file)}
    if name not in rows:
        raise SystemExit(f"locust recorded no {name!r}; see {workdir / 'locust.log'}")
    row = rows.pop(name)
    rows.pop("Aggregated", None)
    http = [r for r in rows.values() if r["Type"] != "FLOW"] + (
        [] if row["Type"] == "FLOW" else [row]
    )
    seen = rows.get(FLOW_SEEN_NAME)
    platform_s = sum(seconds for role, seconds in spent.items() if role != "locust")
    operations = int(row["Request Count"]) - int(row["Failure Count"])
    return Result(
        scenario=scenario,
        rps=float(row["Requests/s"]),
        p50_ms=float(row["50%"]),
        p99_ms=float(row["99%"]),
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]) + sum(int(r["Failure Count"]) for r in rows.values()),
        http_rps=sum(float(r["Requests/s"]) for r in http),
        cpu_pct=cpu,
        cpu_ms=1000.0 * platform_s / max(operations, 1),
        seen_ms=(float(seen["50%"]), float(seen["99%"])) if seen else None,
    )


def warm_up(base_url: str, lines: list[dict[str, str]]) -> None:
    """Every worker imports its views and opens its connection before anything is timed."""
    for n in range(200):
        line = lines[n % len(lines)]
        request = urllib.request.Request(  # noqa: S310 - our own server on loopback
            f"{base_url}/api/v1/me" if n % 2 else f"{base_url}/api/v1/ping",
            headers={"Authorization": f"Bearer {line['token']}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()


def server_argv(options: argparse.Namespace, port: int) -> list[str]:
    """`topup serve`: the production command itself (it execs gunicorn, keeping its pid)."""
    return [
        str(VENV_BIN / "topup"),
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(options.workers),
        "--threads",
        str(options.threads),
        "--worker-class",
        options.worker_class,
    ]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def task_worker_argv(options: argparse.Namespace) -> list[str]:
    return [str(VENV_BIN / "topup"), "worker", "--interval", str(options.task_worker_interval)]


def measure_round(
    options: argparse.Namespace,
    *,
    base_url: str,
    env: dict[str, str],
    workdir: Path,
    sampler: MemorySampler,
    database: str,
) -> list[Result]:
    results = []
    for scenario in options.scenarios:
        with contextlib.ExitStack() as stack:
            if scenario == "credited_flow":
                for n in range(options.task_workers):
                    worker = stack.enter_context(
                        running(task_worker_argv(options), env=env, log=workdir / "worker.log")
                    )
                    sampler.roots[f"task worker {n}"] = worker.pid
                time.sleep(3)  # the workers import Django and start polling
            result = run_locust(
                scenario,
                base_url=base_url,
                options=options,
                env=env,
                workdir=workdir,
                sampler=sampler,
                database=database,
            )
            for n in range(options.task_workers):
                sampler.roots.pop(f"task worker {n}", None)
        _progress(result)
        results.append(result)
    for scenario, rate in options.paced.items():
        paced_env = {**env, "TOPUP_BENCH_USER_RATE": str(rate / options.users)}
        result = run_locust(
            scenario,
            base_url=base_url,
            options=options,
            env=paced_env,
            workdir=workdir,
            sampler=sampler,
            database=database,
        )
        result.scenario = f"{scenario}@{rate:g}/s"
        _progress(result)
        results.append(result)
    return results


def _progress(result: Result) -> None:
    print(
        f"  {result.scenario:<14} {result.rps:8.1f}/s  p50 {result.p50_ms:5.0f} ms  "
        f"p99 {result.p99_ms:5.0f} ms  failures {result.failures}",
        flush=True,
    )


def measure(
    options: argparse.Namespace,
    *,
    port: int,
    env: dict[str, str],
    lines: list[dict[str, str]],
    workdir: Path,
    database: str,
) -> tuple[list[list[Result]], MemorySampler]:
    base_url = f"http://127.0.0.1:{port}"
    sampler = MemorySampler()
    rounds: list[list[Result]] = []
    with running(server_argv(options, port), env=env, log=workdir / "server.log") as server:
        sampler.roots["server"] = server.pid
        sampler.start()
        _wait_ready(base_url, server)
        warm_up(base_url, lines)
        for number in range(1, options.rounds + 1):
            print(f"round {number}/{options.rounds}", flush=True)
            rounds.append(
                measure_round(
                    options,
                    base_url=base_url,
                    env=env,
                    workdir=workdir,
                    sampler=sampler,
                    database=database,
                )
            )
    sampler.stop()
    return rounds, sampler


def _spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f"{min(values):.0f}-{max(values):.0f}"


def report(options: argparse.Namespace, rounds: list[list[Result]]) -> None:
    by_scenario: dict[str, list[tuple[Result, float, float]]] = {}
    for results in rounds:
        ping = next((r for r in results if r.scenario == "ping"), None)
        for result in results:
            ratio = result.rps / ping.rps if ping else 0.0
            cost_ratio = ping.cpu_ms / result.cpu_ms if ping and result.cpu_ms else 0.0
            by_scenario.setdefault(result.scenario, []).append((result, ratio, cost_ratio))
    kind = "sync" if options.worker_class == "sync" else f"gthread x{options.threads}"
    print(
        f"\ngunicorn {options.workers} workers ({kind}), {options.users} users, "
        f"{options.duration} s per run, {len(rounds)} round(s): medians, rps spread min-max;\n"
        "x ping: rps / ping's rps in the same round; cpu ms: platform CPU (server, workers, "
        "PostgreSQL) per request (per flow); x ping cpu: ping's cpu ms / this one's"
    )
    header = (
        f"{'scenario':<14} | {'rps':>7} | {'spread':>9} | {'p50 ms':>6} | {'p99 ms':>6} | "
        f"{'x ping':>6} | {'reach':>8} | {'fail':>4} | {'http rps':>8} | {'cpu ms':>6} | "
        f"{'x ping cpu':>10} | {'cpu% srv/pg/locust':>18}"
    )
    print(header)
    print("-" * len(header))
    for scenario, rows in by_scenario.items():
        _print_row(scenario, rows)
    if options.paced:
        print(
            "name@N/s: the same users, paced to N requests/s in all (latency below saturation; "
            "its x ping is no ratio of capacity)"
        )
    seen = [row[0].seen_ms for row in by_scenario.get("credited_flow", []) if row[0].seen_ms]
    if seen:
        print(
            "credited flow as its client saw it (polling every 0.25 s): "
            f"p50 {statistics.median(p50 for p50, _ in seen):.0f} ms, "
            f"p99 {statistics.median(p99 for _, p99 in seen):.0f} ms"
        )


def _print_row(scenario: str, rows: list[tuple[Result, float, float]]) -> None:
    results = [result for result, _ratio, _cost in rows]
    ratio = statistics.median(ratio for _result, ratio, _cost in rows)
    p99 = statistics.median(r.p99_ms for r in results)
    goals = []
    if scenario in REACH:
        goals.append("ok" if ratio >= REACH[scenario] else f"<{REACH[scenario]}")
    if scenario != "credited_flow":
        goals.append("ok" if p99 < P99_REACH_MS else "p99")
    cpu = [
        statistics.median(r.cpu_pct.get(role, 0.0) for r in results)
        for role in ("server", "postgres", "locust")
    ]
    print(
        f"{scenario:<14} | {statistics.median(r.rps for r in results):>7.1f} | "
        f"{_spread([r.rps for r in results]):>9} | "
        f"{statistics.median(r.p50_ms for r in results):>6.0f} | {p99:>6.0f} | "
        f"{ratio:>6.2f} | {'/'.join(goals):>8} | {sum(r.failures for r in results):>4} | "
        f"{statistics.median(r.http_rps for r in results):>8.1f} | "
        f"{statistics.median(r.cpu_ms for r in results):>6.2f} | "
        f"{statistics.median(cost for _result, _ratio, cost in rows):>10.2f} | "
        f"{'/'.join(f'{c:.0f}' for c in cpu):>18}"
    )


def report_memory(sampler: MemorySampler) -> None:
    print("\npeak RSS per process (MiB):")
    names = {"server": "gunicorn master", "server child": "gunicorn worker"}
    peaks: dict[str, list[int]] = {}
    for (role, _pid), peak in sampler.peaks.items():
        peaks.setdefault(names.get(role, role), []).append(peak)
    for name, values in sorted(peaks.items()):
        shown = ", ".join(f"{value / 2**20:.0f}" for value in sorted(values, reverse=True))
        print(f"  {name:<18} {shown}")


def _paced(value: str) -> dict[str, float]:
    """`me=300,topup_create=150` -> {"me": 300.0, "topup_create": 150.0}."""
    paced = {}
    for item in filter(None, value.split(",")):
        scenario, _, rate = item.partition("=")
        if scenario not in SCENARIOS or not rate:
            raise argparse.ArgumentTypeError(f"{item!r}: scenario=requests per second")
        paced[scenario] = float(rate)
    return paced


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario run")
    parser.add_argument("--users", type=int, default=32, help="concurrent closed-loop clients")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="gunicorn worker processes (default: `topup serve`'s, one per CPU, at least 2)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help=f"per gthread worker (default: `topup serve`'s, {GTHREAD_THREADS}); sync: 1",
    )
    parser.add_argument(
        "--worker-class",
        choices=["sync", "gthread"],
        default="gthread",
        help="gunicorn's; sync serves one request per worker at a time (--threads 1)",
    )
    parser.add_argument(
        "--paced",
        type=_paced,
        default={},
        help="also run scenarios paced to a total rate, e.g. me=300,topup_create=150",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat every scenario this often")
    parser.add_argument("--lines", type=int, default=1000, help="identified lines with a token")
    parser.add_argument("--task-workers", type=int, default=2, help="`topup worker` processes")
    parser.add_argument("--task-worker-interval", type=float, default=0.05, help="idle poll, s")
    parser.add_argument(
        "--scenarios",
        type=lambda text: [s for s in text.split(",") if s],
        default=list(SCENARIOS),
        help=f"comma-separated, of: {', '.join(SCENARIOS)} (ping first: the ratios use it)",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    options = parser.parse_args()
    if options.threads is None:
        options.threads = 1 if options.worker_class == "sync" else GTHREAD_THREADS
    unknown = set(options.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return options


def main() -> int:
    options = parse_options()
    server = server_from_url(options.database_url)
    database = f"topup_http_{secrets.token_hex(4)}"
    port = _free_port()
    env = production_environment(server.url(database), port)
    os.environ.update(env)  # this process seeds with the server's very settings and keys
    workdir = Path(tempfile.mkdtemp(prefix="topup-http-bench-"))
    server.admin(f'CREATE DATABASE "{database}"')
    try:
        django_setup(server.url(database))
        from django.db import connections

        print(f"preparing: migrate + {options.lines} identified lines with tokens", flush=True)
        lines = seed(options.lines)
        connections.close_all()
        lines_file = workdir / "lines.json"
        lines_file.write_text(json.dumps(lines), encoding="utf-8")
        env["TOPUP_BENCH_LINES"] = str(lines_file)
        rounds, sampler = measure(
            options, port=port, env=env, lines=lines, workdir=workdir, database=database
        )
        from topup.ledger.verify import ledger_verify

        problems = ledger_verify()
    finally:
        from django.db import connections

        connections.close_all()
        server.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    report(options, rounds)
    report_memory(sampler)
    print(f"\nledger verifier: {'clean' if not problems else problems[:5]}; logs in {workdir}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
