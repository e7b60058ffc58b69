"""Writing many rows at once without the ORM's per-object work (a report's lines and items)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Final, TypeVar

import psycopg
from django.db import connection
from django.db.models import Field, Model

INSERT_BATCH_SIZE: Final = 1000  # rows per INSERT (fewer where the database takes fewer params)

T = TypeVar("T")
Value = int | str | dt.date | dt.datetime | None
Row = tuple[Value, ...]


def _db_value(value: Value) -> Value:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def rows_insert(*, model: type[Model], columns: tuple[str, ...], rows: Iterable[Row]) -> None:
    """Write rows without building model instances: a report has up to 200,000 lines and as
    many items, and the ORM's per-object work would take minutes (COPY on PostgreSQL, INSERTs
    of many rows elsewhere)."""
    column_names = []
    for name in columns:
        field = model._meta.get_field(name)
        assert isinstance(field, Field) and field.column is not None
        column_names.append(connection.ops.quote_name(field.column))
    names = ", ".join(column_names)
    table = connection.ops.quote_name(model._meta.db_table)
    # Built before writing: making the rows runs queries, which a COPY in progress would block.
    all_rows = list(rows)
    if connection.vendor == "postgresql":
        _rows_copy(f"COPY {table} ({names}) FROM STDIN", all_rows)
        return
    row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    limit = connection.features.max_query_params or INSERT_BATCH_SIZE * len(columns)
    batch_size = max(1, min(INSERT_BATCH_SIZE, limit // len(columns)))
    with connection.cursor() as cursor:
        for batch in batches(all_rows, batch_size):
            values = ", ".join([row_placeholder] * len(batch))
            params = [_db_value(value) for row in batch for value in row]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}", params)  # noqa: S608


def _rows_copy(copy_sql: str, rows: list[Row]) -> None:
    """PostgreSQL's COPY: ten times faster than multi-row INSERTs for a large report."""
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, psycopg.Connection)
    with psycopg.Cursor(raw) as cursor, cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
