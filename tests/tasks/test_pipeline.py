"""Checking a selection in plain Python: read a page at a time, handed to workers as they free up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, func, select

from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.db import models as m
from tasks.db.selection import select_claims
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.pipeline import check_chunks, selected_pages
from tasks.synthetic.generator import GeneratorConfig, generate

STEPS = list(PRE_SUBMISSION_STEPS)


def _loaded(engine: Engine, folder: Path, claims: int) -> list[str]:
    generate(GeneratorConfig(seed=23, claims=claims), folder)
    load_paths(engine, [folder])
    with session_scope(engine) as session:
        return select_claims(session, unchecked_steps=STEPS)


def _claims_done(engine: Engine) -> int:
    """Claims whose last step is written: their chunk is finished."""
    with session_scope(engine) as session:
        query = select(func.count()).where(m.ClaimCheckpoint.step == Step.CODING_EDITS)
        return int(session.scalar(query) or 0)


def test_every_selected_claim_is_checked_once_per_step(sqlite_db: Engine, tmp_path: Path):
    ids = _loaded(sqlite_db, tmp_path, 90)
    checked = check_chunks(
        sqlite_db, selected_pages(sqlite_db, size=20, unchecked_steps=STEPS), STEPS
    )
    assert checked == len(ids) > 20
    with session_scope(sqlite_db) as session:
        rows = session.execute(select(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step)).all()
        assert sorted(rows) == sorted((cid, step) for cid in ids for step in STEPS)
        assert select_claims(session, unchecked_steps=STEPS) == []


def test_workers_are_handed_chunks_as_they_free_up_not_all_at_once(
    sqlite_db: Engine, tmp_path: Path
):
    """Two workers hold at most four chunks between them: the fifth chunk is read only once
    one is finished, so a million-claim selection is never read whole."""
    ids = _loaded(sqlite_db, tmp_path, 120)
    size, workers = 10, 2
    done_when_taken: list[int] = []

    def chunks() -> Iterator[list[str]]:
        for page in selected_pages(sqlite_db, size=size, unchecked_steps=STEPS):
            done_when_taken.append(_claims_done(sqlite_db))
            yield page

    assert check_chunks(sqlite_db, chunks(), STEPS, workers=workers) == len(ids)
    assert len(done_when_taken) == -(-len(ids) // size)
    for taken, done in enumerate(done_when_taken):
        # Chunk number `taken` waits for all but 2 x workers of the chunks before it.
        assert done >= (taken - 2 * workers) * size
    assert _claims_done(sqlite_db) == len(ids)
