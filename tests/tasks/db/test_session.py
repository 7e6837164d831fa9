"""The engine factory: a SQLite file's folder is made for it, a SQLite URI is left to SQLite."""

import sqlite3

import pytest
from sqlalchemy import text

from tasks.db.session import make_engine


def test_a_sqlite_file_in_a_missing_folder_gets_its_folder(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'claims.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    assert (tmp_path / "new" / "claims.db").is_file()


def test_a_sqlite_uri_makes_no_folder_named_after_it(tmp_path, monkeypatch):
    # `file:/path?mode=ro` is how a user opens the claim database read-only; the name is a
    # URI for SQLite, not a path, and must not leave a `file:` folder in the working one.
    path = tmp_path / "claims.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")  # as ClaimGuard leaves it
    monkeypatch.chdir(tmp_path)
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with engine.connect() as connection, pytest.raises(Exception, match="readonly"):
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    assert not (tmp_path / "file:").exists()
