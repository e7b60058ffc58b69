"""Fixtures of the fault tests: a migrated, seeded template database (once per session), a copy
of it per test, and the production processes on that copy.

These tests run on the PostgreSQL run of scripts/run-tests only (marker `postgres`); they use
the same server as the suite, in databases of their own named after its database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import is_postgres
from tests.faults.stack import (
    PgServer,
    Stack,
    StackError,
    database_name,
    django_run,
    product_env,
)

# Longer runs on demand: TOPUP_FAULTS_LONG=1 (or `python -m tests.faults --kills N --duration S`).
LONG = os.environ.get("TOPUP_FAULTS_LONG") == "1"


def _server_and_prefix() -> tuple[PgServer, str]:
    from django.conf import settings

    database = settings.DATABASES["default"]
    server = PgServer(
        host=str(database.get("HOST") or "127.0.0.1"),
        port=int(str(database.get("PORT") or 5432)),
        user=str(database.get("USER") or "postgres"),
        password=str(database.get("PASSWORD") or ""),
    )
    return server, str(database.get("NAME") or "topup")


@pytest.fixture(scope="session")
def pg_server() -> tuple[PgServer, str]:
    if not is_postgres():
        pytest.skip("needs PostgreSQL")  # the `postgres` marker skips before this, loudly
    return _server_and_prefix()


@pytest.fixture(scope="session")
def fault_template(
    pg_server: tuple[PgServer, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated and seeded once (`tests.faults.seed`); each test gets a copy."""
    server, prefix = pg_server
    name = database_name(prefix, "faults_tpl")
    server.database_create(name)
    workdir = tmp_path_factory.mktemp("faults-template")
    try:
        env = product_env(database_url=server.url(name), workdir=workdir)
        done = django_run(["tests.faults.seed"], env=env)
        if done.returncode != 0:
            raise StackError(f"seeding failed:\n{done.stdout}\n{done.stderr[-4000:]}")
        assert json.loads(done.stdout)["active"] > 0, done.stdout
        yield name
    finally:
        server.database_drop(name)


@pytest.fixture
def fault_database(pg_server: tuple[PgServer, str], fault_template: str) -> Iterator[str]:
    """A fresh copy of the template: its URL."""
    server, prefix = pg_server
    name = database_name(prefix, "faults")
    server.database_create(name, template=fault_template)
    try:
        yield server.url(name)
    finally:
        server.database_drop(name)


@pytest.fixture
def fault_workdir(tmp_path: Path) -> Path:
    return tmp_path


def stack_failure_logs(stack: Stack) -> str:
    return (
        f"--- web.log\n{stack.log_tail('web.log')}\n--- worker.log\n{stack.log_tail('worker.log')}"
    )


@pytest.fixture
def make_stack(fault_workdir: Path) -> Iterator[list[Stack]]:
    """Stacks a test starts are stopped afterwards (their processes never outlive the test)."""
    started: list[Stack] = []
    yield started
    for stack in started:
        stack.stop()
