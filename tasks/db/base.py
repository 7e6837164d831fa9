"""One declarative base: stable constraint names, enums stored by value, aware datetimes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, Dialect, Enum, FromClause, MetaData, Numeric, String
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
