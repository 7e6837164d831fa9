"""Engines and sessions. Nothing connects at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import asbool

from tasks.files import private_dir, private_touch


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def make_engine(url: str, *, sqlite_max_pages: int | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout (and, to inject a
    full disk, a cap of `sqlite_max_pages`)."""
    # orjson for the JSON columns: several times faster than the standard library.
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    # Statement parameters hold patient data: keep them out of exception text and logs
    # (Prefect records the exception of a failed task).
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # A URI database (`file:...?mode=ro&uri=true`) is SQLite's to resolve, not a path.
        uri = asbool(parsed.query.get("uri", False))  # as the driver reads it: true, 1, yes
        if parsed.database and parsed.database != ":memory:" and not uri:
            # Made owner-only before SQLite makes it (its -wal and -shm files follow its mode).
            private_touch(private_dir(Path(parsed.database).parent) / Path(parsed.database).name)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", partial(_sqlite_pragmas, max_pages=sqlite_max_pages))
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, max_pages: int | None) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the monitor read while intake writes; NORMAL sync is safe under WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Fault injection (tests, `make chaos`): cap the file at N pages, so SQLite answers
    # "database or disk is full" exactly as it would on a full disk.
    if max_pages:
        cursor.execute(f"PRAGMA max_page_count={int(max_pages)}")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


# A connection pool per database per process, so a worker's tasks reuse connections. Keyed
# by what the caller passes: nothing here reads the settings.
_ENGINES: dict[tuple[str, int | None], Engine] = {}


def pooled_engine(url: str, *, sqlite_max_pages: int | None = None) -> Engine:
    """This process's migrated engine for `url` (created on first use)."""
    key = (url, sqlite_max_pages)
    if key not in _ENGINES:
        _ENGINES[key] = open_database(url, sqlite_max_pages=sqlite_max_pages)
    return _ENGINES[key]


def adopt_engine(engine: Engine, *, sqlite_max_pages: int | None = None) -> str:
    """Make `engine` this process's engine for its URL (which is returned); other processes
    given the URL open their own. For callers that already hold an engine (tests, embedding)."""
    url = engine.url.render_as_string(hide_password=False)
    _ENGINES[(url, sqlite_max_pages)] = engine
    return url


def open_database(url: str, *, sqlite_max_pages: int | None = None, migrate: bool = True) -> Engine:
    """A new engine for the claim database at `url`, migrated to head."""
    from tasks.db.migrate import upgrade

    engine = make_engine(url, sqlite_max_pages=sqlite_max_pages)
    if migrate:
        upgrade(engine)
    return engine
