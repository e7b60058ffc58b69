"""Hand-written statements on the hottest paths, read into model instances without the ORM.

Compiling a query costs the ORM a few hundred microseconds of Python on every request; the
statements here are written once and the rows go through the same database converters the ORM
would apply (SQLite returns datetimes as text, for instance), so the instances are the ORM's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

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
