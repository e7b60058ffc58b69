"""`topup serve [--bind HOST:PORT] [--workers N]`: the production web server (gunicorn, WSGI).

The command replaces itself with a gunicorn master process (exec), so its process id is the
master's: a supervisor signals it directly (SIGTERM stops gracefully, SIGHUP reloads), and the
master respawns any worker that dies, even one killed with SIGKILL.
"""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandParser

MAX_WORKERS = 64
MAX_TIMEOUT_S = 600
WSGI_APPLICATION = "topup.config.wsgi:application"


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ArgumentTypeError(f"between {low} and {high}")
        return value

    return parse


def gunicorn_argv(*, bind: str, workers: int, threads: int, timeout_s: int) -> list[str]:
    """The gunicorn command line `topup serve` runs (the python of this environment)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        WSGI_APPLICATION,
        "--bind",
        bind,
        "--workers",
        str(workers),
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
            default=max(2, (os.cpu_count() or 1) * 2),
            help="worker processes (default: twice the CPUs)",
        )
        parser.add_argument(
            "--threads", type=_bounded(1, 32), default=1, help="threads per worker (gthread)"
        )
        parser.add_argument(
            "--timeout",
            type=_bounded(5, MAX_TIMEOUT_S),
            default=30,
            help="seconds a worker may be silent before the master restarts it",
        )

    def handle(self, *args: object, **options: object) -> None:
        argv = gunicorn_argv(
            bind=str(options["bind"]),
            workers=int(str(options["workers"])),
            threads=int(str(options["threads"])),
            timeout_s=int(str(options["timeout"])),
        )
        self.stdout.write(f"serving {WSGI_APPLICATION} on {options['bind']}")
        self.stdout.flush()
        os.execv(argv[0], argv)  # noqa: S606 - our own interpreter, a fixed module
