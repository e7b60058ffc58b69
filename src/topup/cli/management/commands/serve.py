"""`topup serve [--bind HOST:PORT] [--workers N] [--threads T]`: the production web server.

The command replaces itself with a gunicorn master process (exec) on the WSGI application, so
its process id is the master's: a supervisor signals it directly (SIGTERM stops gracefully,
SIGHUP reloads), and the master respawns any worker that dies, even one killed with SIGKILL.

The default, one gthread worker per CPU with 8 threads each, came out of bench/http_load.py
(docs/operations.md, "The web server"): against more processes than cores (2 x CPUs + 1) or sync
workers it gave the shortest p99 at 32 concurrent clients at as many requests/s. Settings this
command does not pass (keep-alive, backlog, max-requests, ...) come from GUNICORN_CMD_ARGS.
"""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser

MAX_WORKERS = 64
MAX_THREADS = 32
MAX_TIMEOUT_S = 600
GTHREAD_THREADS = 8  # per worker; each holds a database connection (see docs/operations.md)
WSGI_APPLICATION = "topup.config.wsgi:application"


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ArgumentTypeError(f"between {low} and {high}")
        return value

    return parse


def default_workers() -> int:
    """One process per CPU (two at least, so a worker that dies leaves one serving)."""
    return max(2, os.cpu_count() or 1)


def gunicorn_argv(
    *, bind: str, workers: int, threads: int, timeout_s: int, worker_class: str | None = None
) -> list[str]:
    """The gunicorn command line `topup serve` runs (the python of this environment).

    Without a worker class: sync for one thread, gthread for more (gunicorn's own rule).
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        WSGI_APPLICATION,
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        worker_class or ("sync" if threads == 1 else "gthread"),
        "--threads",
        str(threads),
        "--timeout",
        str(timeout_s),
        "--graceful-timeout",
        "10",
        # No --preload: each worker imports Django itself, so no connection crosses a fork.
        # No control socket: its default path ($HOME/.gunicorn) is one per user, and two
        # servers on one host would take it from each other.
        "--no-control-socket",
        "--access-logfile",
        "-",
    ]


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (several worker processes); Ctrl-C stops it."
    requires_system_checks: list[str] = []  # starting needs no database

    def add_arguments(self, parser: CommandParser | ArgumentParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT to listen on")
        parser.add_argument(
            "--workers",
            type=_bounded(1, MAX_WORKERS),
            default=default_workers(),
            help="worker processes (default: one per CPU, at least 2)",
        )
        parser.add_argument(
            "--worker-class",
            choices=["gthread", "sync"],
            default="gthread",
            help="gthread (default): threads per worker, keep-alive; sync: one request at a time",
        )
        parser.add_argument(
            "--threads",
            type=_bounded(1, MAX_THREADS),
            default=None,
            help=f"threads per gthread worker (default: {GTHREAD_THREADS})",
        )
        parser.add_argument(
            "--timeout",
            type=_bounded(5, MAX_TIMEOUT_S),
            default=30,
            help="seconds a worker may be silent before the master restarts it",
        )

    def handle(self, *args: object, **options: object) -> None:
        worker_class = str(options["worker_class"])
        threads = options["threads"]
        if worker_class == "sync" and threads not in (None, 1):
            raise CommandError("sync workers have one thread; use --worker-class gthread")
        if threads is None:
            threads = 1 if worker_class == "sync" else GTHREAD_THREADS
        argv = gunicorn_argv(
            bind=str(options["bind"]),
            workers=int(str(options["workers"])),
            threads=int(str(threads)),
            timeout_s=int(str(options["timeout"])),
            worker_class=worker_class,
        )
        self.stdout.write(f"serving {WSGI_APPLICATION} on {options['bind']}")
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606 - our own interpreter, a fixed module
