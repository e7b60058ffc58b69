"""Bulk top-ups credited per second (`topup topups import`) on PostgreSQL, next to a plain COPY.

    .venv/bin/python bench/bulk_import.py [--rows 100000,1000000] [--chunk-rows 5000] [--verify]

In a scratch database: migrate, then create max(--rows) active lines in bulk (two tracked
credit accounts each, set-based SQL). For each row count: write a CSV file of that many
top-ups (one per line, distinct references), run `topup topups import FILE --funding
promotions` as a child process and measure its wall time, its own rows/s and its peak RSS
(`os.wait4`'s rusage of that child alone) and, when the server runs on this host, the CPU its
backend spent per row (read from /proc: unlike rows/s, not skewed by whatever else the machine
runs). Then COPY the same file into an unindexed table with the same columns (the reference:
what PostgreSQL itself takes to ingest the rows). The
smallest file is then imported again as a corrected copy (one more blank line, so a new import
of the same rows): every row is a replay and nothing moves.
`--verify` runs the bulk-import invariants and checks each line's stored balance against its
entries afterwards. The scratch database is dropped at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_post import DEFAULT_DATABASE_URL, Server, django_setup, server_from_url

LINES_SQL = """
INSERT INTO catalog_operator (name, legal_name, vat_number, address, support_phone, support_url)
VALUES ('Bench', 'Bench NV', 'BE0000000097', 'Bench street 1', '', '');
INSERT INTO catalog_brand (operator_id, code, name, sms_sender_name)
SELECT id, 'bench', 'Bench', 'Bench' FROM catalog_operator;
INSERT INTO ledger_account (id, code, name, account_type, kind, owner_type, owner_id, currency,
    balance_tracked, may_go_negative, balance_cents, held_cents, created_at)
SELECT 1000 + 2 * n + k, 'sim:' || m || ':' || s, m || ' ' || s || ' credit', 'liability',
    'subscriber_' || s, 'sim', m, 'EUR', true, false, 0, 0, now()
FROM (SELECT n, '+3247' || lpad(n::text, 7, '0') AS m FROM generate_series(0, %(lines)s - 1) n) l
CROSS JOIN (VALUES (0, 'paid'), (1, 'promo')) AS v(k, s);
SELECT setval(pg_get_serial_sequence('ledger_account', 'id'), (SELECT max(id) FROM ledger_account));
INSERT INTO subscribers_sim (msisdn, iccid, status, created_at, updated_at, brand_id,
    paid_account_id, promo_account_id)
SELECT '+3247' || lpad(n::text, 7, '0'), '8932' || lpad(n::text, 15, '0'), 'active', now(), now(),
    (SELECT id FROM catalog_brand WHERE code = 'bench'), 1000 + 2 * n, 1001 + 2 * n
FROM generate_series(0, %(lines)s - 1) n;
"""

COPY_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_copy (msisdn text, amount_cents bigint, reference text)"
)

BALANCES_SQL = """
SELECT count(*) FROM ledger_account a
WHERE a.balance_tracked AND a.balance_cents <>
    COALESCE((SELECT -sum(e.amount_cents) FROM ledger_entry e WHERE e.account_id = a.id), 0)
"""


@dataclass(frozen=True)
class Measure:
    rows: int
    label: str
    import_s: float
    command_rows_per_s: float
    peak_rss_mb: float
    server_cpu_us_per_row: float | None
    copy_rows_per_s: float | None


def prepare(database_url: str, lines: int) -> None:
    django_setup(database_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        for statement in LINES_SQL.split(";\n"):
            if statement.strip():
                cursor.execute(statement, {"lines": lines})
    connection.close()


def vacuum_analyze(server: Server, database: str) -> None:
    import psycopg

    with psycopg.connect(server.url(database), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def write_file(directory: Path, rows: int, run: str) -> Path:
    """`rows` top-ups, one per line (lines 0..rows-1), amounts of € 1 to € 50."""
    path = directory / f"topups-{rows}-{run}.csv"
    rng = random.Random(rows)
    with path.open("w", encoding="utf-8") as stream:
        stream.write("msisdn,amount_cents,reference\n")
        for n in range(rows):
            stream.write(f"+3247{n:07d},{rng.randint(1, 50) * 100},{run}-{n}\n")
    return path


class ServerCpu(threading.Thread):
    """CPU seconds the server's backends spent for one database's other sessions.

    Read from /proc every 0.1 s, so only when the server runs on this host: it tells the work
    per row apart from the time lost to whatever else the machine is running.
    """

    def __init__(self, server: Server, database: str) -> None:
        super().__init__(daemon=True)
        self.url = server.url(database)
        self.seen: dict[int, float] = {}
        self.finished = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.finished.wait(0.1):
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                ).fetchall()
                for (pid,) in rows:
                    cpu_s = _process_cpu_s(pid)
                    if cpu_s is not None:
                        self.seen[pid] = max(self.seen.get(pid, 0.0), cpu_s)

    def stop(self) -> float | None:
        self.finished.set()
        self.join()
        return sum(self.seen.values()) if self.seen else None


def _process_cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_import(
    server: Server, database: str, path: Path, chunk_rows: int, workers: int
) -> tuple[float, float, float, float | None]:
    """(wall s, the command's own rows/s, peak RSS MB, server CPU s) of one import, in a child.

    The server CPU is summed over the import's connections (one per worker).
    """
    env = dict(os.environ, DATABASE_URL=server.url(database), TOPUP_DEBUG="0")
    env.update(TOPUP_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="topup.config.settings")
    command = [sys.executable, "-m", "topup.cli", "topups", "import", str(path)]
    command += ["--funding", "promotions", "--no-progress", "--chunk-rows", str(chunk_rows)]
    command += ["--workers", str(workers)]
    sampler = ServerCpu(server, database)
    sampler.start()
    began = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall_s = time.perf_counter() - began
    server_cpu_s = sampler.stop()
    if child.returncode != 0:
        raise SystemExit(f"the import failed (exit {child.returncode}):\n{output}")
    match = re.search(r"rows in [0-9.]+ s \(([0-9,]+) rows/s\)", output)
    if match is None:
        raise SystemExit(f"could not read the import's rows/s:\n{output}")
    rate = float(match.group(1).replace(",", ""))
    return wall_s, rate, usage.ru_maxrss / 1024, server_cpu_s


def copy_reference(server: Server, database: str, path: Path) -> float:
    """Rows per second of COPY of the same file into an unindexed table of the same columns."""
    import psycopg

    with path.open("rb") as stream:
        rows = sum(1 for _ in stream) - 1
    with psycopg.connect(server.url(database)) as conn:
        conn.execute(COPY_TABLE_SQL)
        conn.execute("TRUNCATE bench_copy")
        conn.commit()
        began = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as stream,
        ):
            while block := stream.read(1024 * 1024):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - began
    return rows / elapsed


def verify(database_url: str) -> list[str]:
    django_setup(database_url)
    from django.db import connection

    from topup.topups.bulk import topup_bulk_imports_verify

    problems = topup_bulk_imports_verify()
    with connection.cursor() as cursor:
        cursor.execute(BALANCES_SQL)
        row = cursor.fetchone()
    if row and row[0]:
        problems.append(f"{row[0]} tracked accounts whose balance is not the sum of their entries")
    connection.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated file sizes")
    parser.add_argument("--chunk-rows", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2, help="the import's --workers")
    parser.add_argument("--verify", action="store_true", help="check the invariants afterwards")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    options = parser.parse_args()
    sizes = sorted(int(r) for r in options.rows.split(","))
    server = server_from_url(options.database_url)
    database = f"topup_bulk_{secrets.token_hex(4)}"
    url = server.url(database)
    results: list[Measure] = []
    server.admin(f'CREATE DATABASE "{database}"')
    try:
        print(f"preparing: migrate + {max(sizes):,} active lines", flush=True)
        prepare(url, max(sizes))
        vacuum_analyze(server, database)
        with tempfile.TemporaryDirectory(prefix="topup-bulk-") as scratch:
            files = {rows: write_file(Path(scratch), rows, secrets.token_hex(3)) for rows in sizes}
            for rows in sizes:
                wall_s, rate, rss_mb, cpu_s = run_import(
                    server, database, files[rows], options.chunk_rows, options.workers
                )
                copy_rate = copy_reference(server, database, files[rows])
                results.append(
                    Measure(rows, "new", wall_s, rate, rss_mb, per_row_us(cpu_s, rows), copy_rate)
                )
                print(f"  {rows:>9,} rows: {rate:,.0f} rows/s, {rss_mb:.0f} MB", flush=True)
            # A corrected copy of the smallest file (other bytes, same rows): all replays.
            copy = files[sizes[0]].with_name("replayed.csv")
            copy.write_bytes(files[sizes[0]].read_bytes() + b"\n")
            wall_s, rate, rss_mb, cpu_s = run_import(
                server, database, copy, options.chunk_rows, options.workers
            )
            results.append(
                Measure(sizes[0], "replay", wall_s, rate, rss_mb, per_row_us(cpu_s, sizes[0]), None)
            )
        problems = verify(url) if options.verify else []
    finally:
        if not options.keep:
            from django.db import connections

            connections.close_all()
            server.admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    print_table(results, options.chunk_rows, options.workers)
    for problem in problems:
        print(f"VIOLATION {problem}")
    largest = max((m for m in results if m.label == "new"), key=lambda m: m.rows)
    print(
        f"bulk_rows_per_s={largest.command_rows_per_s:.0f} rows={largest.rows} "
        f"peak_rss_mb={largest.peak_rss_mb:.0f}"
    )
    return 1 if problems else 0


def per_row_us(cpu_s: float | None, rows: int) -> float | None:
    return None if cpu_s is None else cpu_s * 1e6 / rows


def print_table(results: list[Measure], chunk_rows: int, workers: int) -> None:
    print(
        f"\nchunks of {chunk_rows:,} rows, {workers} worker(s); funding: promotions; "
        "one new line per row"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    header = (
        f"{'rows':>9} | {'file':>6} | {'wall s':>6} | {'import rows/s':>13} | "
        f"{'peak RSS MB':>11} | {'server CPU us/row':>17} | {'COPY rows/s':>11} | "
        f"{'import/COPY':>11}"
    )
    print(header)
    print("-" * len(header))
    for m in results:
        cpu = f"{m.server_cpu_us_per_row:>17.1f}" if m.server_cpu_us_per_row else f"{'':>17}"
        copy = f"{m.copy_rows_per_s:>11,.0f}" if m.copy_rows_per_s else f"{'':>11}"
        ratio = (
            f"{m.command_rows_per_s / m.copy_rows_per_s:>11.3f}"
            if m.copy_rows_per_s
            else f"{'':>11}"
        )
        print(
            f"{m.rows:>9,} | {m.label:>6} | {m.import_s:>6.1f} | {m.command_rows_per_s:>13,.0f} | "
            f"{m.peak_rss_mb:>11.0f} | {cpu} | {copy} | {ratio}"
        )


if __name__ == "__main__":
    sys.exit(main())
