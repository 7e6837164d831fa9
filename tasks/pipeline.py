"""The whole main job in plain Python (no Prefect): for scoring, tests and benchmarks.

The same functions as the flows, in the same order: load the inbox (`tasks.inbox`), plan and
check chunks (`tasks.chunks`), post the 835s, audit what they paid, write the report. The
flows run each of these as Prefect tasks; a benchmark of this module against them measures
what orchestration adds, and nothing else.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks import startup
from tasks.checking import ChunkContexts
from tasks.chunks import ChunkResult, plan_selection, process_chunk, windowed, worker_name
from tasks.inbox import load_paths, post_files
from tasks.intake.loader import FileReport
from tasks.remit.post import RemitFileReport
from tasks.reports import build
from tasks.runtime import Runtime
from tasks.settings import CHUNK_SIZE
from tasks.x12.readahead import DocumentSource


@dataclass
class PipelineRun:
    loaded: list[FileReport] = field(default_factory=list)
    posted: list[RemitFileReport] = field(default_factory=list)
    claims_checked: int = 0
    claims_audited: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per phase
    report: build.LeakReport | None = None


def check_selection(
    runtime: Runtime,
    selection: dict[str, Any],
    steps: Sequence[Step],
    *,
    force: bool = False,
    chunk_size: int = CHUNK_SIZE,
    workers: int = 1,
) -> int:
    """Plan the selection's chunks and check `steps` for each, in this process or in a pool
    of `workers` processes handed chunks as they free up. Returns the claims planned."""
    # A forced check is a new batch each time (its chunks are leased afresh); otherwise a
    # rerun of the same selection finds its batch, and what was done stays done.
    plan = plan_selection(
        runtime.engine(),
        selection,
        steps,
        chunk_size=chunk_size,
        salt=uuid.uuid4().hex if force else "",
        rule_set=runtime.rule_set(),
    )
    if workers < 2 or plan.chunks < 2:
        for chunk_no in range(plan.chunks):
            check_chunk(runtime, plan.key, steps, chunk_no, force=force)
        return plan.claims
    # spawn, as Prefect's process pool does: a forked child would share the parent's
    # connections. A worker settles once, after its imports and before its first chunk.
    with ProcessPoolExecutor(
        workers,
        mp_context=get_context("spawn"),
        initializer=startup.settle,
        initargs=(runtime.code_cache,),
    ) as pool:
        for done in windowed(
            range(plan.chunks),
            lambda chunk_no: pool.submit(
                check_chunk, runtime, plan.key, steps, chunk_no, force=force
            ),
            _first_completed,
            window=2 * workers,
        ):
            done.result()
    return plan.claims


def check_chunk(
    runtime: Runtime, key: str, steps: Sequence[Step], chunk_no: int, *, force: bool
) -> list[ChunkResult]:
    """Every step of one planned chunk, its claims read once (the plain check-chunk task)."""
    engine, rule_set, contexts = runtime.engine(), runtime.rule_set(), ChunkContexts()
    with startup.collector_paused():  # the chunk's contexts live through its steps
        return [
            process_chunk(
                engine,
                key,
                step,
                chunk_no,
                rule_set=rule_set,
                force=force,
                flow_run_id=None,
                worker=worker_name(),
                contexts=contexts,
            )
            for step in steps
        ]


def _first_completed(running: set[Future[list[ChunkResult]]]) -> Future[list[ChunkResult]]:
    done, _ = wait(running, return_when=FIRST_COMPLETED)
    return next(iter(done))


def run(
    runtime: Runtime,
    folder: Path,
    *,
    workers: int = 1,
    report_dir: Path | None = None,
    chunk_size: int = CHUNK_SIZE,
    documents: DocumentSource | None = None,
) -> PipelineRun:
    """Load the folder's claim files, check steps 1-4, post its 835s, audit them (step 5);
    with `report_dir`, write the revenue-leak report there, as the daily-intake flow does."""
    startup.settle(runtime.code_cache)
    engine, result = runtime.engine(), PipelineRun()
    with _timed(result, "intake"):
        result.loaded = load_paths(
            engine,
            [folder],
            workers=workers,
            documents=documents,
            code_cache=runtime.code_cache,
        )
    with _timed(result, "steps 1-4"):
        result.claims_checked = check_selection(
            runtime,
            {"unchecked_steps": PRE_SUBMISSION_STEPS},
            PRE_SUBMISSION_STEPS,
            chunk_size=chunk_size,
            workers=workers,
        )
    with _timed(result, "remittances"):
        result.posted = post_files(
            engine,
            [folder],
            workers=workers,
            documents=documents,
            code_cache=runtime.code_cache,
        )
    with _timed(result, "post_payment_audit"):
        result.claims_audited = check_selection(
            runtime,
            {"remitted": True},
            [Step.POST_PAYMENT_AUDIT],
            force=True,
            chunk_size=chunk_size,
            workers=workers,
        )
    if report_dir is not None:
        with _timed(result, "report"):
            result.report = build.write(engine, runtime.rule_set(), report_dir)
    return result


class _timed:
    """Adds the block's seconds to the run's phase `name`."""

    def __init__(self, run: PipelineRun, name: str) -> None:
        self.run, self.name = run, name

    def __enter__(self) -> None:
        self.began = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.began
        self.run.seconds[self.name] = self.run.seconds.get(self.name, 0.0) + elapsed
