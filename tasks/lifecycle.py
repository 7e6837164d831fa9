"""Prefect tasks of the lifecycle: thin wrappers over chunk leases, step checks and re-audits.

Tasks take references (the run's Runtime, a batch key, a step, a chunk number), never
claims. The one
exception is a chunk's contexts cache, handed from step to step inside one worker process:
`io_task` tasks neither hash, cache nor store their arguments, and a task called in its
caller's process is never pickled, so patient data stays in the process that read it.
Retries are for transient infrastructure failures only (tasks.retry); evaluation itself is
pure and never retried.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from rules.outcomes import Step
from tasks import reaudit, startup
from tasks.checking import ChunkContexts, record_errors
from tasks.chunks import BatchPlan, ChunkResult, plan_selection, process_chunk, worker_name
from tasks.db import models, work
from tasks.db.session import session_scope
from tasks.retry import exception_of, io_task, safe_error
from tasks.runtime import Runtime


@io_task(name="plan-batch")
def plan_batch(
    runtime: Runtime, selection: dict[str, Any], steps: list[Step], chunk_size: int, salt: str
) -> BatchPlan:
    """Select the claims and create (or find) their chunks; the ids stay in the database."""
    return plan_selection(
        runtime.engine(),
        selection,
        steps,
        chunk_size=chunk_size,
        salt=salt,
        rule_set=runtime.rule_set(),
    )


@io_task(name="check-step", task_run_name="{step.value} chunk {chunk_no}")
def check_step_chunk(
    runtime: Runtime,
    key: str,
    step: Step,
    chunk_no: int,
    *,
    force: bool,
    flow_run_id: str | None,
    contexts: ChunkContexts,
) -> ChunkResult:
    """Lease a chunk as this process (host:pid), check one step for its claims, close the chunk."""
    return process_chunk(
        runtime.engine(),
        key,
        step,
        chunk_no,
        rule_set=runtime.rule_set(),
        force=force,
        flow_run_id=flow_run_id,
        worker=worker_name(),
        contexts=contexts,
    )


@task(
    name="check-chunk",
    task_run_name="chunk {chunk_no}",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def check_chunk_steps(
    runtime: Runtime,
    key: str,
    steps: list[Step],
    chunk_no: int,
    force: bool,
    flow_run_id: str | None,
) -> list[ChunkResult]:
    """Every step of one chunk, in order, in one process (so the chunk's claims are read once).

    Each step is its own task run with its own retries; a step that fails for good leaves
    `error` checkpoints for its claims and the chunk goes on to its next step. This task
    itself does not retry: its steps already did.
    """
    # A worker process's first chunk: after its imports, before the work.
    startup.settle(runtime.code_cache)
    contexts = ChunkContexts()  # read by the first step, kept for the others
    with startup.collector_paused():  # the chunk's contexts live through its steps
        return [
            _step_of_chunk(runtime, key, step, chunk_no, force, flow_run_id, contexts)
            for step in steps
        ]


def _step_of_chunk(
    runtime: Runtime,
    key: str,
    step: Step,
    chunk_no: int,
    force: bool,
    flow_run_id: str | None,
    contexts: ChunkContexts,
) -> ChunkResult:
    """One step of the chunk as its own task run; failed for good, its claims get `error` checkpoints."""
    state = check_step_chunk(
        runtime,
        key,
        step,
        chunk_no,
        force=force,
        flow_run_id=flow_run_id,
        contexts=contexts,
        return_state=True,
    )
    if not state.is_failed():
        result: ChunkResult = state.result()
        return result
    message = safe_error(exception_of(state))
    get_run_logger().error(
        "%s chunk %s failed after its retries: %s", step.value, chunk_no, message
    )
    record_chunk_error(runtime, key, step, chunk_no, message, flow_run_id)
    return ChunkResult(
        step=step,
        chunk_no=chunk_no,
        leased=True,
        statuses={},
        skipped_done=0,
        error=message,
    )


@io_task(name="record-chunk-error")
def record_chunk_error(
    runtime: Runtime, key: str, step: Step, chunk_no: int, message: str, flow_run_id: str | None
) -> int:
    """After a chunk failed for good: an `error` checkpoint for each of its claims, nothing lost."""
    engine = runtime.engine()
    with session_scope(engine) as session:
        claim_ids = work.chunk_claims(session, key, step, chunk_no)
    return record_errors(
        engine, claim_ids, step, runtime.rule_set(), message, flow_run_id=flow_run_id
    )


class ReauditResult(BaseModel):
    """What re-auditing one chunk did (its changes are in the reaudit_change table)."""

    claims: int
    changed_claims: int
    changes: int
    written: int


@io_task(name="re-audit-chunk", task_run_name="re-audit chunk {chunk_no}")
def reaudit_chunk(
    runtime: Runtime,
    key: str,
    chunk_no: int,
    steps: list[Step],
    dry_run: bool,
    flow_run_id: str | None,
) -> ReauditResult:
    """Re-evaluate one chunk, record what changed; write new checkpoints unless dry run."""
    # A worker process's first chunk: after its imports, before the work.
    startup.settle(runtime.code_cache)
    engine = runtime.engine()
    with session_scope(engine) as session:
        claim_ids = work.chunk_claims(session, key, steps[0], chunk_no)
    counts = reaudit.reaudit_claims(
        engine,
        claim_ids,
        steps,
        runtime.rule_set(),
        batch_key=key,
        dry_run=dry_run,
        flow_run_id=flow_run_id,
    )
    return ReauditResult(**dataclasses.asdict(counts))


@io_task(name="record-audit-run")
def record_audit_run(
    runtime: Runtime,
    flow_run_id: str | None,
    kind: str,
    reason: str,
    selection: dict[str, Any],
    dry_run: bool,
    counts: dict[str, Any],
    started_at: dt.datetime,
) -> int:
    """Keep who-ran-what-and-why next to the checkpoints it wrote."""
    with session_scope(runtime.engine()) as session:
        row = models.AuditRun(
            started_at=started_at,
            flow_run_id=flow_run_id,
            kind=kind,
            reason=reason,
            selection=selection,
            dry_run=dry_run,
            rule_set_version=runtime.rule_set().version,
            counts=counts,
            finished_at=dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
        return int(row.id)
