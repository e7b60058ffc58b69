"""Hot-path statements on PostgreSQL: prepared by name once per connection, run through libpq.

Django turns psycopg's own prepared statements off (for connection poolers) and its ORM spends
more client CPU compiling a query than the server spends running it. The few statements every
top-up runs are written once in SQL, prepared by name on each connection the first time they
run there, and executed with text parameters. They take part in the connection's transaction
(Django's `atomic` blocks) and show in Django's query log like any other query, so the tests'
query counts see them.

A connection pooler in transaction mode must keep named statements per server connection
(PgBouncer 1.21 or later, `max_prepared_statements`): see docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final
from uuid import UUID

import psycopg
import psycopg.errors
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import pq
from psycopg.adapt import Transformer
from psycopg.types.json import Jsonb

_PARAMETER: Final = re.compile("%s")
_STATEMENT_MISSING: Final = "26000"  # invalid_sql_statement_name: deallocated behind our back
_STATEMENT_EXISTS: Final = "42P05"  # duplicate_prepared_statement
_ANSWERED: Final = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)

Value = bytes | None  # a parameter in text format; None is NULL
# What a HotQuery takes, as Django's cursor does (and whatever a field's get_db_prep_save gives).
Param = bool | int | float | Decimal | str | bytes | dt.date | UUID | None
Row = tuple[object, ...]


@dataclass(frozen=True, eq=False)
class PreparedStatement:
    """One statement for PostgreSQL; `$n` parameters, each cast in the SQL so that the types it
    is prepared with do not depend on the values of its first call."""

    name: str
    sql: str
    _prepared_on: weakref.WeakSet[psycopg.Connection[Row]] = field(
        default_factory=weakref.WeakSet, repr=False
    )

    def run(self, values: Sequence[Value]) -> pq.abc.PGresult:
        """The result of running it in the connection's transaction. A failure raises Django's
        error (psycopg's is its `__cause__`); the caller's transaction is then aborted, as with
        any failed statement."""
        return self._executed(values)[0]

    def rows(self, values: Sequence[Value]) -> list[Row]:
        """The rows it returns, each value loaded as psycopg loads it (int, datetime, …)."""
        result, raw = self._executed(values)
        loader = Transformer(raw)
        loader.set_pgresult(result)
        return loader.load_rows(0, result.ntuples, tuple)

    def _executed(self, values: Sequence[Value]) -> tuple[pq.abc.PGresult, psycopg.Connection[Row]]:
        database = connections[DEFAULT_DB_ALIAS]  # one look-up: each `connection.x` costs one
        database.ensure_connection()
        raw = database.connection
        assert isinstance(raw, psycopg.Connection)
        started = time.monotonic()
        with database.wrap_database_errors:  # Django's errors: IntegrityError, OperationalError…
            _transaction_opened(raw)
            result = self._run_prepared(raw, values)
        if database.queries_logged:
            _query_logged(database, self, values, time.monotonic() - started)
        return result, raw

    def _run_prepared(
        self, raw: psycopg.Connection[Row], values: Sequence[Value]
    ) -> pq.abc.PGresult:
        if raw not in self._prepared_on:
            self._prepare(raw)
        name = self.name.encode()
        # libpq takes None as NULL; psycopg's stub of exec_prepared does not say so.
        result = raw.pgconn.exec_prepared(name, values)  # type: ignore[arg-type]
        if result.status in _ANSWERED:
            return result
        error = psycopg.errors.error_from_result(result, encoding=raw.info.encoding)
        if error.sqlstate != _STATEMENT_MISSING:
            raise error
        self._prepared_on.discard(raw)  # prepared afresh by the next call
        if raw.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            raise error  # the caller's transaction is aborted: it must be rolled back
        self._prepare(raw)  # outside a transaction the failed call changed nothing: run it again
        result = raw.pgconn.exec_prepared(name, values)  # type: ignore[arg-type]
        if result.status not in _ANSWERED:
            raise psycopg.errors.error_from_result(result, encoding=raw.info.encoding)
        return result

    def _prepare(self, raw: psycopg.Connection[Row]) -> None:
        result = raw.pgconn.prepare(self.name.encode(), self.sql.encode())
        if result.status == pq.ExecStatus.COMMAND_OK:
            self._prepared_on.add(raw)
            return
        error = psycopg.errors.error_from_result(result, encoding=raw.info.encoding)
        if error.sqlstate != _STATEMENT_EXISTS:
            raise error
        # Prepared on this connection already, under this name (so with this text): by another
        # object than this one, which the registries below are there to prevent. Known from now.
        self._prepared_on.add(raw)
        if raw.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            raise error  # the caller's transaction is aborted; its retry finds the statement


@dataclass(frozen=True, eq=False)
class HotQuery:
    """A statement in SQL both engines speak, with Django's `%s` parameters: prepared on
    PostgreSQL (where the server infers each parameter's type from its place), through Django's
    cursor elsewhere. For reads and single-row writes; values as Django's cursor takes them."""

    name: str
    sql: str
    _prepared: PreparedStatement = field(init=False, repr=False)

    def __post_init__(self) -> None:
        numbered = iter(range(1, self.sql.count("%s") + 1))
        postgres_sql = _PARAMETER.sub(lambda _match: f"${next(numbered)}", self.sql)
        object.__setattr__(self, "_prepared", PreparedStatement(self.name, postgres_sql))

    def rows(self, params: Sequence[Param]) -> list[Row]:
        database = connections[DEFAULT_DB_ALIAS]
        if database.vendor == "postgresql":
            return self._prepared.rows([None if value is None else text(value) for value in params])
        with database.cursor() as cursor:
            cursor.execute(self.sql, params)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


def _transaction_opened(raw: psycopg.Connection[Row]) -> None:
    """Open the transaction Django began: psycopg sends BEGIN lazily, with its next statement,
    and this one does not go through psycopg."""
    if raw.autocommit or raw.pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return
    if raw.isolation_level is not None:
        raw.execute("SELECT 1")  # psycopg's BEGIN carries the configured isolation level
        return
    result = raw.pgconn.exec_(b"BEGIN")
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise psycopg.errors.error_from_result(result, encoding=raw.info.encoding)


def _query_logged(
    database: BaseDatabaseWrapper,
    statement: PreparedStatement,
    values: Sequence[Value],
    elapsed_s: float,
) -> None:
    shown = ", ".join("NULL" if value is None else repr(value.decode()) for value in values)
    database.queries_log.append(
        {"sql": f"EXECUTE {statement.name}({shown})", "time": f"{elapsed_s:.3f}"}
    )


def text(value: object) -> bytes:
    """A parameter in PostgreSQL's text format (datetimes in ISO 8601 with their offset)."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bool):  # before int: a bool is an int
        return b"t" if value else b"f"
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat().encode()
    if isinstance(value, Jsonb):  # what Django's JSONField hands the driver
        dumped = (value.dumps or json.dumps)(value.obj)
        return dumped if isinstance(dumped, bytes) else dumped.encode()
    return str(value).encode()


# One object per statement and process: an object knows the connections it prepared its
# statement on, so two objects of one name would each prepare it on a connection the other had
# prepared it on already (found by the HTTP benchmark: threads building a statement at once).
_HOT_QUERIES: Final[dict[str, HotQuery]] = {}
_PREPARED_STATEMENTS: Final[dict[str, PreparedStatement]] = {}
_REGISTRY_LOCK: Final = threading.Lock()


def hot_query(sql: str) -> HotQuery:
    """The HotQuery of this SQL text, one per text and process; named after the text's digest
    (so a changed text is a new statement, never a stale one on a pooled connection)."""
    query = _HOT_QUERIES.get(sql)
    if query is None:
        with _REGISTRY_LOCK:
            query = _HOT_QUERIES.get(sql)
            if query is None:
                query = _HOT_QUERIES[sql] = HotQuery(f"topup_hot_{_digest(sql)}", sql)
    return query


def prepared_statement(sql: str, *, prefix: str) -> PreparedStatement:
    """The PreparedStatement of this SQL text (`$n` parameters), one per text and process, named
    `<prefix>_<digest of the text>`."""
    statement = _PREPARED_STATEMENTS.get(sql)
    if statement is None:
        with _REGISTRY_LOCK:
            statement = _PREPARED_STATEMENTS.get(sql)
            if statement is None:
                statement = PreparedStatement(f"{prefix}_{_digest(sql)}", sql)
                _PREPARED_STATEMENTS[sql] = statement
    return statement


def _digest(sql: str) -> str:
    return hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()
