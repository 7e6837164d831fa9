"""The whole main job in plain Python (no Prefect): for tests, scoring and benchmarks.

The flows do the same through Prefect tasks; this is what they orchestrate, so a test can
compare the two and a benchmark can measure what orchestration adds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import Engine, select

from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.checking import ChunkContexts, check_chunk, check_step
from tasks.db import models as m
from tasks.db.selection import awaiting_payment_audit
from tasks.db.session import session_scope, shared_engine
from tasks.intake.loader import FileReport, load_paths, packet_files
from tasks.remit.post import RemitFileReport, post_file
from tasks.rule_source import current_rule_set
from tasks.x12.readahead import reading_ahead

CHUNK = 5000


@dataclass
class PipelineRun:
    loaded: list[FileReport] = field(default_factory=list)
    posted: list[RemitFileReport] = field(default_factory=list)
    claims_checked: int = 0
    claims_audited: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per phase and step


def check_claims(
    engine: Engine,
    claim_ids: Sequence[str],
    steps: Sequence[Step],
    *,
    force: bool = False,
    seconds: dict[str, float] | None = None,
    workers: int = 1,
) -> None:
    """Check `steps` for the claims, chunk by chunk; with workers > 1, chunks in parallel processes.

    Sequential runs time each step; parallel ones time the steps together (their steps overlap).
    """
    chunks = [claim_ids[start : start + CHUNK] for start in range(0, len(claim_ids), CHUNK)]
    workers = min(workers, len(chunks))
    if workers > 1:
        began = time.perf_counter()
        url = engine.url.render_as_string(hide_password=False)
        # spawn, as Prefect's process pool does: a forked child would share the parent's connections.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            list(
                pool.map(_check_chunk_in_worker, repeat(url), chunks, repeat(steps), repeat(force))
            )
        if seconds is not None:
            label = "+".join(step.value for step in steps)
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - began
        return
    rule_set = current_rule_set()
    for chunk in chunks:
        contexts = ChunkContexts()
        for step in steps:
            began = time.perf_counter()
            check_step(engine, chunk, step, rule_set, force=force, contexts=contexts)
            if seconds is not None:
                seconds[step.value] = seconds.get(step.value, 0.0) + time.perf_counter() - began


def _check_chunk_in_worker(
    url: str, claim_ids: Sequence[str], steps: Sequence[Step], force: bool
) -> None:
    check_chunk(shared_engine(url), claim_ids, steps, current_rule_set(), force=force)


def run(engine: Engine, folder: Path, *, workers: int = 1) -> PipelineRun:
    """Load the folder's claim files, check steps 1-4, post its 835s, audit them (step 5)."""
    began = time.perf_counter()
    result = PipelineRun(loaded=load_paths(engine, [folder], workers=workers))
    result.seconds["intake"] = time.perf_counter() - began
    with session_scope(engine) as session:
        claim_ids = sorted(session.scalars(select(m.Claim.claim_id)))
    check_claims(engine, claim_ids, PRE_SUBMISSION_STEPS, seconds=result.seconds, workers=workers)
    result.claims_checked = len(claim_ids)
    began = time.perf_counter()
    remits = packet_files([folder], remittances=True)
    with reading_ahead(remits, workers):
        result.posted = [post_file(engine, path) for path in remits]
    result.seconds["remittances"] = time.perf_counter() - began
    with session_scope(engine) as session:
        remitted = awaiting_payment_audit(session)
    check_claims(
        engine,
        remitted,
        [Step.POST_PAYMENT_AUDIT],
        force=True,
        seconds=result.seconds,
        workers=workers,
    )
    result.claims_audited = len(remitted)
    return result
