"""Run lifecycle steps over claims in the database: load contexts, evaluate, append checkpoints.

Plain functions; the Prefect tasks in tasks/lifecycle.py wrap them. A chunk is read in a
fixed number of queries, judged in memory and its checkpoints written in one transaction.
Contexts are kept for the chunk last read, so the four steps of one chunk read it once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rules.context import ClaimContext
from rules.engine import StepResult, evaluate
from rules.loader import RuleSet
from rules.outcomes import CheckpointStatus, Finding, Severity, Step
from tasks.db import models as m
from tasks.db.checkpoints import append_checkpoints, done_claims, next_attempts
from tasks.db.contexts import ContextLoader
from tasks.db.session import session_scope
from tasks.db.statistics import refresh_statistics
from tasks.startup import collector_paused


@dataclass
class StepCounts:
    """What one pass of one step did: checkpoints written by status, and claims skipped as done."""

    step: Step
    statuses: Counter[str] = field(default_factory=Counter)
    skipped_done: int = 0

    @property
    def written(self) -> int:
        return sum(self.statuses.values())


class ChunkContexts:
    """Contexts of the chunk read last; asking again for the same claims reads nothing.

    The entry is one tuple, replaced whole, so threads sharing the cache never see a key
    with another chunk's contexts.
    """

    def __init__(self) -> None:
        self._entry: tuple[tuple[str, bool, tuple[str, ...]], dict[str, ClaimContext]] | None = None

    def get(
        self, session: Session, engine_url: str, claim_ids: Sequence[str], *, for_audit: bool
    ) -> dict[str, ClaimContext]:
        key = (engine_url, for_audit, tuple(claim_ids))
        entry = self._entry
        if entry is not None and entry[0] == key:
            return entry[1]
        loaded = ContextLoader(session).load(claim_ids, for_audit=for_audit)
        contexts = {ctx.claim.claim_id: ctx for ctx in loaded}
        self._entry = (key, contexts)
        return contexts

    def clear(self) -> None:
        self._entry = None


# A chunk's contexts live through all its steps: the collector's passes would walk them for
# nothing (a quarter of the time of steps 1-4, measured; see tasks/startup.py).
@collector_paused()
def check_step(
    engine: Engine,
    claim_ids: Sequence[str],
    step: Step,
    rule_set: RuleSet,
    *,
    force: bool = False,
    flow_run_id: str | None = None,
    contexts: ChunkContexts | None = None,
) -> StepCounts:
    """Evaluate one step for a chunk of claims and append a checkpoint per claim not yet done."""
    started = dt.datetime.now(dt.UTC)
    counts = StepCounts(step)
    cache = contexts or ChunkContexts()
    # The chunks before this one grew the checkpoint table its reads plan against, perhaps
    # mostly with this step's rows (the first audits).
    refresh_statistics(engine, step=step.value)
    with session_scope(engine) as session:
        todo = _todo(session, claim_ids, step, rule_set.version, force)
        counts.skipped_done = len(claim_ids) - len(todo)
        if not todo:
            return counts
        # Step 5's contexts are read apart: they need the remittances posted since steps 1-4
        # read theirs, and none of the session, notes or history (ContextLoader.load).
        audit = step is Step.POST_PAYMENT_AUDIT
        loaded = cache.get(session, engine.url.render_as_string(), claim_ids, for_audit=audit)
        results = [evaluate(rule_set, loaded[cid], step) for cid in todo if cid in loaded]
        attempts = next_attempts(session, [r.claim_id for r in results], step, rule_set.version)
        append_checkpoints(
            session, results, attempts=attempts, flow_run_id=flow_run_id, started_at=started
        )
        counts.statuses.update(r.status.value for r in results)
    return counts


def check_step_once(
    engine: Engine,
    claim_ids: Sequence[str],
    step: Step,
    rule_set: RuleSet,
    *,
    force: bool,
    flow_run_id: str | None,
    contexts: ChunkContexts,
) -> StepCounts:
    """check_step, where losing a race to another worker for the same claims is not an error.

    The unique key refuses a checkpoint another worker already wrote; the claims it wrote
    are then done, and a second pass writes only what is still missing.
    """
    check = partial(
        check_step,
        engine,
        claim_ids,
        step,
        rule_set,
        force=force,
        flow_run_id=flow_run_id,
        contexts=contexts,
    )
    try:
        return check()
    except IntegrityError:
        return check()


def record_errors(
    engine: Engine,
    claim_ids: Sequence[str],
    step: Step,
    rule_set: RuleSet,
    message: str,
    *,
    flow_run_id: str | None = None,
) -> int:
    """Append an `error` checkpoint for each claim of a chunk whose checking failed for good."""
    started = dt.datetime.now(dt.UTC)
    finding = Finding(
        rule_id="SYS-ERROR",
        severity=Severity.INFO,
        message=f"Checking failed after its retries: {message}",
        fix="Fix the cause and re-run; the claim is still to be checked.",
    )
    with session_scope(engine) as session:
        todo = _todo(session, claim_ids, step, rule_set.version, force=False)
        attempts = next_attempts(session, todo, step, rule_set.version)
        results = [
            StepResult(cid, step, CheckpointStatus.ERROR, (finding,), rule_set.version)
            for cid in todo
        ]
        return append_checkpoints(
            session, results, attempts=attempts, flow_run_id=flow_run_id, started_at=started
        )


@collector_paused()  # and between the steps, while the chunk's contexts are cached
def check_chunk(
    engine: Engine,
    claim_ids: Sequence[str],
    steps: Sequence[Step],
    rule_set: RuleSet,
    *,
    force: bool = False,
    flow_run_id: str | None = None,
) -> list[StepCounts]:
    """Every step for one chunk, reading its contexts once."""
    cache = ChunkContexts()
    return [
        check_step(
            engine, claim_ids, step, rule_set, force=force, flow_run_id=flow_run_id, contexts=cache
        )
        for step in steps
    ]


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
