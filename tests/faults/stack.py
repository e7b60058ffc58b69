"""Real processes for the fault tests: PostgreSQL databases and clusters, gunicorn, the worker.

Nothing here imports Django: the processes it starts configure themselves from DATABASE_URL, and
the test process keeps its own (pytest-django) configuration.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
START_TIMEOUT_S = 40.0
STOP_TIMEOUT_S = 12.0
WORKER_POLL_S = "0.2"
# Abandoned orders expire this long after creation in the stacks started here (production: 30
# minutes), so that the reconciliation run after the load can expire them without waiting long.
ORDER_TTL_S = 15


class StackError(RuntimeError):
    """A process of the stack did not start or answer: the environment, not the product."""


# --- PostgreSQL --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str = ""

    def url(self, dbname: str) -> str:
        secret = f":{self.password}" if self.password else ""
        return f"postgres://{self.user}{secret}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", *, autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname,
            autocommit=autocommit,
            connect_timeout=5,
        )

    def admin(self, sql: str) -> None:
        with self.connect() as conn:
            conn.execute(sql.encode())

    def database_create(self, name: str, *, template: str | None = None) -> None:
        clause = f' TEMPLATE "{template}"' if template else ""
        self.admin(f'CREATE DATABASE "{name}"{clause}')

    def database_drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_name(prefix: str, label: str) -> str:
    """A fresh database name (PostgreSQL keeps 63 bytes): concurrent runs never collide."""
    return f"{prefix[:30]}_{label[:12]}_{secrets.token_hex(4)}".lower()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pg_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with pg_ctl, else the one on PATH."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _as_postgres_prefix() -> list[str]:
    """initdb refuses root: as root, run the cluster's commands as the `postgres` user."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]


class PgCluster:
    """A PostgreSQL cluster of the test's own, in a temporary directory, driven by pg_ctl."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="topup-faults-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.restarts = 0
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres", group="postgres")

    @property
    def server(self) -> PgServer:
        return PgServer(host="127.0.0.1", port=self.port, user="postgres")

    def _run(self, tool: str, *args: str, timeout_s: float = 60) -> None:
        command = [*_as_postgres_prefix(), str(self.bin_dir / tool), *args]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if done.returncode != 0:
            raise StackError(f"{tool} {' '.join(args)} failed: {done.stdout}{done.stderr}")

    def _options(self) -> str:
        return f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"

    def init_and_start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(), "-w",
                  "start")  # fmt: skip

    def restart(self, *, mode: str) -> None:
        """Stop (`fast`: clients cut off; `immediate`: a crash, WAL recovery) and start again."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.start()
        self.restarts += 1

    def stop(self) -> None:
        with contextlib.suppress(StackError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def database_copy(*, bin_dir: Path, source: PgServer, name: str, target: PgServer) -> None:
    """Copy a (migrated, seeded) database to another server: pg_dump piped into pg_restore."""
    target.database_create(name)
    dump = subprocess.Popen(
        [str(bin_dir / "pg_dump"), "-Fc", "--no-owner", "--no-privileges", source.url(name)],
        stdout=subprocess.PIPE,
    )
    restore = subprocess.run(
        [str(bin_dir / "pg_restore"), "--no-owner", "--no-privileges", "-d", target.url(name)],
        stdin=dump.stdout,
        capture_output=True,
        check=False,
    )
    dump.wait(timeout=60)
    if dump.returncode != 0 or restore.returncode != 0:
        raise StackError(f"copying {name} failed: {restore.stderr.decode(errors='replace')}")


# --- The product's processes ---------------------------------------------------------------------


def product_env(*, database_url: str, workdir: Path, extra: dict[str, str] | None = None) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "TOPUP_TEST_DATABASE_NAME", "COVERAGE_PROCESS_START")
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "topup.config.settings",
            "TOPUP_DATA_DIR": str(workdir / "data"),
            "TOPUP_LOG_LEVEL": "WARNING",
            "TOPUP_FAULTS_DIR": str(workdir),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra or {})
    return env


def django_run(
    args: Sequence[str], *, env: dict[str, str], timeout_s: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run `python -m <module> ...` (a `topup` command or a tests.faults probe) to completion."""
    return subprocess.run(
        [PYTHON, "-m", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces: the fields after its closing parenthesis count.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _alive(process: subprocess.Popen[bytes] | None) -> bool:
    return process is not None and process.poll() is None


def _killpg(process: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


@dataclass
class Kills:
    web_workers: int = 0
    web_masters: int = 0
    task_workers: int = 0

    @property
    def total(self) -> int:
        return self.web_workers + self.web_masters + self.task_workers


@dataclass
class Stack:
    """gunicorn (several workers) and `topup worker` on one database; `trouble` swaps in the
    fault-injecting entry points of tests/faults/entry.py (a troubled provider, a flaky SMS
    gateway) instead of the production ones."""

    database_url: str
    workdir: Path
    web_workers: int = 3
    trouble: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    kills: Kills = field(default_factory=Kills)
    web: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        extra = {"TOPUP_PUBLIC_URL": self.base_url, "TOPUP_ORDER_TTL_S": str(ORDER_TTL_S)}
        return product_env(
            database_url=self.database_url, workdir=self.workdir, extra={**extra, **self.extra_env}
        )

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen[bytes]:
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        with (self.workdir / log_name).open("ab") as log:
            return subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as one, never us
            )

    def _web_command(self) -> list[str]:
        bind = f"127.0.0.1:{self.port}"
        if not self.trouble:
            workers = str(self.web_workers)
            return [PYTHON, "-m", "topup.cli", "serve", "--bind", bind, "--workers", workers,
                    "--timeout", "20"]  # fmt: skip
        from topup.cli.management.commands.serve import WSGI_APPLICATION, gunicorn_argv

        argv = gunicorn_argv(bind=bind, workers=self.web_workers, threads=1, timeout_s=20)
        return [("tests.faults.entry:application" if a == WSGI_APPLICATION else a) for a in argv]

    def start_web(self) -> None:
        self.web = self._spawn(self._web_command(), "web.log")
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not _alive(self.web):
                raise StackError(f"the web server exited:\n{self.log_tail('web.log')}")
            if self._healthy() and len(self.web_worker_pids()) >= self.web_workers:
                return
            time.sleep(0.1)
        raise StackError(f"the web server did not answer:\n{self.log_tail('web.log')}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def start_worker(self) -> None:
        module = "tests.faults.entry" if self.trouble else "topup.cli"
        self.worker = self._spawn(
            [PYTHON, "-m", module, "worker", "--interval", WORKER_POLL_S], "worker.log"
        )

    def start(self) -> None:
        self.start_web()
        self.start_worker()

    def web_worker_pids(self) -> list[int]:
        return _children(self.web.pid) if _alive(self.web) and self.web else []

    def kill_web_worker(self, rng: random.Random) -> bool:
        """SIGKILL one gunicorn worker, mid-request or not; its master starts another."""
        pids = self.web_worker_pids()
        if not pids:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(rng.choice(pids), signal.SIGKILL)
            self.kills.web_workers += 1
            return True
        return False

    def kill_web_master(self) -> None:
        """SIGKILL the master and every worker at once (a crashed container), then start again."""
        _killpg(self.web, signal.SIGKILL)
        if self.web is not None:
            self.web.wait(timeout=STOP_TIMEOUT_S)
        self.kills.web_masters += 1
        self.start_web()

    def kill_worker(self) -> None:
        """SIGKILL the task worker (and its scheduler thread), whatever task it is running."""
        _killpg(self.worker, signal.SIGKILL)
        if self.worker is not None:
            self.worker.wait(timeout=STOP_TIMEOUT_S)
        self.kills.task_workers += 1

    def ensure_running(self) -> None:
        if not _alive(self.web):
            self.start_web()
        if not _alive(self.worker):
            self.start_worker()

    def stop(self) -> None:
        for process in (self.worker, self.web):
            _killpg(process, signal.SIGTERM)
        for process in (self.worker, self.web):
            if process is None:
                continue
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _killpg(process, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_S)

    def log_tail(self, name: str, *, lines: int = 40) -> str:
        path = self.workdir / name
        if not path.exists():
            return ""
        # gunicorn's access log says nothing about a failure: its own lines and tracebacks do.
        kept = [
            line
            for line in path.read_text(errors="replace").splitlines()
            if not line.startswith("127.0.0.1 - - ")
        ]
        return "\n".join(kept[-lines:])
