"""Checkpoint history: append outcomes, find what is still to do, and summarise a step.

Rows are only ever inserted. Whether a claim still needs a step is a question about rows
(one under the current rule-set version exists or not); the unique key on (claim, step,
version, attempt) makes a second writer of the same outcome fail instead of duplicating it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from rules.engine import StepResult
from rules.outcomes import CheckpointStatus, Severity, Step
from tasks.db import models as m
from tasks.db.base import Base

CHECKPOINT = Base.metadata.tables["claim_checkpoint"]
FINDING_INDEX = Base.metadata.tables["checkpoint_finding"]

IN_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def done_claims(session: Session, claim_ids: Sequence[str], step: Step, version: str) -> set[str]:
    """Claims whose newest checkpoint for `step` under rule-set `version` is a result, not an error.

    An `error` checkpoint records that checking failed; the claim is still to be checked.
    A checkpoint that started before the claim's current content arrived is stale.
    """
    latest: dict[str, tuple[int, CheckpointStatus]] = {}
    for chunk in _chunks(claim_ids):
        query = (
            select(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.attempt, m.ClaimCheckpoint.status)
            .join(m.Claim, m.Claim.claim_id == m.ClaimCheckpoint.claim_id)
            .where(
                m.ClaimCheckpoint.claim_id.in_(chunk),
                m.ClaimCheckpoint.step == step,
                m.ClaimCheckpoint.rule_set_version == version,
                # A check of an earlier version of the claim does not count.
                m.ClaimCheckpoint.started_at >= m.Claim.received_at,
            )
        )
        for claim_id, attempt, status in session.execute(query):
            if claim_id not in latest or attempt > latest[claim_id][0]:
                latest[claim_id] = (attempt, status)
    return {cid for cid, (_, status) in latest.items() if status is not CheckpointStatus.ERROR}


def next_attempts(
    session: Session, claim_ids: Sequence[str], step: Step, version: str
) -> dict[str, int]:
    """The attempt number each claim's next checkpoint for `step` and `version` takes (1 if none yet)."""
    attempts = dict.fromkeys(claim_ids, 1)
    for chunk in _chunks(claim_ids):
        query = (
            select(m.ClaimCheckpoint.claim_id, func.max(m.ClaimCheckpoint.attempt))
            .where(
                m.ClaimCheckpoint.claim_id.in_(chunk),
                m.ClaimCheckpoint.step == step,
                m.ClaimCheckpoint.rule_set_version == version,
            )
            .group_by(m.ClaimCheckpoint.claim_id)
        )
        for claim_id, attempt in session.execute(query):
            attempts[claim_id] = attempt + 1
    return attempts


def append_checkpoints(
    session: Session,
    results: Sequence[StepResult],
    *,
    attempts: dict[str, int],
    flow_run_id: str | None,
    started_at: dt.datetime,
) -> int:
    """Insert one checkpoint (and its finding index rows) per result; return how many."""
    if not results:
        return 0
    if len({res.claim_id for res in results}) != len(results):
        raise ValueError("append_checkpoints takes one result per claim")
    finished = dt.datetime.now(dt.UTC)
    rows = [
        {
            "claim_id": res.claim_id,
            "step": res.step,
            "status": res.status,
            "findings": list(res.findings),
            "rule_set_version": res.rule_set_version,
            "flow_run_id": flow_run_id,
            "attempt": attempts.get(res.claim_id, 1),
            "started_at": started_at,
            "finished_at": finished,
        }
        for res in results
    ]
    # Core inserts: the ORM's bulk path inspects every row. RETURNING in parameter order
    # makes SQLite insert one row per statement; unordered RETURNING batches, and the claim
    # id (one result per claim here) says which row is whose.
    table = CHECKPOINT.c
    returned = session.execute(insert(CHECKPOINT).returning(table.claim_id, table.id), rows)
    ids = {claim_id: cid for claim_id, cid in returned}
    index = [
        {
            "checkpoint_id": ids[res.claim_id],
            "position": i,
            "rule_id": f.rule_id,
            "severity": f.severity.value,
            "line_number": f.line_number,
        }
        for res in results
        for i, f in enumerate(res.findings, start=1)
    ]
    if index:
        session.execute(insert(FINDING_INDEX), index)
    return len(rows)


@dataclass
class StepSummary:
    step: Step
    statuses: Counter[str] = field(default_factory=Counter)
    held_by_rule: Counter[str] = field(default_factory=Counter)


def latest_checkpoint_ids(
    session: Session, step: Step, claim_ids: Sequence[str] | None = None
) -> list[int]:
    """The newest checkpoint of each claim for `step` (the claim's current state in that step)."""
    query = (
        select(func.max(m.ClaimCheckpoint.id))
        .where(m.ClaimCheckpoint.step == step)
        .group_by(m.ClaimCheckpoint.claim_id)
    )
    if claim_ids is None:
        return list(session.scalars(query))
    out: list[int] = []
    for chunk in _chunks(claim_ids):
        out += list(session.scalars(query.where(m.ClaimCheckpoint.claim_id.in_(chunk))))
    return out


def step_summary(
    session: Session, step: Step, claim_ids: Sequence[str] | None = None
) -> StepSummary:
    """Current status counts for a step, and which rules hold the held claims."""
    summary = StepSummary(step)
    ids = latest_checkpoint_ids(session, step, claim_ids)
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        for status, count in session.execute(
            select(m.ClaimCheckpoint.status, func.count())
            .where(m.ClaimCheckpoint.id.in_(chunk))
            .group_by(m.ClaimCheckpoint.status)
        ):
            summary.statuses[status.value] += count
        held = (
            select(
                m.CheckpointFinding.rule_id,
                func.count(func.distinct(m.CheckpointFinding.checkpoint_id)),
            )
            .where(
                m.CheckpointFinding.checkpoint_id.in_(chunk),
                m.CheckpointFinding.severity == Severity.HELD,
            )
            .group_by(m.CheckpointFinding.rule_id)
        )
        for rule_id, count in session.execute(held):
            summary.held_by_rule[rule_id] += count
    return summary


def statuses_of(summary: StepSummary) -> dict[str, int]:
    return {s.value: summary.statuses.get(s.value, 0) for s in CheckpointStatus}
