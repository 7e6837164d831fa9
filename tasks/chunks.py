"""Checking a selection chunk by chunk: plan the chunks, lease and check one, hand chunks to
workers as they free up. Plain functions; the lifecycle flow runs the same ones as Prefect
tasks, and the plain pipeline (benchmarks, scoring) runs them in a process pool.

A plan writes the selection's claim ids into work chunks in the claim database, a page at a
time, so no run holds its whole selection; a chunk's step is leased by one worker at a time
(`FOR UPDATE SKIP LOCKED` on PostgreSQL), checked, and closed with its counts.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine

from rules.loader import RuleSet
from rules.outcomes import Step
from tasks.checking import ChunkContexts, check_step_once
from tasks.db import selection as selection_module
from tasks.db import work
from tasks.db.session import session_scope
from tasks.retry import safe_error

LEASE_SECONDS = 15 * 60
Future = TypeVar("Future")
Item = TypeVar("Item")


class BatchPlan(BaseModel):
    key: str
    claims: int
    chunks: int


class ChunkResult(BaseModel):
    step: Step
    chunk_no: int
    leased: bool
    statuses: dict[str, int]
    skipped_done: int
    # Set when the step failed for good: its claims then have `error` checkpoints.
    error: str | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def plan_selection(
    engine: Engine,
    selection: dict[str, Any],
    steps: Sequence[Step],
    *,
    chunk_size: int,
    salt: str,
    rule_set: RuleSet,
) -> BatchPlan:
    """Select the claims and create (or find) their chunks; the ids stay in the database."""
    with session_scope(engine) as session:
        # Two reads of the selection, a page at a time, rather than holding every id: one
        # to name the batch, one to write its chunks (a page is a chunk).
        stamps = selection_module.claim_stamps(session, **selection)
        key = work.batch_key(stamps, list(steps), rule_set.version, salt, chunk_size=chunk_size)
        pages = selection_module.claim_pages(session, size=chunk_size, **selection)
        planned = work.plan(session, key, pages, list(steps))
    return BatchPlan(key=key, claims=planned.claims, chunks=planned.chunks)


def process_chunk(
    engine: Engine,
    key: str,
    step: Step,
    chunk_no: int,
    *,
    rule_set: RuleSet,
    force: bool,
    flow_run_id: str | None,
    worker: str,
    contexts: ChunkContexts,
) -> ChunkResult:
    """Lease one step of a chunk as `worker`, check its claims, close it with the counts.

    `contexts` keeps the chunk's claims read by its first step for the steps after it. A
    chunk leased by another live worker is left to it (`leased` is False).
    """
    with session_scope(engine) as session:
        claim_ids = work.lease(session, key, step, chunk_no, worker, LEASE_SECONDS)
        earlier = (
            work.finished_by(session, key, step, chunk_no, worker) if claim_ids is None else None
        )
    if claim_ids is None:
        if earlier is not None:
            # This worker finished the step before its task was retried: report what it wrote.
            return ChunkResult(step=step, chunk_no=chunk_no, leased=True, **earlier)
        return ChunkResult(step=step, chunk_no=chunk_no, leased=False, statuses={}, skipped_done=0)
    try:
        counts = check_step_once(
            engine,
            claim_ids,
            step,
            rule_set,
            force=force,
            flow_run_id=flow_run_id,
            contexts=contexts,
        )
    except Exception as error:
        with session_scope(engine) as session:
            work.close(session, key, step, chunk_no, error=safe_error(error))
        raise
    outcome = {"statuses": dict(counts.statuses), "skipped_done": counts.skipped_done}
    with session_scope(engine) as session:
        work.close(session, key, step, chunk_no, outcome=outcome)
    return ChunkResult(step=step, chunk_no=chunk_no, leased=True, **outcome)


def windowed(
    items: Iterable[Item],
    submit: Callable[[Item], Future],
    first_done: Callable[[set[Future]], Future],
    *,
    window: int,
) -> Iterator[Future]:
    """Submit `items` keeping at most `window` running, and yield each as it finishes.

    Two chunks queued per worker keep every process busy; submitting every chunk at once
    would hold a pickled call per chunk (Executor.map takes the whole iterable at once).
    """
    waiting = iter(items)
    running = {submit(item) for item in islice(waiting, window)}
    while running:
        finished = first_done(running)
        running.remove(finished)
        running.update(submit(item) for item in islice(waiting, 1))
        yield finished
