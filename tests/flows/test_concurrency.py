"""Two workers over the same backlog on PostgreSQL: every claim step checked exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.checking import ChunkContexts
from tasks.chunks import process_chunk
from tasks.db import models as m
from tasks.db import work
from tasks.db.selection import select_claims
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.synthetic.generator import GeneratorConfig, generate
from tests.support.runtime import env_runtime


def test_two_workers_share_a_batch_without_overlap(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Workers leasing from one batch with SKIP LOCKED never check the same chunk; nothing is skipped."""
    monkeypatch.setenv("CLAIMGUARD_DATABASE_URL", postgres_url)
    generate(GeneratorConfig(seed=5, claims=1200), tmp_path)
    engine = env_runtime().engine()
    load_paths(engine, [tmp_path])
    with session_scope(engine) as session:
        ids = select_claims(session, unchecked_steps=PRE_SUBMISSION_STEPS)
        key = work.batch_key(ids, PRE_SUBMISSION_STEPS, env_runtime().rule_set().version)
        chunks = work.plan(session, key, work.chunked(ids, 100), PRE_SUBMISSION_STEPS).chunks
    rule_set = env_runtime().rule_set()
    taken: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()

    def worker(name: str) -> None:
        for chunk_no in range(chunks):
            contexts = ChunkContexts()
            for step in PRE_SUBMISSION_STEPS:
                result = process_chunk(
                    engine,
                    key,
                    step,
                    chunk_no,
                    rule_set=rule_set,
                    force=False,
                    flow_run_id=name,
                    worker=name,
                    contexts=contexts,
                )
                if result.leased:
                    with lock:
                        taken[(step.value, chunk_no)] += 1

    threads = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_scope(engine) as session:
        per_claim_step = session.execute(
            select(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step, func.count()).group_by(
                m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step
            )
        ).all()
        states = set(session.scalars(select(m.WorkChunk.state).where(m.WorkChunk.batch_key == key)))
    assert len(per_claim_step) == len(ids) * 4 and {n for *_, n in per_claim_step} == {1}
    assert set(taken.values()) == {1} and len(taken) == chunks * 4
    assert states == {"done"}
