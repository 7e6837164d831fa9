"""The whole main job in plain Python (no Prefect): for tests, scoring and benchmarks.

The flows do the same through Prefect tasks; this is what they orchestrate, so a test can
compare the two and a benchmark can measure what orchestration adds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import chain, islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks import startup
from tasks.checking import ChunkContexts, check_chunk, check_step
from tasks.db.selection import claim_pages
from tasks.db.session import session_scope, shared_engine
from tasks.db.work import chunked
from tasks.inbox import load_paths, post_files
from tasks.intake.loader import FileReport
from tasks.remit.post import RemitFileReport
from tasks.reports import build
from tasks.rule_source import current_rule_set
from tasks.settings import CHUNK_SIZE
from tasks.startup import collector_paused
from tasks.x12.readahead import DocumentSource


@dataclass
class PipelineRun:
    loaded: list[FileReport] = field(default_factory=list)
    posted: list[RemitFileReport] = field(default_factory=list)
    claims_checked: int = 0
    claims_audited: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per phase and step
    report: build.LeakReport | None = None


def check_claims(
    engine: Engine,
    claim_ids: Sequence[str],
    steps: Sequence[Step],
    *,
    force: bool = False,
    seconds: dict[str, float] | None = None,
    workers: int = 1,
) -> None:
    """Check `steps` for a list of claims, chunk by chunk (see `check_chunks`)."""
    check_chunks(
        engine, chunked(claim_ids, CHUNK_SIZE), steps, force=force, seconds=seconds, workers=workers
    )


def check_chunks(
    engine: Engine,
    chunks: Iterable[Sequence[str]],
    steps: Sequence[Step],
    *,
    force: bool = False,
    seconds: dict[str, float] | None = None,
    workers: int = 1,
) -> int:
    """Check `steps` chunk by chunk; with workers > 1 and more than one chunk, in parallel processes.

    Chunks are taken from the iterable as workers free up, so a selection read a page at a
    time is never held whole. Sequential runs time each step; parallel ones time the steps
    together (their steps overlap). Returns the number of claims checked.
    """
    chunks = iter(chunks)
    first = list(islice(chunks, workers))
    if len(first) > 1:
        began = time.perf_counter()
        claims = _check_in_pool(engine, chain(first, chunks), steps, force, len(first))
        if seconds is not None:
            label = "+".join(step.value for step in steps)
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - began
        return claims
    rule_set = current_rule_set()
    claims = 0
    for chunk in chain(first, chunks):
        claims += len(chunk)
        contexts = ChunkContexts()
        with collector_paused():  # the chunk's contexts live through its steps (tasks/startup.py)
            for step in steps:
                began = time.perf_counter()
                check_step(engine, chunk, step, rule_set, force=force, contexts=contexts)
                if seconds is not None:
                    seconds[step.value] = seconds.get(step.value, 0.0) + time.perf_counter() - began
    return claims


def _check_in_pool(
    engine: Engine,
    chunks: Iterator[Sequence[str]],
    steps: Sequence[Step],
    force: bool,
    workers: int,
) -> int:
    url = engine.url.render_as_string(hide_password=False)
    # spawn, as Prefect's process pool does: a forked child would share the parent's connections.
    claims = 0
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        running: set[Future[None]] = set()
        for chunk in chunks:
            claims += len(chunk)
            # Two chunks queued per worker keep every process busy without reading ahead
            # of them (Executor.map would take the whole iterable at once).
            if len(running) >= 2 * workers:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()
            running.add(pool.submit(_check_chunk_in_worker, url, list(chunk), steps, force))
        for future in running:
            future.result()
    return claims


def _check_chunk_in_worker(
    url: str, claim_ids: Sequence[str], steps: Sequence[Step], force: bool
) -> None:
    startup.settle()
    check_chunk(shared_engine(url), claim_ids, steps, current_rule_set(), force=force)


def run(
    engine: Engine,
    folder: Path,
    *,
    workers: int = 1,
    report_dir: Path | None = None,
    chunk_size: int = CHUNK_SIZE,
    documents: DocumentSource | None = None,
) -> PipelineRun:
    """Load the folder's claim files, check steps 1-4, post its 835s, audit them (step 5);
    with `report_dir`, write the revenue-leak report there, as the daily-intake flow does."""
    startup.settle()
    began = time.perf_counter()
    result = PipelineRun(loaded=load_paths(engine, [folder], workers=workers, documents=documents))
    result.seconds["intake"] = time.perf_counter() - began
    result.claims_checked = check_chunks(
        engine,
        selected_pages(engine, size=chunk_size),
        PRE_SUBMISSION_STEPS,
        seconds=result.seconds,
        workers=workers,
    )
    began = time.perf_counter()
    result.posted = post_files(engine, [folder], workers=workers, documents=documents)
    result.seconds["remittances"] = time.perf_counter() - began
    # The claims paid since their last audit, read a page at a time as chunks are handed out:
    # auditing a page's claims takes them out of the selection, but the next page starts
    # after the last id already read.
    result.claims_audited = check_chunks(
        engine,
        selected_pages(engine, size=chunk_size, remitted=True),
        [Step.POST_PAYMENT_AUDIT],
        force=True,
        seconds=result.seconds,
        workers=workers,
    )
    if report_dir is not None:
        began = time.perf_counter()
        result.report = build.write(engine, current_rule_set(), report_dir)
        result.seconds["report"] = time.perf_counter() - began
    return result


def selected_pages(
    engine: Engine, *, size: int = CHUNK_SIZE, **criteria: Any
) -> Iterator[list[str]]:
    """The selection's ids a chunk at a time, each page read in a session of its own (no
    transaction stays open while the chunks are checked)."""
    last: list[str] = []
    while True:
        with session_scope(engine) as session:
            after = last[-1] if last else None
            page = next(claim_pages(session, size=size, after=after, **criteria), [])
        if page:
            yield page
        if len(page) < size:
            return
        last = page
