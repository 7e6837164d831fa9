"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

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


def test_processes_starting_together_on_a_new_database_both_find_it_made(tmp_path: Path):
    """Two runs started at once on a new SQLite database take turns migrating it: neither
    fails on a table the other is making."""
    import subprocess
    import sys

    script = (
        "import sys; from tasks.db.session import open_database; "
        "open_database(sys.argv[1]).dispose()"
    )
    for attempt in range(3):
        url = f"sqlite:///{tmp_path / f'new-{attempt}.db'}"
        runs = [
            subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE)
            for _ in range(3)
        ]
        errors = [run.communicate(timeout=120)[1].decode()[-300:] for run in runs]
        assert [run.returncode for run in runs] == [0, 0, 0], errors
