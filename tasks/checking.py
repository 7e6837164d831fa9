"""Run lifecycle steps over claims in the database: load contexts, evaluate, append checkpoints.

Plain functions (the Prefect tasks in tasks/lifecycle.py wrap them). A chunk is read in a
fixed number of queries, judged in memory, and its checkpoints written in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rules.engine import evaluate
from rules.loader import RuleSet
from rules.outcomes import Step
from tasks.db import models as m
from tasks.db.checkpoints import append_checkpoints, done_claims, next_attempts
from tasks.db.contexts import ContextLoader
from tasks.db.session import session_scope


@dataclass
class StepCounts:
    """What one pass of one step did: checkpoints written by status, and claims skipped."""

    step: Step
    statuses: Counter[str] = field(default_factory=Counter)
    skipped_done: int = 0

    @property
    def written(self) -> int:
        return sum(self.statuses.values())


def check_chunk(
    engine: Engine,
    claim_ids: Sequence[str],
    steps: Sequence[Step],
    rule_set: RuleSet,
    *,
    force: bool = False,
    flow_run_id: str | None = None,
) -> list[StepCounts]:
    """Evaluate `steps` for the claims of one chunk and append a checkpoint per claim and step."""
    started = dt.datetime.now(dt.UTC)
    counts = [StepCounts(step) for step in steps]
    with session_scope(engine) as session:
        todo = {step: _todo(session, claim_ids, step, rule_set.version, force) for step in steps}
        needed = sorted({cid for ids in todo.values() for cid in ids})
        contexts = (
            {ctx.claim.claim_id: ctx for ctx in ContextLoader(session).load(needed)}
            if needed
            else {}
        )
        for count in counts:
            ids = [cid for cid in todo[count.step] if cid in contexts]
            count.skipped_done = len(claim_ids) - len(todo[count.step])
            results = [evaluate(rule_set, contexts[cid], count.step) for cid in ids]
            attempts = next_attempts(session, ids, count.step, rule_set.version) if force else {}
            append_checkpoints(
                session, results, attempts=attempts, flow_run_id=flow_run_id, started_at=started
            )
            count.statuses.update(res.status.value for res in results)
    return counts


def _todo(
    session: Session, claim_ids: Sequence[str], step: Step, version: str, force: bool
) -> list[str]:
    if force:
        return list(claim_ids)
    done = done_claims(session, claim_ids, step, version)
    return [cid for cid in claim_ids if cid not in done]


def claims_of_files(engine: Engine, intake_file_ids: Sequence[int] | None = None) -> list[str]:
    """Claim ids loaded from the given intake files (all claims when None), in id order."""
    with session_scope(engine) as session:
        query = select(m.Claim.claim_id).order_by(m.Claim.claim_id)
        if intake_file_ids is not None:
            query = query.where(m.Claim.intake_file_id.in_(intake_file_ids))
        return list(session.scalars(query))
