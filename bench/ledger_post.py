"""Top-ups credited per second through `ledger_transfer`, next to pgbench tpcb-like (same server).

    .venv/bin/python bench/ledger_post.py [--duration 10] [--clients 1,8,32] [--repeat 1]
                                          [--subscribers 10000] [--no-sqlite]

What each side does, per transaction:
  ledger   one credit: `ledger_transfer` from the bench provider's clearing account (untracked,
           its balance is derived from entries) to one of --subscribers paid-credit accounts
           (tracked), chosen at random. On PostgreSQL that is one prepared statement in its own
           transaction: the transfer row (idempotency key), one balance UPDATE, two entries, one
           audit row; the foreign keys are checked at commit. Each client is a Python process
           (the GIL would serialise threads) with Django set up and its own connection.
  pgbench  the built-in tpcb-like script: BEGIN; UPDATE an account, SELECT it, UPDATE a teller
           and a branch, INSERT a history row; END (7 round trips). C client, one thread per
           connection (-j = -c), scale --pgbench-scale (default: the largest client count).
Both run on the same server, in scratch databases created here and dropped at the end, for the
same duration and client counts, one side after the other. Clients connect before the clock
starts. With --repeat N each pair is measured N times and the median is reported, with the
range. The SQLite figure is one process posting through the same `ledger_transfer` into an
embedded file database with the product's settings (WAL, synchronous=NORMAL).
The last line is `ratio_vs_pgbench_tpcb=<topup tx/s / pgbench tps at 8 clients>` (the goal is
at least 1.0), or at the largest client count when 8 was not measured.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/topup"
AMOUNT_CENTS = 1_000
GOAL_CLIENTS = 8
GOAL_RATIO = 1.0


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str

    def url(self, database: str) -> str:
        secret = f":{self.password}" if self.password else ""
        return f"postgres://{self.user}{secret}@{self.host}:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql.encode())

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(PGHOST=self.host, PGPORT=str(self.port), PGUSER=self.user)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


@dataclass(frozen=True)
class Measured:
    """One side at one client count: the median of the repeats, and their range."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, figures: list[float]) -> Measured:
        return cls(statistics.median(figures), min(figures), max(figures))

    def spread(self) -> str:
        return f"{self.low:.0f}-{self.high:.0f}"


def server_from_url(url: str) -> Server:
    import dj_database_url

    parsed = dj_database_url.parse(url)
    return Server(
        host=str(parsed.get("HOST") or "127.0.0.1"),
        port=int(parsed.get("PORT") or 5432),
        user=str(parsed.get("USER") or "postgres"),
        password=str(parsed.get("PASSWORD") or ""),
    )


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "topup.config.settings")
    os.environ.setdefault("TOPUP_LOG_LEVEL", "WARNING")
    os.environ.setdefault("TOPUP_DEBUG", "0")  # as in production: no per-query debug capture
    import django

    django.setup()


def prepare_ledger(database_url: str, subscribers: int) -> None:
    """Migrate the scratch database and open the clearing and subscriber accounts."""
    django_setup(database_url)
    from django.core.management import call_command

    from topup.ledger import domain
    from topup.ledger.models import Account, AccountKind
    from topup.ledger.services import ledger_provider_clearing_account

    call_command("migrate", verbosity=0, interactive=False)
    ledger_provider_clearing_account(provider="bench")
    Account.objects.bulk_create(
        Account(
            code=f"subscriber:{n}:paid",
            name=f"Subscriber {n}",
            account_type=domain.AccountType.LIABILITY.value,
            kind=AccountKind.SUBSCRIBER_PAID,
            owner_type="subscriber",
            owner_id=str(n),
        )
        for n in range(subscribers)
    )


def post_credits(run: str, worker: int, duration_s: float) -> tuple[int, float, float]:
    """Credit top-ups for `duration_s`: (count, monotonic start, monotonic end)."""
    from django.db import connection

    from topup.audit.services import Actor
    from topup.ledger.models import Account, AccountKind
    from topup.ledger.services import ledger_provider_clearing_account, ledger_transfer

    clearing = ledger_provider_clearing_account(provider="bench")
    accounts = list(Account.objects.filter(kind=AccountKind.SUBSCRIBER_PAID))
    actor = Actor.system("bench")
    rng = random.Random(worker)
    connection.ensure_connection()
    began = time.monotonic()
    deadline = began + duration_s
    done = 0
    now = began
    while now < deadline:
        ledger_transfer(
            idempotency_key=f"bench:{run}:{worker}:{done}",
            debit=clearing,
            credit=rng.choice(accounts),
            amount_cents=AMOUNT_CENTS,
            reason_code="topup",
            actor=actor,
        )
        done += 1
        now = time.monotonic()
    return done, began, now


def credit_worker(
    database_url: str, worker: int, *, run: str, duration_s: float, start: Barrier, results: object
) -> None:
    django_setup(database_url)
    from django.db import connection

    connection.ensure_connection()
    start.wait()
    outcome = post_credits(run, worker, duration_s)
    connection.close()
    results.put(outcome)  # type: ignore[attr-defined]


def measure_ledger(database_url: str, clients: int, duration_s: float) -> float:
    """Credits per second over the window from the first client's start to the last one's end."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(clients + 1)
    results = context.Queue()
    run = secrets.token_hex(3)
    workers = [
        context.Process(
            target=credit_worker,
            args=(database_url, n),
            kwargs={"run": run, "duration_s": duration_s, "start": start, "results": results},
        )
        for n in range(clients)
    ]
    for process in workers:
        process.start()
    start.wait()  # every worker is set up and connected: time only the credits
    outcomes = [results.get(timeout=duration_s + 300) for _ in workers]
    for process in workers:
        process.join(timeout=300)
        if process.exitcode != 0:
            raise SystemExit(f"a ledger worker failed (exit {process.exitcode})")
    total = sum(done for done, _, _ in outcomes)
    window = max(end for _, _, end in outcomes) - min(began for _, began, _ in outcomes)
    return total / window


def sqlite_worker(path: str, subscribers: int, duration_s: float, results: object) -> None:
    prepare_ledger(f"sqlite:///{path}", subscribers)
    done, began, ended = post_credits(secrets.token_hex(3), 0, duration_s)
    results.put(done / (ended - began))  # type: ignore[attr-defined]


def measure_sqlite(subscribers: int, duration_s: float) -> float:
    """One process, the embedded file database (a Django set-up of its own: a fresh process)."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    with tempfile.TemporaryDirectory(prefix="topup-bench-") as directory:
        path = os.path.join(directory, "ledger.sqlite3")
        process = context.Process(
            target=sqlite_worker, args=(path, subscribers, duration_s, results)
        )
        process.start()
        rate = float(results.get(timeout=duration_s + 600))
        process.join(timeout=60)
    return rate


def measure_pgbench(server: Server, database: str, clients: int, duration_s: float) -> float:
    output = subprocess.run(
        ["pgbench", "-c", str(clients), "-j", str(clients), "-T", str(int(duration_s)), database],
        env=server.pg_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+)", output)
    if match is None:
        raise SystemExit(f"could not read pgbench's tps:\n{output}")
    return float(match.group(1))


def measure_all(
    server: Server, ledger_db: str, pgbench_db: str, options: argparse.Namespace
) -> list[tuple[int, Measured, Measured]]:
    rows: list[tuple[int, Measured, Measured]] = []
    for clients in options.client_counts:
        ledger: list[float] = []
        pgbench: list[float] = []
        for attempt in range(options.repeat):
            ledger.append(measure_ledger(server.url(ledger_db), clients, options.duration))
            pgbench.append(measure_pgbench(server, pgbench_db, clients, options.duration))
            print(
                f"  clients={clients} #{attempt + 1}: ledger {ledger[-1]:8.1f} top-ups/s, "
                f"pgbench {pgbench[-1]:8.1f} tps",
                flush=True,
            )
        rows.append((clients, Measured.of(ledger), Measured.of(pgbench)))
    return rows


def report(
    rows: list[tuple[int, Measured, Measured]],
    sqlite: float | None,
    *,
    options: argparse.Namespace,
    scale: int,
) -> None:
    runs = f"duration {options.duration:g} s each, median of {options.repeat}"
    print(f"\n{runs}; pgbench tpcb-like, scale {scale}")
    print(f"{'clients':>7} | {'topup tx/s':>10} | {'range':>11} | {'pgbench tps':>11} | ", end="")
    print(f"{'range':>11} | {'ratio':>5}")
    print(f"{'-' * 7}-+-{'-' * 10}-+-{'-' * 11}-+-{'-' * 11}-+-{'-' * 11}-+-{'-' * 5}")
    for clients, ledger, pgbench in rows:
        print(
            f"{clients:>7} | {ledger.median:>10.1f} | {ledger.spread():>11} | "
            f"{pgbench.median:>11.1f} | {pgbench.spread():>11} | "
            f"{ledger.median / pgbench.median:>5.2f}"
        )
    if sqlite is not None:
        print(f"SQLite (embedded file, 1 process): {sqlite:.1f} top-ups/s")
    goal = [row for row in rows if row[0] == GOAL_CLIENTS] or [max(rows, key=lambda r: r[0])]
    clients, ledger, pgbench = goal[0]
    ratio = ledger.median / pgbench.median
    verdict = "met" if ratio >= GOAL_RATIO else "not met"
    print(f"goal: >= {GOAL_RATIO:.1f}x pgbench at {GOAL_CLIENTS} clients: {verdict}")
    print(f"ratio_vs_pgbench_tpcb={ratio:.2f}")


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--clients", default="1,8,32", help="comma-separated client counts")
    parser.add_argument("--repeat", type=int, default=1, help="measurements per client count")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--pgbench-scale", type=int, default=0, help="default: max clients")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite figure")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    options = parser.parse_args()
    options.client_counts = [int(c) for c in options.clients.split(",")]
    return options


def main() -> int:
    options = parse_options()
    server = server_from_url(options.database_url)
    suffix = secrets.token_hex(4)
    ledger_db, pgbench_db = f"topup_bench_{suffix}", f"pgbench_bench_{suffix}"
    scale = options.pgbench_scale or max(options.client_counts)
    server.admin(f'CREATE DATABASE "{ledger_db}"')
    server.admin(f'CREATE DATABASE "{pgbench_db}"')
    try:
        print(f"preparing: migrate + {options.subscribers} subscriber accounts", flush=True)
        prepare_ledger(server.url(ledger_db), options.subscribers)
        print(f"preparing: pgbench -i -s {scale}", flush=True)
        subprocess.run(
            ["pgbench", "-i", "-q", "-s", str(scale), pgbench_db],
            env=server.pg_env(),
            check=True,
            capture_output=True,
        )
        rows = measure_all(server, ledger_db, pgbench_db, options)
    finally:
        from django.db import connections

        connections.close_all()
        for database in (ledger_db, pgbench_db):
            server.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    sqlite = None
    if not options.no_sqlite:
        sqlite = measure_sqlite(options.subscribers, options.duration)
    report(rows, sqlite, options=options, scale=scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
