"""The lifecycle flow: steps 1-4 over a selection of claims, a task per step and chunk,
chunks in a process per core."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from prefect import Task, flow, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import flow_run
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Completed, Failed
from prefect.task_runners import ProcessPoolTaskRunner
from pydantic import BaseModel

from flows import artifacts
from flows.params import LifecycleParams, current_params
from flows.progress import Meter
from rules.outcomes import Step
from tasks import startup
from tasks.chunks import BatchPlan, ChunkResult, windowed
from tasks.lifecycle import check_chunk_steps, plan_batch
from tasks.retry import io_task
from tasks.runtime import Runtime
from tasks.settings import get_settings

R = TypeVar("R")


class LifecycleSummary(BaseModel):
    batch_key: str
    claims: int
    chunks: int
    statuses: dict[str, dict[str, int]]
    failed_chunks: int
    chunks_leased_elsewhere: int


def _run_name() -> str:
    params = current_params(LifecycleParams)
    return f"lifecycle {(params or LifecycleParams()).selection.describe()}"


@flow(name="lifecycle", flow_run_name=_run_name)
def lifecycle(params: LifecycleParams = LifecycleParams()) -> State:  # noqa: B008 - Prefect renders the default as a form
    """Check the selected claims in steps 1-4, one task per step and chunk; claims already checked are skipped."""
    return run_lifecycle(params, Runtime.from_settings(get_settings()))


def run_lifecycle(params: LifecycleParams, runtime: Runtime) -> State:
    """The lifecycle's body."""
    startup.settle(runtime.code_cache)
    logger = get_run_logger()
    run_id = str(flow_run.id) if flow_run.id else None
    selection = params.selection.model_dump(exclude_defaults=True)
    unchecked = selection.pop("unchecked", False)
    criteria = {**selection, "unchecked_steps": params.steps if unchecked else []}
    plan = plan_batch(
        runtime,
        criteria,
        params.steps,
        params.chunk_size,
        salt=(run_id or uuid.uuid4().hex) if params.force else "",
    )
    logger.info(
        "batch %s: %s claims in %s chunks per step", plan.key[:12], plan.claims, plan.chunks
    )
    progress = create_progress_artifact(
        0.0, key="lifecycle-progress", description="Lifecycle progress (chunks done)"
    )
    statuses: dict[str, Counter[str]] = {step.value: Counter() for step in params.steps}
    failed = elsewhere = 0
    meter = Meter(plan.chunks, "chunks")
    for done, results in enumerate(_checked_chunks(runtime, plan, params, run_id), start=1):
        for result in results:
            failed += result.error is not None
            elsewhere += not result.leased
            statuses[result.step.value].update(result.statuses)
        update_progress_artifact(progress, 100.0 * done / max(plan.chunks, 1))  # type: ignore[arg-type]
        meter.advance()
        if meter.due():
            logger.info("checked %s", meter.line(f"about {_claims_done(plan, done):,} claims"))
    summary = LifecycleSummary(
        batch_key=plan.key,
        claims=plan.claims,
        chunks=plan.chunks,
        statuses={k: dict(v) for k, v in statuses.items()},
        failed_chunks=failed,
        chunks_leased_elsewhere=elsewhere,
    )
    _publish(runtime, summary, params.steps)
    if failed:
        return Failed(
            message=f"{failed} chunk(s) failed after retries; their claims have error checkpoints",
            data=summary,
        )
    return Completed(message=f"{plan.claims} claims checked", data=summary)


def _claims_done(plan: BatchPlan, chunks_done: int) -> int:
    return min(plan.claims, round(plan.claims * chunks_done / max(plan.chunks, 1)))


def _checked_chunks(
    runtime: Runtime, plan: BatchPlan, params: LifecycleParams, run_id: str | None
) -> Iterator[list[ChunkResult]]:
    """Each chunk's step results, as chunks finish: in this process, or in a pool of processes."""

    def arguments(chunk_no: int) -> dict[str, Any]:
        return {
            "runtime": runtime,
            "key": plan.key,
            "steps": params.steps,
            "chunk_no": chunk_no,
            "force": params.force,
            "flow_run_id": run_id,
        }

    return run_chunks(
        check_chunk_steps, plan.chunks, arguments, workers=runtime.worker_count(params.workers)
    )


def run_chunks(
    chunk_task: Task[..., R],
    chunks: int,
    arguments: Callable[[int], dict[str, Any]],
    *,
    workers: int,
) -> Iterator[R]:
    """`chunk_task` for each chunk number, results as chunks finish: in this process, or in a
    pool of `workers` processes handed chunks as they free up."""
    processes = min(workers, chunks)
    server = _server_for_workers()
    if processes <= 1 or server is None:
        for chunk_no in range(chunks):
            yield chunk_task(**arguments(chunk_no))
        return
    # Checking is CPU-bound Python: threads would share one core, processes use them all.
    # Chunks are leased in the claim database, so the processes never check the same claims.
    # The workers are told this run's server address, so their task runs are recorded
    # beside the flow's (a worker with no address would start a temporary server of its own).
    with (
        temporary_settings(updates={PREFECT_API_URL: server}),
        ProcessPoolTaskRunner(max_workers=processes) as runner,
    ):

        def submit(chunk_no: int) -> PrefectFuture[R]:
            return runner.submit(chunk_task, arguments(chunk_no))

        for finished in windowed(range(chunks), submit, _first_done, window=2 * processes):
            yield finished.result()


def _first_done(running: set[PrefectFuture[R]]) -> PrefectFuture[R]:
    return next(as_completed(list(running)))


def _server_for_workers() -> str | None:
    """The address of the Prefect server this run reports to, if worker processes can reach it.

    In Prefect's local mode that is the temporary server this process started (the client
    knows its address); it runs until the process exits, so workers can report to it too.
    An in-process server (no address) leaves the chunks to this process.
    """
    with get_client(sync_client=True) as client:
        url = str(client.api_url)
    return url if url.startswith(("http://", "https://")) and "//ephem" not in url else None


@io_task(name="read-held-claims")
def read_held_claims(runtime: Runtime, batch_key: str, steps: list[Step]) -> artifacts.Held:
    """The batch's held findings for the artifacts: counted in full, the first listed."""
    return artifacts.held_claims(runtime.engine(), batch_key, steps)


def _publish(runtime: Runtime, summary: LifecycleSummary, steps: list[Step]) -> None:
    held = read_held_claims(runtime, summary.batch_key, steps)
    rule_set = runtime.rule_set()
    create_markdown_artifact(
        artifacts.lifecycle_markdown(summary.model_dump(), held, rule_set),
        key="lifecycle-summary",
        description="Claims checked, passed and held, by step and rule",
    )
    if held.rows:
        shown = (
            f"the first {len(held.rows):,} of {held.total:,}"
            if held.total > len(held.rows)
            else "all"
        )
        create_table_artifact(
            held.rows,
            key="held-claims",
            description=f"Held claims, {shown}: the finding and the fix (claim ids only)",
        )
