"""A claim database is found without being made: a mistyped URL stays a mistake."""

from __future__ import annotations

from pathlib import Path

from tasks.db.migrate import upgrade
from tasks.db.presence import absent
from tasks.db.session import make_engine


def test_a_sqlite_file_that_is_not_there_is_absent_and_not_made(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'typo' / 'claims.db'}"
    assert absent(url) == f"no ClaimGuard database at {url}"
    assert not (tmp_path / "typo").exists()


def test_a_made_sqlite_database_is_there(sqlite_db):
    assert absent(sqlite_db.url.render_as_string(hide_password=False)) is None


def test_a_postgresql_database_without_claimguard_tables_is_absent(postgres_url: str):
    said = absent(postgres_url)
    assert said is not None and said.endswith("(it has no ClaimGuard tables)")
    engine = make_engine(postgres_url)
    upgrade(engine)
    engine.dispose()
    assert absent(postgres_url) is None
