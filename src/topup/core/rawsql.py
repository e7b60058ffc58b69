"""Hand-written statements on the hottest paths, read into model instances without the ORM.

Compiling a query costs the ORM a few hundred microseconds of Python on every request; the
statements here are written once and the rows go through the same database converters the ORM
would apply (SQLite returns datetimes as text, for instance), so the instances are the ORM's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from topup.core.prepared import (
    HotQuery,
    PreparedStatement,
    hot_query,
    prepared_statement,
    text,
)

_M = TypeVar("_M", bound=Model)
_Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def model_columns(model: type[Model], alias: str) -> str:
    """`s."id", s."msisdn", …`: every concrete column of the model, in field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


def models_from_rows(model: type[_M], rows: Sequence[Sequence[Any]]) -> list[_M]:
    """Instances from rows selected with `model_columns(model, …)`."""
    attnames, converters = _model_reading(model, connection.vendor)
    instances = []
    for row in rows:
        values = list(row)
        for index, expression, functions in converters:
            for convert in functions:
                values[index] = convert(values[index], expression, connection)
        instances.append(model.from_db(connection.alias, attnames, values))
    return instances


@functools.cache
def _model_reading(
    model: type[Model], vendor: str
) -> tuple[list[str], list[tuple[int, Any, list[_Converter]]]]:
    """The field names and, per column that needs them, the converters the ORM would apply."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        if functions:
            converters.append((index, expression, functions))
    return [field.attname for field in fields], converters


def model_insert(
    instance: Model, *, unless_conflicting_on: tuple[str, ...] = (), only_if: str = ""
) -> bool:
    """Insert the instance's row in one statement (prepared on PostgreSQL): True when inserted,
    and the instance then has its primary key. With `unless_conflicting_on` (the fields of a
    unique constraint) nothing is inserted when a row with the same values exists: `INSERT ...
    ON CONFLICT DO NOTHING RETURNING`, which the ORM's `save()` (a savepoint, an INSERT, a read
    on conflict) cannot say, and which costs less client CPU than its `save()`. `only_if`: a
    condition in SQL (fixed text, no parameters) the row is inserted under, read in the same
    statement; when nothing is inserted, the caller tells which of the two stopped it."""
    model, fields, _linked = _insert_shape(instance, ())
    pk = instance._meta.pk
    assert pk is not None
    generated = pk not in fields  # an auto id, given by the database
    names = tuple(field.name for field in fields)
    query = _insert_query(model, names, unless_conflicting_on, only_if)
    database = connections[DEFAULT_DB_ALIAS]  # one look-up: each `connection.x` costs one
    values = [
        field.get_db_prep_save(getattr(instance, field.attname), database) for field in fields
    ]
    rows = query.rows(values)
    if not rows:
        return False
    if generated:
        setattr(instance, pk.attname, rows[0][0])
    instance._state.adding = False
    instance._state.db = database.alias
    return True


@functools.cache
def _insert_query(
    model: type[Model],
    field_names: tuple[str, ...],
    conflict_fields: tuple[str, ...],
    only_if: str = "",
) -> HotQuery:
    quote = connection.ops.quote_name
    meta = model._meta
    assert meta.pk is not None
    column = {field.name: quote(str(field.column)) for field in meta.concrete_fields}
    columns = ", ".join(column[name] for name in field_names)
    placeholders = ", ".join(["%s"] * len(field_names))
    on_conflict = ""
    if conflict_fields:
        conflict = ", ".join(column[name] for name in conflict_fields)
        on_conflict = f" ON CONFLICT ({conflict}) DO NOTHING"
    # SELECT … WHERE, not VALUES, under a condition (SQLite then needs the WHERE before ON
    # CONFLICT: it has one).
    values = f"SELECT {placeholders} WHERE {only_if}" if only_if else f"VALUES ({placeholders})"
    return hot_query(
        f"INSERT INTO {quote(meta.db_table)} ({columns}) {values}"
        f"{on_conflict} RETURNING {quote(str(meta.pk.column))}"
    )


def models_insert_together(
    first: Model, *dependents: Model, unless_conflicting_on: tuple[str, ...] = ()
) -> bool:
    """Insert `first` and, only when it was inserted, the rows that depend on it (its
    transition, its audit event, its attempt): True when inserted. One statement on PostgreSQL
    (the dependents are data-modifying CTEs that select from the first INSERT's result), one
    INSERT each elsewhere, in the caller's transaction. A dependent's foreign key to `first`
    left empty takes the id the database gives `first`; the dependents' own generated ids are
    not read back.
    """
    database = connections[DEFAULT_DB_ALIAS]
    links = [_links(first, dependent) for dependent in dependents]
    if database.vendor != "postgresql":
        assert database.in_atomic_block or not dependents, "inserted together, or not at all"
        if not model_insert(first, unless_conflicting_on=unless_conflicting_on):
            return False
        for dependent, linked in zip(dependents, links, strict=True):
            for field in linked:
                setattr(dependent, field.attname, first.pk)
            model_insert(dependent)
        return True
    rows = [first, *dependents]
    shapes = tuple(
        _insert_shape(row, linked) for row, linked in zip(rows, [(), *links], strict=True)
    )
    query = _together_query(shapes, unless_conflicting_on)
    values = [
        field.get_db_prep_save(getattr(row, field.attname), database)
        for row, (_model, fields, _linked) in zip(rows, shapes, strict=True)
        for field in fields
    ]
    inserted = query.rows([None if value is None else text(value) for value in values])
    if not inserted:
        return False
    for row in rows:
        row._state.adding = False
        row._state.db = database.alias
    pk = first._meta.pk
    assert pk is not None
    if pk not in shapes[0][1]:
        setattr(first, pk.attname, inserted[0][0])
        for dependent, linked in zip(dependents, links, strict=True):
            for field in linked:
                setattr(dependent, field.attname, first.pk)
    return True


_Shape = tuple[type[Model], tuple[Field[Any, Any], ...], tuple[Field[Any, Any], ...]]


def _links(first: Model, dependent: Model) -> tuple[Field[Any, Any], ...]:
    """The dependent's foreign keys to `first` left empty while `first`'s id is to be given."""
    pk = first._meta.pk
    assert pk is not None
    if getattr(first, pk.attname) is not None:
        return ()
    return tuple(
        field
        for field in dependent._meta.concrete_fields
        if field.is_relation
        and field.related_model is type(first)
        and getattr(dependent, field.attname) is None
    )


def _insert_shape(instance: Model, linked: tuple[Field[Any, Any], ...]) -> _Shape:
    """The model, the fields an INSERT of this instance writes from parameters (not an id to be
    generated, not the links to the first row), and those links."""
    pk = instance._meta.pk
    assert pk is not None
    generated = getattr(instance, pk.attname) is None
    fields = tuple(
        field
        for field in instance._meta.concrete_fields
        if not (generated and field is pk) and field not in linked
    )
    return type(instance), fields, linked


@functools.cache
def _together_query(
    shapes: tuple[_Shape, ...], conflict_fields: tuple[str, ...]
) -> PreparedStatement:
    """WITH m0 AS (INSERT … RETURNING pk), m1 AS (INSERT … SELECT $…, m0.pk FROM m0), …"""
    parts = []
    number = 0
    for index, (model, fields, linked) in enumerate(shapes):
        meta = model._meta
        columns = ", ".join(f'"{field.column}"' for field in (*fields, *linked))
        values = [f"${number + n}" for n in range(1, len(fields) + 1)] + ["m0.pk"] * len(linked)
        number += len(fields)
        if index == 0:
            assert meta.pk is not None
            on_conflict = ""
            if conflict_fields:
                by_name = {field.name: field.column for field in meta.concrete_fields}
                conflict = ", ".join(f'"{by_name[name]}"' for name in conflict_fields)
                on_conflict = f" ON CONFLICT ({conflict}) DO NOTHING"
            parts.append(
                f'm0 AS (INSERT INTO "{meta.db_table}" ({columns}) VALUES ({", ".join(values)})'  # noqa: S608
                f'{on_conflict} RETURNING "{meta.pk.column}" AS pk)'
            )
        else:
            parts.append(
                f'm{index} AS (INSERT INTO "{meta.db_table}" ({columns})'  # noqa: S608
                f" SELECT {', '.join(values)} FROM m0)"
            )
    sql = "WITH " + ", ".join(parts) + " SELECT pk FROM m0"  # noqa: S608 - the models' names
    return prepared_statement(sql, prefix="topup_together")
