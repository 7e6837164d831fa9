"""Query plans on PostgreSQL while a step's first checkpoints are written.

PostgreSQL plans from statistics that ANALYZE took earlier. When the first post-payment
audits are written, the statistics describe a checkpoint table with none, so the planner
takes `step = 'post_payment_audit'` to match almost nothing. Through an index that led with
the step, it looked up each claim's last audit by reading every audit: at 100,000 claims,
one page of step 5's selection took 137 to 300 s (docs/benchmarks.md). Two defences, one
test each: no index leads with the step, so a claim's checkpoints are read through the
claim; and each chunk refreshes the statistics once the step may have outgrown them.
These tests build the state (statistics from before any audit, then audits) and read the
plans the database chooses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.sql import Select

from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.checking import check_chunk
from tasks.db import models as m
from tasks.db.selection import page_query
from tasks.db.session import session_scope
from tasks.db.statistics import GROWTH, refresh_statistics
from tasks.inbox import load_paths, packet_files
from tasks.remit.post import post_file
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.x12gen import write_remittances


@pytest.fixture
def half_audited(postgres_db: Engine, tmp_path: Path) -> tuple[Engine, str]:
    """1,500 claims checked and paid, statistics taken, then half the paid claims audited:
    the state of the database part-way through the first step 5 it runs. Returns the
    engine and the last claim audited, where the next page of step 5 starts."""
    generate(GeneratorConfig(seed=8, claims=1500), tmp_path)
    write_remittances(tmp_path, seed=8, duplicate_files=0)
    load_paths(postgres_db, [tmp_path])
    rule_set = default_rule_set()
    with session_scope(postgres_db) as session:
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
    check_chunk(postgres_db, ids, PRE_SUBMISSION_STEPS, rule_set)
    for path in packet_files([tmp_path], remittances=True):
        post_file(postgres_db, path)
    with postgres_db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    with session_scope(postgres_db) as session:
        paid = sorted(
            set(
                session.scalars(
                    select(m.RemittanceClaim.claim_id).where(
                        m.RemittanceClaim.claim_id.is_not(None)
                    )
                )
            )
        )
    audited = paid[: len(paid) // 2]
    check_chunk(postgres_db, audited, [Step.POST_PAYMENT_AUDIT], rule_set, force=True)
    return postgres_db, audited[-1]


def _plan(engine: Engine, query: Select[Any]) -> dict[str, Any]:
    statement = query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        raw = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}").scalar_one()
    document = raw if isinstance(raw, list) else json.loads(raw)
    plan: dict[str, Any] = document[0]["Plan"]
    return plan


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _checkpoint_index_reads(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        node
        for node in _nodes(plan)
        if node.get("Relation Name") == "claim_checkpoint" and "Index Name" in node
    ]


def _audit_step_in_statistics(engine: Engine) -> bool:
    with engine.connect() as connection:
        values = connection.execute(
            text(
                "SELECT most_common_vals::text FROM pg_stats WHERE schemaname = current_schema()"
                " AND tablename = 'claim_checkpoint' AND attname = 'step'"
            )
        ).scalar_one()
    return Step.POST_PAYMENT_AUDIT.value in values


def test_a_claims_last_audit_is_read_through_the_claim_with_statistics_from_before_any_audit(
    half_audited: tuple[Engine, str],
) -> None:
    """Every index read of checkpoints in a page of step 5's selection is conditioned on the
    claim, so a page costs its own claims however many audits the statistics have not seen."""
    engine, last_audited = half_audited
    assert not _audit_step_in_statistics(engine)  # the state the test is about
    plan = _plan(engine, page_query(size=500, after=last_audited, remitted=True))
    reads = _checkpoint_index_reads(plan)
    assert reads, "the plan reads no checkpoint through an index"
    for node in reads:
        assert "claim_id" in node.get("Index Cond", ""), (node["Index Name"], node.get("Filter"))


def test_the_next_chunk_of_audits_finds_the_statistics_counting_the_audits_before_it(
    half_audited: tuple[Engine, str],
) -> None:
    """Step 5's next chunk refreshes the statistics before it reads: the planner's count of
    audits is then the true one, not the none ANALYZE saw before the first audit."""
    engine, _ = half_audited
    assert "claim_checkpoint" in refresh_statistics(engine, step=Step.POST_PAYMENT_AUDIT.value)
    assert _audit_step_in_statistics(engine)
    audits = select(m.ClaimCheckpoint.id).where(m.ClaimCheckpoint.step == Step.POST_PAYMENT_AUDIT)
    with session_scope(engine) as session:
        truth = len(session.scalars(audits).all())
    estimate = _plan(engine, audits)["Plan Rows"]
    assert truth / GROWTH < estimate < truth * GROWTH
