"""Prefect for the flow tests only: one test harness (a temporary Prefect server) per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def files_read_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests write their inboxes just before a run: no quiet interval to wait out
    (tests/tasks/test_arrivals.py tests the interval itself)."""
    monkeypatch.setenv("CLAIMGUARD_INBOX_QUIET_SECONDS", "0")


@pytest.fixture
def claim_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite claim database that the flows' tasks use (through CLAIMGUARD_DATABASE_URL)."""
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    monkeypatch.setenv("CLAIMGUARD_DATABASE_URL", url)
    from tests.support import faults

    faults.clear()
    yield url
    faults.clear()
