"""The held-claims table: the held findings of each claim's newest checkpoint in the batch, on both databases."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from flows.artifacts import held_claims
from rules.engine import StepResult
from rules.outcomes import PRE_SUBMISSION_STEPS, CheckpointStatus, Severity
from tasks.checking import check_chunk
from tasks.db import models as m
from tasks.db import work
from tasks.db.checkpoints import append_checkpoints
from tasks.db.selection import select_claims
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.synthetic.defects import Defect
from tasks.synthetic.generator import GeneratorConfig, generate
from tests.support.runtime import env_runtime


def _expected(engine: Engine, claim_ids: set[str]) -> list[tuple[str, str, str]]:
    """Held findings of the newest checkpoint per claim and step, read the slow, obvious way."""
    newest: dict[tuple[str, str], m.ClaimCheckpoint] = {}
    with session_scope(engine) as session:
        for cp in session.scalars(select(m.ClaimCheckpoint).order_by(m.ClaimCheckpoint.id)):
            newest[(cp.claim_id, cp.step.value)] = cp
        return sorted(
            (claim_id, step, f.rule_id)
            for (claim_id, step), cp in newest.items()
            if claim_id in claim_ids and cp.status is CheckpointStatus.HELD
            for f in cp.findings
            if f.severity is Severity.HELD
        )


def test_held_claims_are_those_held_now(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Every held finding of the batch's current checkpoints, and none a newer checkpoint replaced."""
    monkeypatch.setenv("CLAIMGUARD_DATABASE_URL", db.url.render_as_string(hide_password=False))
    generate(GeneratorConfig(seed=8, claims=300, rates=dict.fromkeys(Defect, 0.05)), tmp_path)
    load_paths(db, [tmp_path])
    steps = list(PRE_SUBMISSION_STEPS)
    rule_set = env_runtime().rule_set()
    with session_scope(db) as session:
        ids = select_claims(session, unchecked_steps=steps)
        key = work.batch_key(ids, steps, rule_set.version)
        work.plan(session, key, work.chunked(ids, 100), steps)
    for start in range(0, len(ids), 100):
        check_chunk(db, ids[start : start + 100], steps, rule_set)
    before = _expected(db, set(ids))
    assert before and {row[1] for row in before} >= {"verification", "documentation"}
    # A held claim is checked again and passes: it leaves the table.
    cleared_claim, cleared_step = before[0][0], before[0][1]
    step = next(s for s in steps if s.value == cleared_step)
    passed = StepResult(cleared_claim, step, CheckpointStatus.PASSED, (), rule_set.version)
    with session_scope(db) as session:
        append_checkpoints(
            session,
            [passed],
            attempts={cleared_claim: 2},
            flow_run_id=None,
            started_at=dt.datetime.now(dt.UTC),
        )
    after = _expected(db, set(ids))
    held = held_claims(env_runtime().engine(), key, steps, limit=None)
    assert [(r["claim_id"], r["step"], r["rule"]) for r in held.rows] == after
    assert (cleared_claim, cleared_step) not in {(r["claim_id"], r["step"]) for r in held.rows}
    assert len(after) < len(before)
    # The artifact lists the first rows only, but counts every held finding by rule.
    first = held_claims(env_runtime().engine(), key, steps, limit=5)
    assert first.rows == held.rows[:5]
    assert first.by_rule == Counter(rule for _, _, rule in after) == held.by_rule
