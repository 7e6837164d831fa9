"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from tasks.db import models  # noqa: F401 - registers the tables
from tasks.db.base import Base
from tasks.db.migrate import (
    MIGRATIONS,
    current_revision,
    upgrade,
)

# The newest revision in the migrations folder (there is one head: no branches).
(HEAD,) = ScriptDirectory(str(MIGRATIONS)).get_heads()


class TestMigrations:
    def test_upgrade_reaches_head_and_creates_every_table(self, db: Engine):
        """After upgrade the database is at the newest revision with every model's table."""
        assert current_revision(db) == HEAD
        assert set(Base.metadata.tables) <= set(inspect(db).get_table_names())

    def test_autogenerate_finds_no_difference(self, db: Engine):
        """The migrations and the models agree: autogenerate would write an empty migration."""
        with db.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []

    def test_upgrade_twice_is_harmless(self, db: Engine):
        """Upgrading a database already at head changes nothing."""
        upgrade(db)
        assert current_revision(db) == HEAD
