"""Work-chunk leases: a live worker's chunk is its own; a dead local worker's is free at once."""

from __future__ import annotations

import socket

from sqlalchemy import Engine

from rules.outcomes import Step
from tasks.db import work
from tasks.db.session import session_scope
from tests.support.processes import dead_pid

HOST = socket.gethostname()


def _leased_to(engine: Engine, holder: str) -> None:
    with session_scope(engine) as session:
        work.plan(session, "batch", [["CL-1", "CL-2"]], [Step.VERIFICATION])
        assert work.lease(session, "batch", Step.VERIFICATION, 0, holder, 900) == ["CL-1", "CL-2"]


def test_a_chunk_held_by_a_live_worker_is_not_taken(sqlite_db):
    _leased_to(sqlite_db, f"{HOST}:1")  # pid 1 is alive
    with session_scope(sqlite_db) as session:
        assert work.lease(session, "batch", Step.VERIFICATION, 0, f"{HOST}:2", 900) is None


def test_a_chunk_held_by_a_dead_worker_on_this_host_is_taken_at_once(sqlite_db):
    _leased_to(sqlite_db, f"{HOST}:{dead_pid()}")
    with session_scope(sqlite_db) as session:
        assert work.lease(session, "batch", Step.VERIFICATION, 0, f"{HOST}:2", 900) == [
            "CL-1",
            "CL-2",
        ]


def test_another_hosts_worker_keeps_its_lease_until_it_runs_out(sqlite_db):
    _leased_to(sqlite_db, f"elsewhere:{dead_pid()}")
    with session_scope(sqlite_db) as session:
        assert work.lease(session, "batch", Step.VERIFICATION, 0, f"{HOST}:2", 900) is None


def test_a_finished_chunk_tells_its_own_worker_what_it_wrote(sqlite_db):
    """A retried task finds its step done: the chunk returns what the first attempt wrote, to that worker only."""
    me = f"{HOST}:1"
    _leased_to(sqlite_db, me)
    outcome = {"statuses": {"passed": 1, "held": 1}, "skipped_done": 0}
    with session_scope(sqlite_db) as session:
        work.close(session, "batch", Step.VERIFICATION, 0, outcome=outcome)
    with session_scope(sqlite_db) as session:
        assert work.lease(session, "batch", Step.VERIFICATION, 0, me, 900) is None
        assert work.finished_by(session, "batch", Step.VERIFICATION, 0, me) == outcome
        assert work.finished_by(session, "batch", Step.VERIFICATION, 0, f"{HOST}:2") is None


def test_a_large_batch_is_planned_in_several_statements_with_every_chunk(sqlite_db):
    """Chunks are written a few at a time; every claim lands in one chunk per step, in order."""
    ids = [f"CL-{n:04d}" for n in range(1, 251)]
    steps = [Step.VERIFICATION, Step.CODE_CONFIRMATION, Step.DOCUMENTATION, Step.CODING_EDITS]
    assert len(ids) // 10 * len(steps) > work.PLAN_ROWS_PER_INSERT
    with session_scope(sqlite_db) as session:
        assert work.plan(session, "big", work.chunked(ids, 10), steps) == (250, 25)
        assert work.plan(session, "big", work.chunked(ids, 10), steps) == (
            250,
            25,
        )  # again: nothing new
    with session_scope(sqlite_db) as session:
        for step in steps:
            leased = [work.lease(session, "big", step, n, f"{HOST}:1", 900) for n in range(25)]
            assert [cid for chunk in leased for cid in chunk or []] == ids
        assert work.lease(session, "big", Step.VERIFICATION, 25, f"{HOST}:1", 900) is None
