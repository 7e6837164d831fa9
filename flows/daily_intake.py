"""The daily intake: load the inbox's new files, check what was loaded, file each file away."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from flows.lifecycle import lifecycle
from flows.params import (
    DailyIntakeParams,
    LifecycleParams,
    RemittanceAuditParams,
    Selection,
    current_params,
)
from flows.remittance_audit import run_remittance_audit
from tasks import startup
from tasks.inbox import FileOutcome, packet_files
from tasks.inbox_tasks import FileRow, read_files
from tasks.runtime import Runtime
from tasks.settings import get_settings


def _run_name() -> str:
    params = current_params(DailyIntakeParams)
    day = params.day if params and params.day else dt.date.today()
    return f"daily-intake {day.isoformat()}"


@flow(name="daily-intake", flow_run_name=_run_name)
def daily_intake(params: DailyIntakeParams = DailyIntakeParams()) -> State:  # noqa: B008 - a form default
    """Load the inbox's new claim files (JSON, 837P), run steps 1-4, then post its 835s and audit them (step 5)."""
    runtime = Runtime.from_settings(get_settings())
    startup.settle(runtime.code_cache)
    logger = get_run_logger()
    inbox = Path(params.inbox)
    files = packet_files([inbox]) if inbox.is_dir() else []
    logger.info("%s file(s) in %s", len(files), inbox)
    rows = read_files(runtime, files, job="load", workers=runtime.worker_count(params.workers))
    life = lifecycle(
        LifecycleParams(
            selection=Selection(unchecked=True),
            chunk_size=params.chunk_size,
            workers=params.workers,
        ),
        return_state=True,
    )
    summary = (
        life.result(raise_on_failure=False) if life.is_completed() or life.is_failed() else None
    )
    remits = packet_files([inbox], remittances=True) if inbox.is_dir() else []
    audit = None
    if remits:
        # Remittances after claims: an 835 in the same inbox pays claims loaded above.
        audit = run_remittance_audit(
            RemittanceAuditParams(
                folder=str(inbox), report_dir=params.report_dir, chunk_size=params.chunk_size
            ),
            runtime,
            files=remits,
        )
    create_table_artifact(
        [row.table_row() for row in rows] or [{"file": "(none)", "outcome": "no new files"}],
        key="daily-intake-files",
        description="Files read, their counts and where they went",
    )
    create_markdown_artifact(
        _markdown(rows, summary), key="daily-intake-summary", description="Daily intake summary"
    )
    failed_files = sum(1 for row in rows if row.outcome is FileOutcome.FAILED)
    if audit is not None and audit.is_failed():
        return Failed(message=f"remittance audit failed: {audit.message}")
    if life.is_failed() or failed_files:
        return Failed(message=f"{failed_files} file(s) failed; lifecycle {life.type.value.lower()}")
    posted = f"; {len(remits)} remittance file(s) posted and audited" if remits else ""
    return Completed(message=f"{len(rows)} claim file(s) loaded and checked{posted}")


def _markdown(rows: list[FileRow], summary: object) -> str:
    lines = ["# Daily intake", "", f"Files: **{len(rows)}**.", ""]
    if rows:
        lines += ["| file | records in | quarantined | outcome |", "| --- | ---: | ---: | --- |"]
        lines += [
            f"| {r.file} | {r.counts.get('records_in', '')} | {r.counts.get('quarantined', '')} | {r.outcome.value} |"
            for r in rows
        ]
    statuses = getattr(summary, "statuses", None)
    if statuses:
        lines += [
            "",
            "| step | passed | warning | held | error |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {step} | {c.get('passed', 0)} | {c.get('warning', 0)} | {c.get('held', 0)} | {c.get('error', 0)} |"
            for step, c in statuses.items()
        ]
    return "\n".join(lines)
