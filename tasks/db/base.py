"""One declarative base: stable constraint names, enums stored by value, aware datetimes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Enum,
    FromClause,
    Integer,
    MetaData,
    Numeric,
    String,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.
JsonType = JSON().with_variant(JSONB(), "postgresql")


def enum_column(enum: type[StrEnum]) -> Enum:
    """Store a StrEnum by its value in a VARCHAR, so the database reads like the rule files."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
    )


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp on every backend (SQLite hands back naive values; they are UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads it as a class attr
        dt.datetime: UtcDateTime(),
        Decimal: Numeric(10, 2),
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
    }


record_id = Annotated[str, mapped_column(String(64))]
npi = Annotated[str, mapped_column(String(10))]
money = Annotated[Decimal, mapped_column(Numeric(10, 2))]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fit(table: FromClause, row: dict[str, Any]) -> dict[str, Any]:
    """`row` with each text value cut to what its column holds (lengths read from `table`)."""
    lengths = _lengths(table)
    return {
        key: value[: lengths[key]] if isinstance(value, str) and key in lengths else value
        for key, value in row.items()
    }


@cache
def _lengths(table: FromClause) -> dict[str, int]:
    return {
        column.key: column.type.length
        for column in table.columns
        if isinstance(column.type, String) and column.type.length
    }


# What a column can hold, read from its type: the same limits on SQLite (which would store
# anything) as on PostgreSQL (which refuses the statement, and with it the whole batch).
_INT_LIMITS: dict[type[Any], int] = {Integer: 2**31, BigInteger: 2**63}


@dataclass(frozen=True, slots=True)
class Unfit:
    """A value a column cannot hold: which column, what it holds, what was there (its shape,
    never the value: it may be a patient's)."""

    column: str
    expected: str
    found: str


def unfit(table: FromClause, row: dict[str, Any]) -> list[Unfit]:
    """The values of `row` that `table`'s columns cannot hold; empty when all fit."""
    out = []
    for column, check in _checks(table):
        value = row.get(column)
        if value is not None:
            problem = check(value)
            if problem is not None:
                out.append(Unfit(column, *problem))
    return out


_Check = Callable[[Any], tuple[str, str] | None]


@cache
def _checks(table: FromClause) -> tuple[tuple[str, _Check], ...]:
    checks: list[tuple[str, _Check]] = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, String) and not isinstance(kind, Enum):
            checks.append((column.key, _text_check(kind.length)))
        elif isinstance(kind, Numeric) and kind.precision is not None:
            checks.append((column.key, _number_check(kind.precision, kind.scale or 0)))
        elif type(kind) in _INT_LIMITS:
            checks.append((column.key, _whole_check(_INT_LIMITS[type(kind)])))
        elif isinstance(kind, JSON | TypeDecorator) and _is_json(kind):
            checks.append((column.key, _json_check))
    return tuple(checks)


def _is_json(kind: Any) -> bool:
    return isinstance(kind, JSON) or isinstance(getattr(kind, "impl", None), JSON)


def _text_check(length: int | None) -> _Check:
    def check(value: Any) -> tuple[str, str] | None:
        if not isinstance(value, str):
            return None
        if "\x00" in value:
            return "text without NUL characters", "a NUL character (\\u0000)"
        if length is not None and len(value) > length:
            return f"at most {length} characters", f"{len(value)} characters"
        return None

    return check


def _number_check(precision: int, scale: int) -> _Check:
    limit = Decimal(10) ** (precision - scale)

    def check(value: Any) -> tuple[str, str] | None:
        if not isinstance(value, int | Decimal):
            return None
        size = abs(Decimal(value))
        if size >= limit:
            return f"less than {limit:,}", f"a number of {len(str(int(size)))} digits"
        return None

    return check


def _whole_check(limit: int) -> _Check:
    def check(value: Any) -> tuple[str, str] | None:
        if isinstance(value, int) and not -limit <= value < limit:
            return f"a whole number under {limit:,}", f"a number of {len(str(abs(value)))} digits"
        return None

    return check


def _json_check(value: Any) -> tuple[str, str] | None:
    # PostgreSQL's JSONB holds no NUL character; nested text is looked at too.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return "text without NUL characters", "a NUL character (\\u0000)"
        if isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(k for k in item if isinstance(k, str))
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None
