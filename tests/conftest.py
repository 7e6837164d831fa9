"""Shared fixtures: real databases (SQLite always, PostgreSQL when CI names one).

No Prefect here: the flow tests start it in tests/flows/ only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tasks.db.migrate import upgrade
from tasks.db.session import make_engine
from tasks.settings import Settings, cache_folder
from tasks.startup import use_cached_code_tables
from tasks.x12.reader import X12Document, read

# As every entry point does (the CLI, a flow's start, a worker): the ICD-10-CM table from the
# cache file, not the library's XML.
use_cached_code_tables(cache_folder(Settings()))

POSTGRES_ENV = "CLAIMGUARD_TEST_POSTGRES_URL"
POSTGRES_SKIP = (
    f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); "
    ".ci/run sets it"
)


def sqlite_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Engine:
    """A migrated SQLite claim database in a temporary file."""
    return sqlite_engine(tmp_path / "claims.db")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a fresh schema, dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(POSTGRES_SKIP)
    schema = f"cg_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL claim database in its own schema."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Engine:
    """The claim database, once on SQLite and once on PostgreSQL."""
    name = "sqlite_db" if request.param == "sqlite" else "postgres_db"
    engine: Engine = request.getfixturevalue(name)
    return engine


class RememberedDocuments:
    """A document source that validates each distinct file once per test session.

    pyx12's validation is most of an X12 file's cost; tests that load the same generated
    files into fresh databases share one reading of each (keyed by the bytes' SHA-256).
    """

    def __init__(self) -> None:
        self.read: dict[str, X12Document] = {}

    def document(self, path: Path, data: bytes, digest: str) -> X12Document:
        if digest not in self.read:
            self.read[digest] = read(data)
        return self.read[digest]


@pytest.fixture(scope="session")
def x12_documents() -> RememberedDocuments:
    """Validated X12 documents, shared by every test of the session."""
    return RememberedDocuments()
