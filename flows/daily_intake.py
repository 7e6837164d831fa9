"""The daily intake: load the inbox's new files, check what was loaded, file each file away."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from flows import artifacts
from flows.lifecycle import LifecycleSummary, lifecycle
from flows.params import (
    ArrivalTuning,
    DailyIntakeParams,
    LifecycleParams,
    RemittanceAuditParams,
    Selection,
    Tuning,
    current_params,
)
from flows.remittance_audit import (
    build_leak_report,
    run_remittance_audit,
    served_reports,
    stale_report,
)
from tasks import startup
from tasks.arrivals import Survey, survey
from tasks.inbox import FileOutcome
from tasks.inbox_tasks import FileRow, InboxGuard, holding_inbox, read_files, set_aside
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
    return holding_inbox(runtime, Path(params.inbox), lambda guard: _intake(params, runtime, guard))


def _intake(params: DailyIntakeParams, runtime: Runtime, guard: InboxGuard) -> State:
    logger = get_run_logger()
    inbox = Path(params.inbox)
    quiet = runtime.inbox_quiet_seconds if params.quiet_seconds is None else params.quiet_seconds
    found = survey(inbox, quiet_seconds=quiet) if inbox.is_dir() else Survey()
    logger.info(
        "%s claim file(s), %s remittance file(s) ready; %s waiting; %s refused",
        len(found.claims),
        len(found.remittances),
        len(found.waiting),
        len(found.refused),
    )
    rows = set_aside(found.refused, FileOutcome.FAILED, guard=guard)
    rows += set_aside(found.waiting, FileOutcome.WAITING, guard=guard)
    workers = runtime.worker_count(params.workers)
    rows += read_files(runtime, found.claims, job="load", workers=workers, guard=guard)
    life = lifecycle(
        LifecycleParams(
            selection=Selection(unchecked=True),
            advanced=Tuning(chunk_size=params.chunk_size, workers=params.workers),
        ),
        return_state=True,
    )
    summary = (
        life.result(raise_on_failure=False) if life.is_completed() or life.is_failed() else None
    )
    remits = found.remittances
    audit = None
    if not remits:
        # No payments today, but the held queue may have changed, or a run whose report
        # failed left it behind: the report is written again whenever it is out of date.
        why = stale_report(runtime, params.report_dir)
        if why is not None:
            logger.info("writing the report: %s", why)
            report = build_leak_report(
                runtime, params.report_dir, RemittanceAuditParams().alarm_months
            )
            artifacts.publish_report_link(served_reports(get_settings())(report.files))
    if remits:
        # Remittances after claims: an 835 in the same inbox pays claims loaded above.
        audit = run_remittance_audit(
            RemittanceAuditParams(
                folder=str(inbox),
                report_dir=params.report_dir,
                advanced=ArrivalTuning(chunk_size=params.chunk_size, quiet_seconds=quiet),
            ),
            runtime,
            guard,
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
    loaded = sum(1 for row in rows if row.outcome is FileOutcome.PROCESSED)
    if audit is not None and audit.is_failed():
        return Failed(message=f"remittance audit failed: {audit.message}")
    if life.is_failed() or failed_files:
        return Failed(message=f"{failed_files} file(s) failed; lifecycle {life.type.value.lower()}")
    posted = f"; {len(remits)} remittance file(s) posted and audited" if remits else ""
    waiting = sum(1 for row in rows if row.outcome is FileOutcome.WAITING)
    left = f"; {waiting} file(s) not finished, left in the inbox" if waiting else ""
    checked = summary.claims if isinstance(summary, LifecycleSummary) else 0
    return Completed(
        message=f"{loaded} claim file(s) loaded; {checked:,} claim(s) checked{posted}{left}"
    )


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
