"""Checking a selection in plain Python: chunks planned in the database, handed to workers as
they free up, every claim checked once per step."""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from sqlalchemy import Engine, select

from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.chunks import windowed
from tasks.db import models as m
from tasks.db.selection import select_claims
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.pipeline import check_selection
from tasks.runtime import Runtime
from tasks.synthetic.generator import GeneratorConfig, generate

STEPS = list(PRE_SUBMISSION_STEPS)


def _loaded(engine: Engine, folder: Path, claims: int) -> list[str]:
    generate(GeneratorConfig(seed=23, claims=claims), folder)
    load_paths(engine, [folder])
    with session_scope(engine) as session:
        return select_claims(session, unchecked_steps=STEPS)


def _checkpoints(engine: Engine) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(select(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step))
        return sorted((cid, step.value) for cid, step in rows)


def test_every_selected_claim_is_checked_once_per_step(sqlite_db: Engine, tmp_path: Path):
    """In this process, chunk by chunk: one checkpoint per claim and step, none left unchecked."""
    ids = _loaded(sqlite_db, tmp_path, 90)
    checked = check_selection(
        Runtime.of_engine(sqlite_db), {"unchecked_steps": STEPS}, STEPS, chunk_size=20
    )
    assert checked == len(ids) > 20
    assert _checkpoints(sqlite_db) == sorted((cid, s.value) for cid in ids for s in STEPS)
    with session_scope(sqlite_db) as session:
        assert select_claims(session, unchecked_steps=STEPS) == []
        chunks = session.scalars(select(m.WorkChunk.state)).all()
    assert len(chunks) == 5 * len(STEPS) and set(chunks) == {"done"}


def test_worker_processes_check_the_same_as_this_process(tmp_path: Path):
    """Two worker processes leasing the planned chunks write what one process writes."""
    from tests.conftest import sqlite_engine

    one, two = sqlite_engine(tmp_path / "one.db"), sqlite_engine(tmp_path / "two.db")
    ids = _loaded(one, tmp_path / "a", 60)
    assert _loaded(two, tmp_path / "b", 60) == ids
    check_selection(Runtime.of_engine(one), {"unchecked_steps": STEPS}, STEPS, chunk_size=10)
    check_selection(
        Runtime.of_engine(two), {"unchecked_steps": STEPS}, STEPS, chunk_size=10, workers=2
    )
    assert _checkpoints(two) == _checkpoints(one)
    with session_scope(two) as session:
        holders = set(session.scalars(select(m.WorkChunk.leased_by)))
    assert len({h.rpartition(":")[2] for h in holders}) == 2  # two processes leased chunks


def test_a_rerun_of_a_checked_selection_checks_nothing_again(sqlite_db: Engine, tmp_path: Path):
    """The same claims unchanged are the same batch: its chunks are done, nothing is written."""
    ids = _loaded(sqlite_db, tmp_path, 30)
    selection = {"claim_ids": ids}
    check_selection(Runtime.of_engine(sqlite_db), selection, STEPS, chunk_size=10)
    before = _checkpoints(sqlite_db)
    check_selection(Runtime.of_engine(sqlite_db), selection, STEPS, chunk_size=10)
    assert _checkpoints(sqlite_db) == before


def test_chunks_are_handed_out_as_workers_free_up_not_all_at_once():
    """At most `window` items are submitted and unfinished at any moment; all are yielded."""
    lock = threading.Lock()
    in_flight = peak = 0

    def work(n: int) -> int:
        time.sleep(0.01 * (n % 3))
        return n

    with ThreadPoolExecutor(8) as pool:

        def submit(n: int) -> Future[int]:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            return pool.submit(work, n)

        def first_done(running: set[Future[int]]) -> Future[int]:
            nonlocal in_flight
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            with lock:
                in_flight -= 1
            return next(iter(done))

        results = [f.result() for f in windowed(range(20), submit, first_done, window=3)]
    assert sorted(results) == list(range(20))
    assert peak == 3
