"""Many rows at once: `insert_many` stores exactly what SQLAlchemy's executemany stores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    insert,
    text,
)
from sqlalchemy.exc import IntegrityError, StatementError

from rules.outcomes import CheckpointStatus
from tasks.db import bulk
from tasks.db.base import UtcDateTime, enum_column, utcnow
from tasks.db.session import make_engine
from tasks.inbox import load_paths
from tasks.intake import loader
from tasks.intake.rows import INSERT_ORDER
from tasks.synthetic.generator import GeneratorConfig, generate
from tests.conftest import sqlite_engine

METADATA = MetaData()
SAMPLE = Table(
    "sample",
    METADATA,
    Column("id", String(16), primary_key=True),
    Column("day", Date),
    Column("amount", Numeric(10, 2)),
    Column("payload", JSON),
    Column("status", enum_column(CheckpointStatus)),
    Column("flag", Boolean),
    Column("note", String(64)),
    Column("attempt", Integer, default=1),
    Column("created_at", UtcDateTime(), default=utcnow),
)


def _row(key: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": key,
        "day": dt.date(2026, 11, 2),
        "amount": Decimal("125.50"),
        "payload": {"codes": ["90853", "90785"], "units": 1},
        "status": CheckpointStatus.PASSED,
        "flag": True,
        "note": "O'Brien; DROP TABLE sample; --",
    }
    return {**row, **changes}


ROWS = [
    _row("a"),
    _row("b", day=None, amount=None, payload=None, flag=False, note=None),
    _row("c", payload=[1, "two", None], status=CheckpointStatus.HELD),
]


def _sample_db(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    METADATA.create_all(engine)
    return engine


def _stored(connection: Connection, table: str) -> list[tuple[Any, ...]]:
    """Rows as SQLite holds them (text, numbers, NULL), not as SQLAlchemy reads them back."""
    return [tuple(r) for r in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1")]


class TestStoredValues:
    def test_each_column_type_is_stored_as_sqlalchemy_stores_it(self, tmp_path: Path):
        """Dates, decimals, JSON (None as JSON null), enums by value, booleans, defaults."""
        ours, theirs = _sample_db(tmp_path / "ours.db"), _sample_db(tmp_path / "theirs.db")
        with ours.begin() as connection:
            bulk.insert_many(connection, SAMPLE, ROWS)
            stored = _stored(connection, "sample")
        with theirs.begin() as connection:
            connection.execute(insert(SAMPLE), ROWS)
            expected = _stored(connection, "sample")
        # The default timestamp differs by the moment it was taken; everything else is equal.
        assert [row[:-1] for row in stored] == [row[:-1] for row in expected]
        assert stored[1][3] == expected[1][3] == "null"
        assert all(row[-1] is not None for row in stored)

    def test_a_callable_default_is_taken_for_each_row(self, tmp_path: Path):
        engine = _sample_db(tmp_path / "s.db")
        before = dt.datetime.now(dt.UTC)
        with engine.begin() as connection:
            bulk.insert_many(connection, SAMPLE, ROWS)
            rows = connection.execute(SAMPLE.select().order_by(SAMPLE.c.id)).all()
        assert [r.attempt for r in rows] == [1, 1, 1]
        assert all(r.created_at >= before for r in rows)

    def test_rows_with_different_keys_are_refused_not_padded(self, tmp_path: Path):
        """As SQLAlchemy's executemany refuses them: no row is stored with a value dropped."""
        engine = _sample_db(tmp_path / "s.db")
        partial = {"id": "d", "note": "only a note"}
        refused = pytest.raises(StatementError, match="value is required")
        with refused, engine.begin() as connection:
            bulk.insert_many(connection, SAMPLE, [*ROWS, partial])
        with engine.connect() as connection:
            assert _stored(connection, "sample") == []

    def test_a_value_of_the_wrong_kind_fails_before_anything_is_written(self, tmp_path: Path):
        engine = _sample_db(tmp_path / "s.db")
        with pytest.raises(TypeError, match="date") as raised, engine.begin() as connection:
            bulk.insert_many(connection, SAMPLE, [*ROWS, _row("x", day="1961-07-04")])
        assert "1961" not in str(raised.value)
        with engine.connect() as connection:
            assert _stored(connection, "sample") == []

    def test_a_constraint_violation_is_an_integrity_error_without_the_values(self, tmp_path: Path):
        """The loader replays a batch record by record on IntegrityError; the message
        names no stored value (statement parameters hold patient data)."""
        engine = _sample_db(tmp_path / "s.db")
        with engine.begin() as connection:
            bulk.insert_many(connection, SAMPLE, ROWS)
        with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
            bulk.insert_many(connection, SAMPLE, [_row("a", note="secret-note-text")])
        assert "secret-note-text" not in str(raised.value)
        with engine.connect() as connection:
            assert len(_stored(connection, "sample")) == len(ROWS)

    def test_nothing_to_insert_is_not_an_error(self, tmp_path: Path):
        engine = _sample_db(tmp_path / "s.db")
        with engine.begin() as connection:
            bulk.insert_many(connection, SAMPLE, [])
            assert _stored(connection, "sample") == []


def _ordinary(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    connection.execute(insert(table), rows)


# Columns that hold the moment a row was written: equal in kind, not in value.
MOMENTS = {"received_at", "started_at", "finished_at", "quarantined_at"}


def _comparable(connection: Connection, table: Table) -> list[tuple[Any, ...]]:
    names = [c.name for c in table.c if c.name not in MOMENTS]
    order = ", ".join(c.name for c in table.primary_key.columns)
    query = f"SELECT {', '.join(names)} FROM {table.name} ORDER BY {order}"
    return [tuple(r) for r in connection.exec_driver_sql(query)]


def test_a_generated_day_loads_into_the_same_stored_rows_as_through_sqlalchemy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Every table the loader fills, row for row, against the ordinary executemany."""
    inbox = tmp_path / "inbox"
    generate(GeneratorConfig(seed=3, claims=300), inbox)
    ours = sqlite_engine(tmp_path / "ours.db")
    load_paths(ours, [inbox])
    monkeypatch.setattr(loader, "insert_many", _ordinary)
    theirs = sqlite_engine(tmp_path / "theirs.db")
    load_paths(theirs, [inbox])
    with ours.connect() as mine, theirs.connect() as reference:
        for table in INSERT_ORDER:
            stored = _comparable(mine, table)
            assert stored == _comparable(reference, table), table.name
            if table.name in ("claim", "claim_line", "session_note", "provider_enrollment"):
                assert stored, f"the generated day has no {table.name} rows to compare"
        assert mine.execute(text("SELECT count(*) FROM claim")).scalar_one() == 300
