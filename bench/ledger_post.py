"""Top-ups credited per second through `ledger_transfer` on PostgreSQL, next to pgbench tpcb-like.

    .venv/bin/python bench/ledger_post.py [--duration 10] [--clients 1,8] [--subscribers 10000]

Each worker is a process (the GIL would serialise threads) with its own Django set-up and
connection; each credit is its own transaction: clearing -> one of many subscriber paid-credit
accounts. Then pgbench's built-in tpcb-like script runs with the same client counts and duration
on the same server, in a scratch database. Both scratch databases are dropped at the end.
The last line is `ratio_vs_pgbench_tpcb=<topup tx/s / pgbench tps at the largest client count>`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/topup"
AMOUNT_CENTS = 1_000


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
            conn.execute(sql)  # type: ignore[arg-type]

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(PGHOST=self.host, PGPORT=str(self.port), PGUSER=self.user)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


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


def credit_worker(
    database_url: str, worker: int, *, run: str, duration_s: float, start: Barrier, results: object
) -> None:
    django_setup(database_url)
    from django.db import connection

    from topup.audit.services import Actor
    from topup.ledger.models import Account, AccountKind
    from topup.ledger.services import ledger_provider_clearing_account, ledger_transfer

    clearing = ledger_provider_clearing_account(provider="bench")
    accounts = list(Account.objects.filter(kind=AccountKind.SUBSCRIBER_PAID))
    actor = Actor.system("bench")
    rng = random.Random(worker)
    connection.ensure_connection()
    start.wait()
    done = 0
    deadline = time.perf_counter() + duration_s
    while time.perf_counter() < deadline:
        ledger_transfer(
            idempotency_key=f"bench:{run}:{worker}:{done}",
            debit=clearing,
            credit=rng.choice(accounts),
            amount_cents=AMOUNT_CENTS,
            reason_code="topup",
            actor=actor,
        )
        done += 1
    connection.close()
    results.put(done)  # type: ignore[attr-defined]


def measure_ledger(database_url: str, clients: int, duration_s: float) -> float:
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
    began = time.perf_counter()
    total = sum(results.get(timeout=duration_s + 120) for _ in workers)
    elapsed = max(time.perf_counter() - began, duration_s)
    for process in workers:
        process.join(timeout=30)
        if process.exitcode != 0:
            raise SystemExit(f"a ledger worker failed (exit {process.exitcode})")
    return total / elapsed


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--clients", default="1,8", help="comma-separated client counts")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--pgbench-scale", type=int, default=0, help="default: max clients")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    options = parser.parse_args()
    client_counts = [int(c) for c in options.clients.split(",")]
    server = server_from_url(options.database_url)
    suffix = secrets.token_hex(4)
    ledger_db, pgbench_db = f"topup_bench_{suffix}", f"pgbench_bench_{suffix}"
    scale = options.pgbench_scale or max(client_counts)
    rows: list[tuple[int, float, float]] = []
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
        for clients in client_counts:
            ledger_tps = measure_ledger(server.url(ledger_db), clients, options.duration)
            print(f"  ledger  clients={clients}: {ledger_tps:9.1f} top-ups/s", flush=True)
            pgbench_tps = measure_pgbench(server, pgbench_db, clients, options.duration)
            print(f"  pgbench clients={clients}: {pgbench_tps:9.1f} tps", flush=True)
            rows.append((clients, ledger_tps, pgbench_tps))
    finally:
        from django.db import connections

        connections.close_all()
        for database in (ledger_db, pgbench_db):
            server.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print(f"\nduration {options.duration:g} s each; pgbench tpcb-like, scale {scale}")
    print(f"{'clients':>7} | {'topup tx/s':>10} | {'pgbench tps':>11} | {'ratio':>5}")
    print(f"{'-' * 7}-+-{'-' * 10}-+-{'-' * 11}-+-{'-' * 5}")
    for clients, ledger_tps, pgbench_tps in rows:
        print(
            f"{clients:>7} | {ledger_tps:>10.1f} | {pgbench_tps:>11.1f} | "
            f"{ledger_tps / pgbench_tps:>5.2f}"
        )
    clients, ledger_tps, pgbench_tps = max(rows)
    print(f"ratio_vs_pgbench_tpcb={ledger_tps / pgbench_tps:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
