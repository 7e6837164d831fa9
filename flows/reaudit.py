"""Re-audit on demand (from the Prefect UI form or `claimguard reaudit`): what changed, claim by claim."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from itertools import islice
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Completed, Failed
from pydantic import BaseModel

from flows.lifecycle import run_chunks
from flows.params import ReauditParams, current_params
from flows.progress import Meter
from flows.report import change_row
from tasks import startup
from tasks.db.session import session_scope
from tasks.lifecycle import plan_batch, reaudit_chunk, record_audit_run
from tasks.reaudit import changes_of
from tasks.retry import io_task
from tasks.runtime import Runtime
from tasks.settings import get_settings

TABLE_LIMIT = 500


def _run_name() -> str:
    params = current_params(ReauditParams)
    return f"re-audit {params.selection.describe()}" if params else "re-audit"


@flow(name="re-audit", flow_run_name=_run_name)
def reaudit(params: ReauditParams) -> State:
    """Re-evaluate the selected claims under the current rules; report findings added and removed."""
    problem = params.problem()
    if problem is not None:
        return Failed(message=problem)
    started = dt.datetime.now(dt.UTC)
    runtime = Runtime.from_settings(get_settings())
    startup.settle(runtime.code_cache)
    logger = get_run_logger()
    run_id = str(flow_run.id) if flow_run.id else None
    criteria = params.selection.model_dump(exclude_defaults=True)
    # A re-audit always re-checks: the batch is salted with the run id so it leases its own chunks.
    plan = plan_batch(runtime, criteria, params.steps, params.chunk_size, salt=f"re-audit:{run_id}")

    def arguments(chunk_no: int) -> dict[str, Any]:
        return {
            "runtime": runtime,
            "key": plan.key,
            "chunk_no": chunk_no,
            "steps": params.steps,
            "dry_run": params.dry_run,
            "flow_run_id": run_id,
        }

    totals: Counter[str] = Counter()
    workers = runtime.worker_count(params.workers)
    meter = Meter(plan.chunks, "chunks")
    for result in run_chunks(reaudit_chunk, plan.chunks, arguments, workers=workers):
        totals.update(result.model_dump())
        meter.advance()
        if meter.due():
            logger.info("re-audited %s", meter.line(f"{totals['changed_claims']:,} claims changed"))
    counts = ReauditSummary(
        batch_key=plan.key,
        claims=plan.claims,
        changed=totals["changed_claims"],
        changes=totals["changes"],
        checkpoints_written=totals["written"],
    )
    record_audit_run(
        runtime,
        run_id,
        "re-audit",
        params.reason,
        criteria,
        params.dry_run,
        counts.model_dump(),
        started_at=started,
    )
    logger.info(
        "re-audit of %s claims: %s changed, %s checkpoints written",
        plan.claims,
        counts.changed,
        counts.checkpoints_written,
    )
    _publish(runtime, params, counts)
    return Completed(message=f"{counts.changed} of {plan.claims} claims changed", data=counts)


class ReauditSummary(BaseModel):
    """What a re-audit did; its changes are in the claim database under `batch_key`."""

    batch_key: str
    claims: int
    changed: int
    changes: int
    checkpoints_written: int


def _publish(runtime: Runtime, params: ReauditParams, counts: ReauditSummary) -> None:
    mode = (
        "dry run: no checkpoints written (the changes are recorded)"
        if params.dry_run
        else f"{counts.checkpoints_written:,} checkpoints written"
    )
    version = runtime.rule_set().version[:12]
    lines = [
        "# Re-audit",
        "",
        f"Reason: {params.reason}",
        "",
        f"Selection: {params.selection.describe()}; steps: {', '.join(s.value for s in params.steps)}; rule set `{version}`.",
        "",
        f"Claims: **{counts.claims:,}**; changed: **{counts.changed:,}** "
        f"({counts.changes:,} claim-steps); {mode}.",
        "",
        f"Every change: `claimguard report changes {counts.batch_key} --csv changes.csv`.",
    ]
    create_markdown_artifact(
        "\n".join(lines), key="re-audit-summary", description="Re-audit: what changed"
    )
    rows = first_changes(runtime, counts.batch_key, TABLE_LIMIT)
    # Always published, so "nothing changed" is an answer a person sees, not a missing table.
    none = {"claim_id": "(none)", "step": "-", "before": "-", "after": "-",
            "added": "no claim's findings changed", "removed": "-"}  # fmt: skip
    create_table_artifact(
        rows or [none],
        key="re-audit-changes",
        description=f"Claims whose findings changed, the first {len(rows):,} of "
        f"{counts.changes:,} (rule ids only)",
    )


@io_task(name="read-re-audit-changes")
def first_changes(runtime: Runtime, batch_key: str, limit: int) -> list[dict[str, str]]:
    """The re-audit's first changes in claim order, as table rows."""
    with session_scope(runtime.engine()) as session:
        return [change_row(c) for c in islice(changes_of(session, batch_key, page=limit), limit)]
