"""Many rows into one table at once, without SQLAlchemy's per-row bookkeeping where it can.

An executemany through `Connection.execute(insert(table), rows)` rebuilds every row's
parameters (a dict per row, its defaults looked up, each value through its column type's
bind processor). On SQLite that is about as long as SQLite's own insert. For a table of
plain columns the work per row is fixed once its keys are known, so `insert_many` plans it
once per (table, keys): the statement, which columns need their type's processor, which
take a Python-side default. Each row then becomes a tuple in one pass and goes straight to
the driver. The processors are the columns' own, so values are stored exactly as the
ordinary path stores them; tests compare the two row for row.

Only positional (qmark) drivers take the plan: PostgreSQL's drivers batch executemany
themselves, and rows with differing keys or a table whose defaults are not plain values or
plain callables go the ordinary way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert
from sqlalchemy.sql.schema import ColumnDefault

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    values: Callable[[dict[str, Any]], tuple[Any, ...]]  # the row's values, statement order
    processors: tuple[tuple[int, Processor], ...]  # (position among the row's values, processor)
    defaults: tuple[tuple[int, ColumnDefault], ...]  # (position in the statement, default)


_PLANS: dict[tuple[int, str, tuple[str, ...]], _Plan | None] = {}


def insert_many(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` into `table` in one executemany; errors are SQLAlchemy's, as usual."""
    if not rows:
        return
    keys = tuple(rows[0])
    plan = _plan(connection.dialect, table, keys) if _same_keys(rows) else None
    if plan is None:
        connection.execute(insert(table), list(rows))
        return
    connection.exec_driver_sql(plan.sql, [_parameters(plan, row) for row in rows])


def _same_keys(rows: Sequence[dict[str, Any]]) -> bool:
    first = rows[0].keys()
    return all(row.keys() == first for row in rows)


def _parameters(plan: _Plan, row: dict[str, Any]) -> tuple[Any, ...]:
    values = list(plan.values(row))
    for position, process in plan.processors:
        # Applied to None as well, as SQLAlchemy does (a JSON column stores None as 'null').
        values[position] = process(values[position])
    for position, default in plan.defaults:
        # SQLAlchemy wraps a no-argument default to take its execution context; the plan
        # has none to give, and the project's defaults (utcnow, constants) need none.
        values.insert(position, default.arg(None) if default.is_callable else default.arg)
    return tuple(values)


def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan | None:
    cache_key = (id(dialect), table.fullname, keys)
    if cache_key not in _PLANS:
        _PLANS[cache_key] = _make_plan(dialect, table, keys)
    return _PLANS[cache_key]


def _getter(names: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(names) == 1:  # itemgetter of one key returns the value, not a 1-tuple
        name = names[0]
        return lambda row: (row[name],)
    return itemgetter(*names)


def _make_plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan | None:
    if dialect.paramstyle != "qmark" or not set(keys) <= set(table.c.keys()):
        return None
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    order = compiled.positiontup
    if order is None or len(set(order)) != len(order):
        return None
    given = [name for name in order if name in keys]
    defaults = []
    for position, name in enumerate(order):
        if name in keys:
            continue
        default = table.c[name].default
        # Only what a row can compute alone: a SQL expression or sequence needs the statement.
        if not isinstance(default, ColumnDefault) or default.is_clause_element:
            return None
        defaults.append((position, default))
    if not given:
        return None
    processors = []
    for position, name in enumerate(given):
        column_type = table.c[name].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((position, process))
    return _Plan(
        sql=str(compiled),
        values=_getter(given),
        processors=tuple(processors),
        defaults=tuple(defaults),
    )
