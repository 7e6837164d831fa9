"""Which claim database this is: its instance id (made with it), schema revision and, for
SQLite, the file it lives in. A run notes it before it moves any input and checks it again
before each move, so a database deleted, replaced or rolled back mid-run fails the run
while its inputs are still in the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlalchemy.util import asbool

from tasks.db import models as m


class DatabaseChanged(RuntimeError):
    """The claim database is gone, or is not the one the run began with."""


@dataclass(frozen=True)
class DatabaseIdentity:
    instance_id: str
    revision: str | None
    file_inode: int | None  # SQLite: the database file's inode; None on a server


def identify(engine: Engine) -> DatabaseIdentity:
    """The database's identity now; DatabaseChanged when there is none to be had."""
    inode = None
    url = engine.url
    uri = asbool(url.query.get("uri", False))  # a URI is SQLite's to resolve, not a path
    if (
        url.get_backend_name() == "sqlite"
        and url.database not in (None, "", ":memory:")
        and not uri
    ):
        path = Path(engine.url.database or "")
        try:
            inode = path.stat().st_ino
        except OSError:
            raise DatabaseChanged(f"the claim database file {path.name} is gone") from None
    # A connection of its own: a pooled one may still hold a deleted SQLite file open.
    fresh = create_engine(url, poolclass=NullPool)
    try:
        with fresh.connect() as connection:
            ids = connection.execute(select(m.DatabaseInstance.instance_id)).scalars().all()
            revision = MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as error:
        if "no such table" in str(error.orig) or "does not exist" in str(error.orig):
            raise DatabaseChanged(
                "the claim database has no identity: it is not ClaimGuard's, or was emptied"
            ) from None
        raise
    finally:
        fresh.dispose()
    if len(ids) != 1:
        raise DatabaseChanged("the claim database has no single identity (database_instance)")
    return DatabaseIdentity(ids[0], revision, inode)


def verify(engine: Engine, expected: DatabaseIdentity) -> None:
    """DatabaseChanged unless the database is still `expected`."""
    now = identify(engine)
    if now.file_inode != expected.file_inode:
        raise DatabaseChanged("the claim database file was replaced during the run")
    if now.instance_id != expected.instance_id:
        raise DatabaseChanged("the claim database is not the one the run began with")
    if now.revision != expected.revision:
        raise DatabaseChanged(
            f"the claim database's schema changed during the run ({expected.revision} to {now.revision})"
        )
