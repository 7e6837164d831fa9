"""Running steps 1-4 over claims in the database: same judgement as in memory, written once."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from rules.context import ContextIndex
from rules.engine import evaluate
from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.checking import check_chunk, claims_of_files
from tasks.db import models as m
from tasks.db.checkpoints import append_checkpoints, step_summary
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.intake.reader import iter_raw, parse
from tasks.synthetic.defects import Defect
from tasks.synthetic.generator import GeneratorConfig, generate

RULES = default_rule_set()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(GeneratorConfig(seed=21, claims=600, days=14, rates=dict.fromkeys(Defect, 0.05)), out)
    return out


@pytest.fixture
def loaded(db: Engine, generated: Path) -> Engine:
    load_paths(db, [generated])
    return db


def in_memory_results(generated: Path) -> dict[tuple[str, Step], list[tuple]]:
    index = ContextIndex()
    for path in sorted(generated.glob("*.jsonl")):
        index.add(p.record for p in map(parse, iter_raw(path)) if p.record is not None)
    return {
        (ctx.claim.claim_id, step): _key(evaluate(RULES, ctx, step).findings)
        for ctx in index.contexts()
        for step in PRE_SUBMISSION_STEPS
    }


def _key(findings) -> list[tuple]:
    return [(f.rule_id, f.severity.value, f.line_number, f.message) for f in findings]


def checkpoints(engine: Engine) -> list[m.ClaimCheckpoint]:
    with session_scope(engine) as session:
        return list(session.scalars(select(m.ClaimCheckpoint).order_by(m.ClaimCheckpoint.id)))


class TestCheckChunk:
    def test_database_contexts_judge_as_in_memory_ones(self, loaded: Engine, generated: Path):
        """Every claim gets the same findings from the database as from the packet records."""
        ids = claims_of_files(loaded)
        check_chunk(loaded, ids, PRE_SUBMISSION_STEPS, RULES)
        from_db = {(c.claim_id, c.step): _key(c.findings) for c in checkpoints(loaded)}
        assert from_db == in_memory_results(generated)

    def test_rerun_skips_what_is_done(self, loaded: Engine):
        """A second run under the same rule set writes nothing."""
        ids = claims_of_files(loaded)
        first = check_chunk(loaded, ids, [Step.VERIFICATION], RULES)
        second = check_chunk(loaded, ids, [Step.VERIFICATION], RULES)
        assert (first[0].written, second[0].written, second[0].skipped_done) == (
            len(ids),
            0,
            len(ids),
        )

    def test_force_appends_a_second_attempt(self, loaded: Engine):
        """Forced, every claim gets attempt 2 next to attempt 1; nothing is overwritten."""
        ids = claims_of_files(loaded)[:50]
        check_chunk(loaded, ids, [Step.CODING_EDITS], RULES)
        check_chunk(loaded, ids, [Step.CODING_EDITS], RULES, force=True)
        with session_scope(loaded) as session:
            attempts = session.execute(
                select(m.ClaimCheckpoint.attempt, func.count()).group_by(m.ClaimCheckpoint.attempt)
            ).all()
        assert sorted(attempts) == [(1, 50), (2, 50)]

    def test_writing_the_same_outcome_twice_is_refused(self, loaded: Engine):
        """The unique key, not the caller's care, stops a duplicate checkpoint."""
        ids = claims_of_files(loaded)[:5]
        check_chunk(loaded, ids, [Step.DOCUMENTATION], RULES)
        with session_scope(loaded) as session:
            from tasks.db.contexts import ContextLoader

            results = [
                evaluate(RULES, ctx, Step.DOCUMENTATION) for ctx in ContextLoader(session).load(ids)
            ]
        import datetime as dt

        with pytest.raises(IntegrityError), session_scope(loaded) as session:
            append_checkpoints(
                session, results, attempts={}, flow_run_id=None, started_at=dt.datetime.now(dt.UTC)
            )

    def test_checking_runs_no_collector_pass_and_leaves_the_collector_on(self, loaded: Engine):
        """A chunk's contexts live through its steps: the cyclic collector, which would walk them
        all to free nothing, stays out of the steps' way and comes back once they are done."""
        ids = claims_of_files(loaded)
        passes: list[str] = []

        def count(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                passes.append(phase)

        gc.callbacks.append(count)
        try:
            counts = check_chunk(loaded, ids, PRE_SUBMISSION_STEPS, RULES)
        finally:
            gc.callbacks.remove(count)
        assert [c.written for c in counts] == [len(ids)] * len(PRE_SUBMISSION_STEPS)
        # One pass in all: the first allocation after the pause, which frees the cycles the
        # steps left behind. Without the pause, a 600-claim chunk sets off dozens.
        assert passes == ["start"]
        assert gc.isenabled()

    def test_summary_counts_every_claim_once(self, loaded: Engine):
        """The step summary counts each claim's newest checkpoint: totals equal the claims."""
        ids = claims_of_files(loaded)
        check_chunk(loaded, ids, [Step.DOCUMENTATION], RULES)
        check_chunk(loaded, ids[:10], [Step.DOCUMENTATION], RULES, force=True)
        with session_scope(loaded) as session:
            summary = step_summary(session, Step.DOCUMENTATION)
        assert sum(summary.statuses.values()) == len(ids)
        assert summary.statuses["held"] > 0 and summary.held_by_rule
