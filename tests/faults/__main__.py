"""The long kill -9 run, on demand (outside pytest):

    .venv/bin/python -m tests.faults --kills 200 --duration 600 [--seed 7]
        [--database-url postgres://postgres@127.0.0.1:5432/topup_faults]

The database URL names the PostgreSQL server and a prefix: the run creates (and drops) its own
databases `<prefix>_faults_tpl_<hex>` and `<prefix>_faults_<hex>` there. It prints the run's note
(operations driven, kills survived, payments captured vs credited, violations) and exits 1 when
any invariant is violated. The CI run is tests/faults/test_kill9.py (24 kills in 45 s).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import dj_database_url

from tests.faults.scenario import drain_and_check, killer, run_load
from tests.faults.stack import PgServer, Stack, StackError, database_name, django_run, product_env

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/topup_faults"


def _server(url: str) -> tuple[PgServer, str]:
    parsed = dj_database_url.parse(url)
    server = PgServer(
        host=str(parsed.get("HOST") or "127.0.0.1"),
        port=int(str(parsed.get("PORT") or 5432)),
        user=str(parsed.get("USER") or "postgres"),
        password=str(parsed.get("PASSWORD") or ""),
    )
    return server, str(parsed.get("NAME") or "topup_faults")


def _seeded_template(server: PgServer, prefix: str, workdir: Path) -> str:
    name = database_name(prefix, "faults_tpl")
    server.database_create(name)
    done = django_run(
        ["tests.faults.seed"], env=product_env(database_url=server.url(name), workdir=workdir)
    )
    if done.returncode != 0:
        server.database_drop(name)
        raise StackError(f"seeding failed:\n{done.stderr[-4000:]}")
    return name


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs to survive (>= 20)")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args(argv)
    if args.kills < 20 or args.duration < 10:
        parser.error("at least 20 kills and 10 seconds")
    server, prefix = _server(args.database_url)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="topup-faults-") as tmp:
        workdir = Path(tmp)
        template = _seeded_template(server, prefix, workdir)
        name = database_name(prefix, "faults")
        server.database_create(name, template=template)
        stack = Stack(database_url=server.url(name), workdir=workdir)
        try:
            stack.start()
            load = run_load(
                stack,
                duration_s=args.duration,
                seed=args.seed,
                faults=killer(stack, kills=args.kills, duration_s=args.duration),
            )
            result = drain_and_check(stack, load, workdir=workdir)
        finally:
            stack.stop()
            server.database_drop(name)
            server.database_drop(template)
    result.figures["run_seconds"] = round(time.monotonic() - started, 1)
    sys.stdout.write(json.dumps({**result.figures, "violations": result.violations}, indent=2))
    sys.stdout.write("\n")
    verdict = "OK" if not result.violations else f"{len(result.violations)} VIOLATION(S)"
    sys.stdout.write(f"fault run: {stack.kills.total} kills survived, {verdict}\n")
    return 0 if not result.violations else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
